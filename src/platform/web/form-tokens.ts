// The CSRF secret's cookie, and whose a form's token is (decision 84). Every form carries a token made
// from the browser's secret (a signed cookie) and from who the form is for: the signed-in session, or
// no session. A token is accepted only with the same secret and for the same session, so a cookie and
// token planted in a browser (from a sibling site of the domain, or left on a shared PC), or made in
// another user's session, cannot send a signed-in user's forms. The secret is renewed whenever the
// session changes (sign-in, its second step, a password change, sign-out), so nothing planted before
// survives it.
import { hkdfSync, randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { hostOnlyName } from './secure-cookies.ts';

/** What a form shown with no session is for. */
export const SIGNED_OUT_FORM = 'signed-out';

/** Bytes of a CSRF secret, as @fastify/csrf makes them (its secretLength). */
const SECRET_BYTES = 18;

/** The CSRF secret's cookie: `__Host-s2s_csrf` when every cookie is Secure (SERVICE_URL is https). */
export function formSecretCookieName(secureCookies: boolean): string {
  return hostOnlyName('s2s_csrf', secureCookies);
}

/** How the CSRF secret's cookie is set: signed, HttpOnly, for the whole site. */
export function formSecretCookieOptions(secureCookies: boolean) {
  return {
    signed: true,
    httpOnly: true,
    sameSite: 'lax' as const,
    path: '/',
    secure: secureCookies ? true : ('auto' as const),
  };
}

/**
 * The key a token's owner and the token itself are keyed with (@fastify/csrf's hmacKey), from the
 * cookie secret that every node shares: a page shows only a keyed hash of whose the form is.
 */
export function formTokenKey(cookieSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', cookieSecret, Buffer.alloc(0), 's2s form tokens', 32));
}

/**
 * A new CSRF secret for this browser, from this reply on: every form token made before is refused. A
 * page rendered later in the same reply is given a token of the new secret.
 */
export function renewFormSecret(reply: FastifyReply): void {
  const secure = reply.server.secureCookies;
  const name = formSecretCookieName(secure);
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  reply.setCookie(name, secret, formSecretCookieOptions(secure));
  reply.request.cookies[name] = reply.signCookie(secret);
}
