// How long the session has left, and keeping it alive: what a signed-in page's warning before signing out
// asks and does (app.js; decision 67). WCAG 2.2.1: the user is told before the time runs out, and one
// action gives them more.
//   GET  /session/status      { signedIn, secondsLeft }: read without using the session, never a redirect
//   POST /session/keep-alive  uses the session now (its CSRF token, as every form): 204
import type { AuthService } from './service.ts';
import { type Route, SESSION_STATUS_PATH } from './web.ts';

export function sessionRoutes(auth: AuthService): Route[] {
  return [
    {
      method: 'GET',
      url: SESSION_STATUS_PATH,
      // Public: signed out, the page's script is answered so, not sent to the sign-in page.
      access: 'public',
      handler: async (request, reply) => {
        const idleAt = request.user ? request.sessionIdleAt : undefined;
        reply.header('cache-control', 'no-store');
        return reply.send(
          idleAt
            ? { signedIn: true, secondsLeft: auth.secondsUntil(idleAt) }
            : { signedIn: false, secondsLeft: 0 },
        );
      },
    },
    {
      method: 'POST',
      url: '/session/keep-alive',
      access: 'home.view',
      // The pages before these steps are signed-in pages too, with their warning.
      beforePasswordChange: true,
      beforeTwoFactorSetUp: true,
      handler: async (request, reply) => {
        await auth.keepAlive(request.sessionToken);
        return reply.code(204).send();
      },
    },
  ];
}
