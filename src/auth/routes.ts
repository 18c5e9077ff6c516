import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Invalid } from '../platform/errors.ts';
import { keyedError } from '../platform/i18n/catalogue.ts';
import { oneValue } from '../platform/web/form-values.ts';
import type { OidcService } from './oidc.ts';
import { oidcRoutes } from './oidc-routes.ts';
import type { AuthService } from './service.ts';
import { sessionRoutes } from './session-routes.ts';
import { twoFactorRoutes } from './two-factor-routes.ts';
import {
  clearSessionCookie,
  ENDED_SESSION_PAGE,
  endedSessionKey,
  languageAtSignIn,
  languageAtSignOut,
  type Route,
  setSessionCookie,
  signedInUser,
} from './web.ts';

const signInForm = z.object({
  username: z.string().default(''),
  password: z.string().default(''),
});

const changePasswordForm = z.object({
  currentPassword: z.string().default(''),
  newPassword: z.string().default(''),
  confirmPassword: z.string().default(''),
  /** When the password was last changed, as the page showed it: posted again, nothing is changed twice. */
  passwordChangedAt: oneValue,
});

/** The catalogue key of what the sign-in page says for each refusal. */
const SIGN_IN_FAILURES: Record<
  'wrong-credentials' | 'throttled' | 'throttled-address' | 'school-inactive',
  string
> = {
  'wrong-credentials': 'auth.sign-in.wrong-credentials',
  throttled: 'auth.sign-in.throttled',
  'throttled-address': 'auth.sign-in.throttled-address',
  'school-inactive': 'auth.sign-in.school-inactive',
};

/** `oidc`: single sign-on, when configured (OIDC_ISSUER...): its button on the sign-in page, and its routes. */
export function authRoutes(auth: AuthService, lockMinutes: number, oidc: OidcService | null = null): Route[] {
  const signInPage = (reply: FastifyReply, data: Record<string, unknown> = {}) =>
    reply.page('auth/views/sign-in.njk', {
      title: reply.request.t('auth.sign-in.title'),
      singleSignOn: oidc ? { buttonText: oidc.buttonText } : null,
      ...data,
    });

  return [
    {
      method: 'GET',
      url: '/sign-in',
      access: 'public',
      handler: async (request: FastifyRequest, reply) => {
        if (request.user) return reply.redirect('/');
        const query = request.query as Record<string, string | undefined>;
        return signInPage(reply, {
          expired: query.expired === '1',
          signedOut: query['signed-out'] === '1',
          // A session ended on purpose a moment ago (ENDED_SESSION_PAGE): why this browser must sign in.
          endedKey: endedSessionKey(query),
        });
      },
    },
    {
      method: 'POST',
      url: '/sign-in',
      access: 'public',
      handler: async (request, reply) => {
        const form = signInForm.parse(request.body ?? {});
        const errors = [];
        if (!form.username.trim()) errors.push(keyedError('username', 'auth.sign-in.enter-username'));
        if (!form.password) errors.push(keyedError('password', 'auth.sign-in.enter-password'));
        if (errors.length > 0) return signInPage(reply.code(400), { errors, username: form.username });

        const outcome = await auth.signIn(form.username, form.password, request.ip);
        if (!outcome.ok) {
          const paused = outcome.reason === 'throttled' || outcome.reason === 'throttled-address';
          return signInPage(reply.code(paused ? 429 : 400), {
            errors: [keyedError('username', SIGN_IN_FAILURES[outcome.reason], { minutes: lockMinutes })],
            username: form.username,
          });
        }
        // A new session at every sign-in: an old session cookie never becomes a signed-in one.
        if (request.sessionToken) await auth.signOut(request.sessionToken, undefined);
        setSessionCookie(reply, outcome.token);
        await languageAtSignIn(auth, request, reply, outcome.user);
        if (outcome.secondStep) return reply.redirect('/sign-in/two-factor');
        if (outcome.user.must_change_password) return reply.redirect('/change-password');
        return reply.redirect(outcome.mustSetUpTwoFactor ? '/two-factor/set-up' : '/');
      },
    },
    ...twoFactorRoutes(auth, lockMinutes),
    ...(oidc ? oidcRoutes(auth, oidc, lockMinutes) : []),
    ...sessionRoutes(auth),
    {
      method: 'GET',
      url: '/sign-out',
      access: 'home.view',
      beforePasswordChange: true,
      beforeTwoFactorSetUp: true,
      handler: async (request, reply) =>
        reply.page('auth/views/sign-out.njk', { title: request.t('auth.sign-out.title') }),
    },
    {
      method: 'POST',
      url: '/sign-out',
      access: 'home.view',
      beforePasswordChange: true,
      beforeTwoFactorSetUp: true,
      handler: async (request, reply) => {
        await auth.signOut(request.sessionToken, request.user);
        clearSessionCookie(reply);
        languageAtSignOut(reply, request.user);
        return reply.redirect('/sign-in?signed-out=1');
      },
    },
    {
      method: 'GET',
      url: '/change-password',
      access: 'account.change-password',
      beforePasswordChange: true,
      handler: async (request, reply) =>
        reply.page('auth/views/change-password.njk', {
          title: request.t('auth.change-password.title'),
          forced: signedInUser(request).mustChangePassword,
          passwordChangedAt: await auth.passwordChangedAt(signedInUser(request)),
        }),
    },
    {
      method: 'POST',
      url: '/change-password',
      access: 'account.change-password',
      beforePasswordChange: true,
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const form = changePasswordForm.parse(request.body ?? {});
        try {
          const token = await auth.changeOwnPassword(
            user,
            request.sessionToken ?? '',
            form,
            request.ip,
            form.passwordChangedAt,
          );
          if (typeof token !== 'string') {
            // Its session was ended by the change (this browser's other post at once): sign in again.
            if (token.signedOut) return reply.redirect(ENDED_SESSION_PAGE['password-changed']);
            return reply.flash(request.t('auth.change-password.changed-already'), 'important').redirect('/');
          }
          setSessionCookie(reply, token);
          return reply.flash(request.t('auth.change-password.changed')).redirect('/');
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return reply.code(400).page('auth/views/change-password.njk', {
            title: request.t('auth.change-password.title'),
            forced: user.mustChangePassword,
            passwordChangedAt: form.passwordChangedAt,
            errors: error.errors,
          });
        }
      },
    },
  ];
}
