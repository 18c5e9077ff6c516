// Single sign-on (OpenID Connect): the sign-in page's button sends the browser to the provider, which
// sends it back to the callback. Both are public; the flow's secrets wait in a signed, HttpOnly cookie.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FLOW_MINUTES, type OidcFailure, type OidcFlow, type OidcOutcome, type OidcService } from './oidc.ts';
import type { AuthService } from './service.ts';
import { languageAtSignIn, type Route, setSessionCookie } from './web.ts';

export const OIDC_FLOW_COOKIE = 's2s_oidc';
/** The cookie is sent only to the callback (and the start, which replaces it). */
const FLOW_COOKIE_PATH = '/sign-in/oidc';

/** The page's title and what to tell the user, for each refusal; `status` for the response. */
function problemOf(
  outcome: Extract<OidcOutcome, { ok: false }>,
  lockMinutes: number,
): { status: number; title: string; paragraphs: string[] } {
  const passwordInstead = 'You can also sign in with your s2s username and password.';
  const reasons: Record<OidcFailure, () => { status: number; title: string; paragraphs: string[] }> = {
    'flow-expired': () => ({
      status: 400,
      title: 'Signing in took too long',
      paragraphs: [
        `Signing in with your LA account must be finished within ${FLOW_MINUTES} minutes, in the browser window it was started in. Nothing was signed in.`,
        'Go back to the sign-in page and start again.',
      ],
    }),
    'state-mismatch': () => ({
      status: 400,
      title: 'The sign-in could not be checked',
      paragraphs: [
        'The answer from your LA’s sign-in service does not belong to the sign-in started in this browser, so s2s did not use it. This happens when a sign-in is started twice, or a link to it is opened in another browser.',
        'Go back to the sign-in page and start again.',
      ],
    }),
    'provider-error': () =>
      outcome.providerError === 'access_denied'
        ? {
            status: 403,
            title: 'You did not sign in',
            paragraphs: [
              'Signing in was cancelled at your LA’s sign-in service, or it did not allow you to sign in to s2s.',
              `To use s2s, go back to the sign-in page and try again. ${passwordInstead}`,
            ],
          }
        : {
            status: 502,
            title: 'Your LA’s sign-in service could not sign you in',
            paragraphs: [
              `Your LA’s sign-in service answered with the error “${outcome.providerError ?? 'unknown_error'}”. Try again in a few minutes. ${passwordInstead}`,
              'If it keeps happening, tell your LA’s IT service desk, with the time you tried.',
            ],
          },
    'provider-unreachable': () => ({
      status: 503,
      title: 'Your LA’s sign-in service cannot be reached',
      paragraphs: [
        `s2s could not reach your LA’s sign-in service just now. Try again in a few minutes. ${passwordInstead}`,
      ],
    }),
    'invalid-response': () => ({
      status: 502,
      title: 'The sign-in could not be checked',
      paragraphs: [
        'The answer from your LA’s sign-in service did not pass s2s’s checks, so s2s did not use it.',
        `Try again. ${passwordInstead} If it keeps happening, tell the s2s service desk (see Contacts) the time you tried.`,
      ],
    }),
    'unknown-user': () => ({
      status: 403,
      title: 'Your account is not known to s2s',
      paragraphs: [
        `You signed in to your LA’s sign-in service, but s2s has no account for you${outcome.email ? ` with the email address ${outcome.email}` : ''}. s2s does not create accounts by itself.`,
        'Ask your LEA administrator (your LA’s s2s administrator) to add an s2s account for you with the email address of your LA account, then sign in again.',
      ],
    }),
    'email-not-verified': () => ({
      status: 403,
      title: 'Your email address could not be used',
      paragraphs: [
        `Your LA’s sign-in service did not confirm that it checked your email address${outcome.email ? ` (${outcome.email})` : ''}, so s2s cannot use it to find your s2s account.`,
        `${passwordInstead} Tell your LEA administrator (your LA’s s2s administrator), who can ask the LA’s IT service desk to confirm email addresses to s2s.`,
      ],
    }),
    'email-ambiguous': () => ({
      status: 403,
      title: 'More than one s2s account has your email address',
      paragraphs: [
        `More than one s2s account has the email address ${outcome.email ?? 'of your LA account'}, so s2s cannot tell which one is yours.`,
        `${passwordInstead} Ask your LEA administrator (your LA’s s2s administrator) to make sure only one account has your email address.`,
      ],
    }),
    'already-linked': () => ({
      status: 403,
      title: 'Your s2s account is linked to another LA account',
      paragraphs: [
        'Your s2s account is already linked to a different account at your LA’s sign-in service.',
        `Ask your LEA administrator (your LA’s s2s administrator) to unlink it on your page under DBA > User Maintenance, then sign in again. ${passwordInstead}`,
      ],
    }),
    throttled: () => ({
      status: 429,
      title: 'Your s2s account is paused',
      paragraphs: [
        `There have been too many failed attempts to sign in to your s2s account. Wait ${lockMinutes} minutes and try again, or contact your LA s2s administrator.`,
      ],
    }),
    'school-inactive': () => ({
      status: 403,
      title: 'Your school’s s2s account is inactive',
      paragraphs: [
        "Your school's s2s account is inactive, so you cannot sign in. Contact your LA s2s administrator to make it active.",
      ],
    }),
  };
  return reasons[outcome.reason]();
}

function encodeFlow(flow: OidcFlow): string {
  return Buffer.from(JSON.stringify(flow)).toString('base64url');
}

/** The flow in the browser's cookie, if its signature is right and it reads as one. */
function flowOf(request: FastifyRequest): OidcFlow | undefined {
  const raw = request.cookies[OIDC_FLOW_COOKIE];
  if (!raw) return undefined;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const { state, nonce, codeVerifier, startedAt } = value as Record<string, unknown>;
    if ([state, nonce, codeVerifier, startedAt].some((part) => typeof part !== 'string')) return undefined;
    return value as OidcFlow;
  } catch {
    return undefined;
  }
}

export function oidcRoutes(auth: AuthService, oidc: OidcService, lockMinutes: number): Route[] {
  const problemPage = (reply: FastifyReply, outcome: Extract<OidcOutcome, { ok: false }>) => {
    const problem = problemOf(outcome, lockMinutes);
    return reply.code(problem.status).page('auth/views/oidc-problem.njk', {
      title: problem.title,
      paragraphs: problem.paragraphs,
    });
  };

  return [
    {
      // A link, not a form: a form's Content-Security-Policy (form-action 'self') would stop the browser
      // following the redirect to the provider. Starting a flow changes nothing but this browser's cookie.
      method: 'GET',
      url: '/sign-in/oidc',
      access: 'public',
      handler: async (request, reply) => {
        if (request.user) return reply.redirect('/');
        const started = await oidc.start();
        if (!started.ok) {
          request.log.warn(
            { reason: started.reason, cause: started.cause },
            'single sign-on could not start',
          );
          return problemPage(reply, started);
        }
        reply.setCookie(OIDC_FLOW_COOKIE, encodeFlow(started.flow), {
          signed: true,
          httpOnly: true,
          // Lax: the cookie comes back with the provider's redirect (a top-level GET), not with a form
          // another site posts.
          sameSite: 'lax',
          secure: 'auto',
          path: FLOW_COOKIE_PATH,
          maxAge: FLOW_MINUTES * 60,
        });
        return reply.header('cache-control', 'no-store').redirect(started.url);
      },
    },
    {
      method: 'GET',
      url: '/sign-in/oidc/callback',
      access: 'public',
      handler: async (request, reply) => {
        const flow = flowOf(request);
        // The callback opened again (reloaded, or Back) after it signed the user in: nothing to do.
        if (!flow && request.user) return reply.redirect('/');
        // A flow is used once, whatever the outcome.
        reply.clearCookie(OIDC_FLOW_COOKIE, { path: FLOW_COOKIE_PATH });
        reply.header('cache-control', 'no-store');
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
        const outcome = await oidc.finish(flow, query, request.ip);
        if (!outcome.ok) {
          request.log.info({ reason: outcome.reason, cause: outcome.cause }, 'single sign-on refused');
          return problemPage(reply, outcome);
        }
        const { signIn } = outcome;
        // A new session at every sign-in: an old session cookie never becomes a signed-in one.
        if (request.sessionToken) await auth.signOut(request.sessionToken, undefined);
        setSessionCookie(reply, signIn.token);
        await languageAtSignIn(auth, request, reply, signIn.user);
        if (signIn.secondStep) return reply.redirect('/sign-in/two-factor');
        if (signIn.user.must_change_password) return reply.redirect('/change-password');
        return reply.redirect(signIn.mustSetUpTwoFactor ? '/two-factor/set-up' : '/');
      },
    },
  ];
}
