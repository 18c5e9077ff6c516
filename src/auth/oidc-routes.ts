// Single sign-on (OpenID Connect): the sign-in page's button sends the browser to the provider, which
// sends it back to the callback. Both are public; the flow's secrets wait in a signed, HttpOnly cookie.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Message, message, translateMessage } from '../platform/i18n/catalogue.ts';
import { cookieSecurity } from '../platform/web/secure-cookies.ts';
import { FLOW_MINUTES, type OidcFailure, type OidcFlow, type OidcOutcome, type OidcService } from './oidc.ts';
import type { AuthService } from './service.ts';
import { pauseLifterKey } from './two-factor-policy.ts';
import { languageAtSignIn, type Route, setSessionCookie } from './web.ts';

export const OIDC_FLOW_COOKIE = 's2s_oidc';
/** The cookie is sent only to the callback (and the start, which replaces it). */
const FLOW_COOKIE_PATH = '/sign-in/oidc';

/** The page's title and what to tell the user, for each refusal; `status` for the response. */
interface OidcProblem {
  status: number;
  title: Message;
  paragraphs: Message[];
}

function problemOf(outcome: Extract<OidcOutcome, { ok: false }>, lockMinutes: number): OidcProblem {
  const email = outcome.email;
  const reasons: Record<OidcFailure, () => OidcProblem> = {
    'flow-expired': () => ({
      status: 400,
      title: message('auth.oidc.flow-expired.title'),
      paragraphs: [
        message('auth.oidc.flow-expired.body', { minutes: FLOW_MINUTES }),
        message('auth.oidc.start-again'),
      ],
    }),
    'state-mismatch': () => ({
      status: 400,
      title: message('auth.oidc.not-checked.title'),
      paragraphs: [message('auth.oidc.state-mismatch.body'), message('auth.oidc.start-again')],
    }),
    'provider-error': () =>
      outcome.providerError === 'access_denied'
        ? {
            status: 403,
            title: message('auth.oidc.denied.title'),
            paragraphs: [message('auth.oidc.denied.body'), message('auth.oidc.denied.try-again')],
          }
        : {
            status: 502,
            title: message('auth.oidc.provider-error.title'),
            paragraphs: [
              message('auth.oidc.provider-error.body', { error: outcome.providerError ?? 'unknown_error' }),
              message('auth.oidc.provider-error.keeps-happening'),
            ],
          },
    'provider-unreachable': () => ({
      status: 503,
      title: message('auth.oidc.unreachable.title'),
      paragraphs: [message('auth.oidc.unreachable.body')],
    }),
    'invalid-response': () => ({
      status: 502,
      title: message('auth.oidc.not-checked.title'),
      paragraphs: [
        message('auth.oidc.invalid-response.body'),
        message('auth.oidc.invalid-response.try-again'),
      ],
    }),
    'unknown-user': () => ({
      status: 403,
      title: message('auth.oidc.unknown-user.title'),
      paragraphs: [
        email
          ? message('auth.oidc.unknown-user.body-email', { email })
          : message('auth.oidc.unknown-user.body'),
        message('auth.oidc.unknown-user.ask'),
      ],
    }),
    'email-not-verified': () => ({
      status: 403,
      title: message('auth.oidc.email-not-verified.title'),
      paragraphs: [
        email
          ? message('auth.oidc.email-not-verified.body-email', { email })
          : message('auth.oidc.email-not-verified.body'),
        message('auth.oidc.email-not-verified.tell'),
      ],
    }),
    'email-ambiguous': () => ({
      status: 403,
      title: message('auth.oidc.email-ambiguous.title'),
      paragraphs: [
        email
          ? message('auth.oidc.email-ambiguous.body-email', { email })
          : message('auth.oidc.email-ambiguous.body'),
        message('auth.oidc.email-ambiguous.ask'),
      ],
    }),
    'already-linked': () => ({
      status: 403,
      title: message('auth.oidc.already-linked.title'),
      paragraphs: [message('auth.oidc.already-linked.body'), message('auth.oidc.already-linked.ask')],
    }),
    throttled: () => ({
      status: 429,
      title: message('auth.oidc.throttled.title'),
      paragraphs: [
        message('auth.oidc.throttled.body', {
          minutes: lockMinutes,
          lifter: message(pauseLifterKey(outcome.role ?? 'school')),
        }),
      ],
    }),
    'school-inactive': () => ({
      status: 403,
      title: message('auth.oidc.school-inactive.title'),
      paragraphs: [message('auth.sign-in.school-inactive')],
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
    const language = reply.request.language;
    return reply.code(problem.status).page('auth/views/oidc-problem.njk', {
      title: translateMessage(language, problem.title),
      paragraphs: problem.paragraphs.map((paragraph) => translateMessage(language, paragraph)),
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
          secure: cookieSecurity(reply),
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
        reply.clearCookie(OIDC_FLOW_COOKIE, { path: FLOW_COOKIE_PATH, secure: cookieSecurity(reply) });
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
