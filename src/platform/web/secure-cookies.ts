// Whether the cookies s2s sets are marked Secure. When the service's address (SERVICE_URL) is https,
// always: behind a TLS-terminating load balancer without TRUST_PROXY every request looks like http, and
// 'auto' would leave the session cookie without Secure. Otherwise 'auto' (Secure when the request came
// over https), so a developer's http://localhost still signs in.
import type { FastifyInstance, FastifyReply } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every cookie is Secure (SERVICE_URL is https). */
    secureCookies: boolean;
  }
}

export type CookieSecurity = true | 'auto';

export function decorateSecureCookies(app: FastifyInstance, always: boolean): void {
  app.decorate('secureCookies', always);
}

/** The `secure` option for a cookie set (or cleared) on this reply. */
export function cookieSecurity(reply: FastifyReply): CookieSecurity {
  return reply.server.secureCookies ? true : 'auto';
}

/**
 * A cookie's name: with the `__Host-` prefix when every cookie is Secure (SERVICE_URL is https), so the
 * browser takes it only from this host, Secure, for Path=/ and with no Domain: a sibling site of the
 * domain (or a page over http) cannot set or replace it (decision 84). A developer's http://localhost
 * cannot use the prefix (it needs Secure), and keeps the plain name.
 */
export function hostOnlyName(name: string, secureCookies: boolean): string {
  return secureCookies ? `__Host-${name}` : name;
}
