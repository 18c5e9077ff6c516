// The web edge of authentication: who is signed in, and whether the route lets them in.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UserRow } from '../platform/db/schema.ts';
import { Forbidden } from '../platform/errors.ts';
import { isLanguage, type Language, type Message, textIn } from '../platform/i18n/catalogue.ts';
import { browserLanguage, setBrowserLanguage } from '../platform/i18n/web.ts';
import { renewFormSecret } from '../platform/web/form-tokens.ts';
import { cookieSecurity, hostOnlyName } from '../platform/web/secure-cookies.ts';
import { MENU, menuIn, menuLabelKey, menuOf, menuSection, navigationAt } from './menu.ts';
import { type Capability, can, type Role, roleLabelIn } from './permissions.ts';
import { type SessionEnd, sessionIdOf } from './repository.ts';
import type { AuthService, SignedInUser } from './service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user?: SignedInUser;
    sessionToken?: string;
    sessionExpired: boolean;
    /** The password was right and the second step of two-factor sign-in is still to come. */
    pendingSecondStep: boolean;
    /** While the second step is to come, the role of the user signing in (what its pages advise depends on it). */
    pendingRole?: Role;
    /**
     * The session cookie's session was ended on purpose a moment ago, and why (repository.ts, endSession):
     * this browser's second post of a form whose first ended it. Not signed in.
     */
    sessionEnded?: SessionEnd;
    /** Signed in: when the session will be signed out unless it is used (SessionLookup's idleAt). */
    sessionIdleAt?: Date;
  }
}

/** The one route that reads the session without using it: the page's question how long is left. */
export const SESSION_STATUS_PATH = '/session/status';

/**
 * What a signed-in page tells its script (app.js) to warn before signing out: the idle time, and how long
 * before its end the warning shows (2 minutes, or half the idle time when that is shorter), in whole
 * seconds; and the minutes the warning says, at least 1.
 */
export function sessionTimeout(idleMinutes: number): {
  idleSeconds: number;
  warningSeconds: number;
  warningMinutes: number;
} {
  const idleSeconds = Math.round(idleMinutes * 60);
  const warningSeconds = Math.floor(Math.min(120, idleSeconds / 2));
  return { idleSeconds, warningSeconds, warningMinutes: Math.max(1, Math.round(warningSeconds / 60)) };
}

/** The session's cookie: `__Host-s2s_session` when every cookie is Secure (SERVICE_URL is https). */
export function sessionCookie(server: FastifyInstance): string {
  return hostOnlyName('s2s_session', server.secureCookies);
}

/**
 * Where a browser whose session was ended on purpose is sent (the sign-in page, saying why): the query
 * each reason is said by, and what the page says. Its cookie is left: the same browser may hold the new
 * session already, which the first post's answer set.
 */
const ENDED_SESSION_SAID: Record<SessionEnd, { query: string; key: string }> = {
  'signed-in': { query: 'signed-in-twice', key: 'auth.sign-in.ended.signed-in' },
  'password-changed': { query: 'password-changed', key: 'auth.sign-in.ended.password-changed' },
  'two-factor-set-up': { query: 'two-factor-set-up', key: 'auth.sign-in.ended.two-factor-set-up' },
  'password-reset': { query: 'password-reset', key: 'auth.sign-in.ended.password-reset' },
  'role-changed': { query: 'role-changed', key: 'auth.sign-in.ended.role-changed' },
  'two-factor-reset': { query: 'two-factor-reset', key: 'auth.sign-in.ended.two-factor-reset' },
  'single-sign-on-unlinked': { query: 'unlinked', key: 'auth.sign-in.ended.single-sign-on-unlinked' },
  'account-deleted': { query: 'account-deleted', key: 'auth.sign-in.ended.account-deleted' },
  'school-inactive': { query: 'school-inactive', key: 'auth.sign-in.ended.school-inactive' },
};

export const ENDED_SESSION_PAGE = Object.fromEntries(
  Object.entries(ENDED_SESSION_SAID).map(([end, { query }]) => [end, `/sign-in?${query}=1`]),
) as Record<SessionEnd, string>;

/** What the sign-in page says for the ended session its query names (ENDED_SESSION_PAGE), if any. */
export function endedSessionKey(query: Record<string, string | undefined>): string | undefined {
  return Object.values(ENDED_SESSION_SAID).find((said) => query[said.query] === '1')?.key;
}

export interface Route {
  method: 'GET' | 'POST';
  url: string;
  /** 'public' needs no sign-in; otherwise the capability the permission table must grant. */
  access: Capability | 'public';
  /** May be used while the user must still replace an issued password. */
  beforePasswordChange?: boolean;
  /** May be used while the user must still set up two-factor sign-in (their role requires it). */
  beforeTwoFactorSetUp?: boolean;
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> | unknown;
}

export interface RouteInfo {
  method: Route['method'];
  url: string;
  access: Route['access'];
}

export function signedInUser(request: FastifyRequest): SignedInUser {
  if (!request.user) {
    throw new Forbidden('Sign in to use this page', 'errors.forbidden.sign-in', undefined, { byRole: false });
  }
  return request.user;
}

/**
 * The page of a menu section (DBA, Messages...): its items the user may use, with what each is for.
 * It needs the section's own capability, as the menu shows it.
 */
export function sectionRoute(href: string, intro: string | Message): Route {
  const section = MENU.find((item) => item.href === href);
  if (!section?.children) throw new Error(`${href} is not a section of the menu`);
  return {
    method: 'GET',
    url: href,
    access: section.capability,
    handler: async (request, reply) => {
      const user = signedInUser(request);
      return reply.page('platform/web/views/section.njk', {
        title: request.t(menuLabelKey(href)),
        intro: textIn(request.language, intro),
        items: menuIn(request.language, menuSection(user.role, href)?.children ?? []),
        backLink: { href: '/' },
      });
    },
  };
}

/** `idleMinutes`: SESSION_IDLE_MINUTES, for the warning before signing out that a signed-in page carries. */
export function pageContext(
  request: FastifyRequest,
  path: string,
  idleMinutes?: number,
): Record<string, unknown> {
  const signedIn = request.user;
  // The role's name and a national account's organisation in the page's language ("Signed in as").
  const user = signedIn && {
    ...signedIn,
    roleLabel: roleLabelIn(request.language, signedIn.role),
    organisationName: signedIn.organisationKey
      ? request.t(signedIn.organisationKey)
      : signedIn.organisationName,
  };
  const timeout = user && idleMinutes !== undefined ? { sessionTimeout: sessionTimeout(idleMinutes) } : {};
  return user && !user.mustChangePassword && !user.mustSetUpTwoFactor
    ? { user, navigation: navigationAt(menuOf(user.role, request.language), path), ...timeout }
    : { user, ...timeout };
}

/** The language switch was used: a signed-in user keeps the choice (http.ts's rememberLanguage). */
export function rememberLanguage(auth: AuthService) {
  return async (request: FastifyRequest, language: Language): Promise<boolean> => {
    if (!request.user) return false;
    if (request.user.language !== language) await auth.setLanguage(request.user.userId, language);
    return true;
  };
}

/**
 * At sign-in: a language chosen on this browser while nobody was signed in becomes the user's choice;
 * otherwise the user's own choice is applied (the second step of two-factor sign-in is shown in it).
 */
export async function languageAtSignIn(
  auth: AuthService,
  request: FastifyRequest,
  reply: FastifyReply,
  user: UserRow,
): Promise<void> {
  const browser = browserLanguage(request);
  const own = isLanguage(user.language) ? user.language : undefined;
  const language = browser?.chosenSignedOut ? browser.language : (own ?? request.language);
  if (language !== own) await auth.setLanguage(user.id, language);
  setBrowserLanguage(reply, { language, chosenSignedOut: false });
}

/** At sign-out the browser keeps the user's language (for the sign-in page), not as a new choice. */
export function languageAtSignOut(reply: FastifyReply, user: { language: Language } | undefined): void {
  if (user) setBrowserLanguage(reply, { language: user.language, chosenSignedOut: false });
}

/**
 * A new session for this browser (a sign-in, its second step, a password change): its cookie, and a
 * new CSRF secret, so that no form token from before, nor a secret planted before, is any use after.
 */
export function setSessionCookie(reply: FastifyReply, token: string): void {
  const name = sessionCookie(reply.server);
  reply.setCookie(name, token, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: cookieSecurity(reply),
  });
  reply.request.cookies[name] = token;
  renewFormSecret(reply);
}

/** Signed out: the session's cookie cleared, and a new CSRF secret, as at sign-in. */
export function clearSessionCookie(reply: FastifyReply): void {
  const name = sessionCookie(reply.server);
  reply.clearCookie(name, { path: '/', secure: cookieSecurity(reply) });
  delete reply.request.cookies[name];
  renewFormSecret(reply);
}

/**
 * Whose a form is (http.ts's formOwner): the session this browser's cookie names, by its id (the
 * SHA-256 the database keeps, never the token), whatever state the session is in, so that a form
 * shown in one session is refused in another; undefined with no session cookie.
 */
export function formOwner(request: FastifyRequest): string | undefined {
  const token = request.cookies[sessionCookie(request.server)];
  return token ? `session ${sessionIdOf(token)}` : undefined;
}

/** Loads the session for every request, then registers each route behind its permission check. */
export function registerRoutes(app: FastifyInstance, auth: AuthService, routes: Route[]): RouteInfo[] {
  app.decorateRequest('user', undefined);
  app.decorateRequest('sessionToken', undefined);
  app.decorateRequest('sessionExpired', false);
  app.decorateRequest('pendingSecondStep', false);
  app.decorateRequest('pendingRole', undefined);
  app.decorateRequest('sessionEnded', undefined);
  app.decorateRequest('sessionIdleAt', undefined);

  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/assets/') || request.url.startsWith('/static/')) return;
    const token = request.cookies[sessionCookie(app)];
    // Asking how long is left is not using s2s: that request leaves the session's activity time as it is.
    const status = request.method === 'GET' && request.url.split('?')[0] === SESSION_STATUS_PATH;
    const found = await auth.lookUpSession(token, { touch: !status });
    if (found.state === 'active') {
      request.user = found.user;
      request.sessionIdleAt = found.idleAt;
      request.language = found.user.language;
      request.sessionToken = token;
    } else if (found.state === 'pending') {
      // Not signed in: only the second step's own (public) pages read this.
      request.pendingSecondStep = true;
      request.pendingRole = found.role;
      request.sessionToken = token;
    } else if (found.state === 'ended') {
      // Not signed in; the token is kept to end the row at the next sign-in of this browser.
      request.sessionEnded = found.reason;
      request.sessionToken = token;
    } else if (found.state === 'expired') {
      request.sessionExpired = true;
    }
  });

  for (const route of routes) {
    const guard = async (request: FastifyRequest, reply: FastifyReply) => {
      if (route.access === 'public') return;
      const user = request.user;
      if (!user) {
        if (request.pendingSecondStep) return reply.redirect('/sign-in/two-factor');
        if (request.sessionEnded) return reply.redirect(ENDED_SESSION_PAGE[request.sessionEnded]);
        // Signed out for want of use, as at sign-out: a form of the ended session is no use after.
        if (request.sessionExpired) clearSessionCookie(reply);
        return reply.redirect(request.sessionExpired ? '/sign-in?expired=1' : '/sign-in');
      }
      // An issued password is replaced first (the administrator knows it), then two-factor sign-in is set up.
      if (user.mustChangePassword) {
        if (!route.beforePasswordChange) return reply.redirect('/change-password');
      } else if (user.mustSetUpTwoFactor && !route.beforeTwoFactorSetUp) {
        return reply.redirect('/two-factor/set-up');
      }
      if (!can(user.role, route.access)) throw new Forbidden();
    };
    app.route({
      method: route.method,
      url: route.url,
      // The form body is parsed by preHandler time, so the CSRF token can be read from it.
      preHandler: route.method === 'POST' ? [guard, app.csrfProtection] : [guard],
      handler: route.handler,
    });
  }
  return routes.map(({ method, url, access }) => ({ method, url, access }));
}
