// The web edge of the API feature: the API Tokens pages (a user's own tokens; a DBA's view of its LA's
// tokens), the OpenAPI document and its reference page, and the registration of /api/v1 itself
// (plugin.ts). The pages are ordinary page routes (session, CSRF, the permission matrix); /api/v1 is
// not, and has its own matrix (test/api/permissions.test.ts).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { type Route, signedInUser } from '../auth/web.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { oneText } from '../platform/web/form-values.ts';
import { databaseRateLimitStore } from '../platform/web/rate-limit-store.ts';
import { apiOperations } from './catalogue.ts';
import { docsView } from './docs-view.ts';
import { openApiDocument } from './openapi.ts';
import { API_PREFIX, type ApiDeps } from './operation.ts';
import { apiPlugin } from './plugin.ts';
import { ApiTokenService, EXPIRY_CHOICES, SCOPE_LABELS, SCOPES, type TokenView } from './token-service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every /api/v1 route as registered: the OpenAPI test compares them with the document. */
    apiRouteTable: { method: string; url: string }[];
  }
}

/** Requests one token may make in a minute: a busy MIS polls and downloads well within it. */
export const API_REQUESTS_PER_MINUTE = 120;

const OWN = '/account/api-tokens';
const DBA = '/dba/api-tokens';

const newForm = z.object({ name: oneText, scope: oneText, expiry: oneText });
const revokeForm = z.object({ tokenId: oneText });

const EXPIRY_LABELS: Record<(typeof EXPIRY_CHOICES)[number], string> = {
  '30': 'In 30 days',
  '90': 'In 90 days',
  '365': 'In a year',
  never: 'Never: until it is revoked',
};

function scopeName(scope: string): string {
  return scope.charAt(0).toUpperCase() + scope.slice(1);
}

function rowsOf(tokens: TokenView[]) {
  return tokens.map((t) => ({ ...t, scopeName: scopeName(t.scope) }));
}

/**
 * Registers /api/v1 on the app (its own Fastify context) and returns the pages, for the app's page
 * routes. app.ts calls this once.
 */
export function apiRoutes(
  app: FastifyInstance,
  deps: ApiDeps,
  options: { requestsPerMinute?: number } = {},
): Route[] {
  const tokens = new ApiTokenService({ ...deps, twoFactorRequired: deps.config.twoFactor.required });
  const requestsPerMinute = options.requestsPerMinute ?? API_REQUESTS_PER_MINUTE;
  const table: { method: string; url: string }[] = [];
  app.decorate('apiRouteTable', table);
  app.register(apiPlugin, {
    prefix: API_PREFIX,
    tokens,
    operations: apiOperations(deps),
    requestsPerMinute,
    rateLimitStore: databaseRateLimitStore(deps.db, deps.clock),
    onOperationRoute: (route) => table.push(route),
  });

  const document = openApiDocument();
  const docs = docsView(document);

  const ownPage = async (reply: FastifyReply, user: ReturnType<typeof signedInUser>) =>
    reply.page('api/views/tokens.njk', {
      title: 'API Tokens',
      tokens: rowsOf(await tokens.ownTokens(user)),
      backLink: { href: '/', text: 'Back' },
    });

  const newPage = (
    reply: FastifyReply,
    values: Partial<z.infer<typeof newForm>> = {},
    errors?: FieldError[],
  ) =>
    reply.page('api/views/token-new.njk', {
      title: 'Create an API token',
      values: { scope: 'read', expiry: '90', ...values },
      scopes: SCOPES.map((s) => ({ value: s, text: scopeName(s), hint: SCOPE_LABELS[s] })),
      expiries: EXPIRY_CHOICES.map((e) => ({ value: e, text: EXPIRY_LABELS[e] })),
      errors,
      backLink: { href: OWN, text: 'Back to API Tokens' },
    });

  const dbaPage = async (reply: FastifyReply, user: ReturnType<typeof signedInUser>) => {
    const list = await tokens.tokensForDba(user);
    return reply.page('api/views/dba-tokens.njk', {
      title: 'API Tokens of your users',
      tokens: list.map((t) => ({ ...t, scopeName: scopeName(t.scope) })),
      national: user.laNumber === null,
      backLink: { href: '/dba', text: 'Back to DBA' },
    });
  };

  return [
    {
      method: 'GET',
      url: '/api/openapi.json',
      access: 'public',
      handler: async (_request, reply) => reply.header('cache-control', 'no-cache').send(document),
    },
    {
      method: 'GET',
      url: '/api/docs',
      access: 'public',
      handler: async (_request, reply) =>
        reply.page('api/views/docs.njk', { title: 'API reference', requestsPerMinute, ...docs }),
    },
    {
      method: 'GET',
      url: OWN,
      access: 'api.use',
      handler: async (request, reply) => ownPage(reply, signedInUser(request)),
    },
    {
      method: 'GET',
      url: `${OWN}/new`,
      access: 'api.use',
      handler: async (_request, reply) => newPage(reply),
    },
    {
      method: 'POST',
      url: `${OWN}/new`,
      access: 'api.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const form = newForm.parse(request.body ?? {});
        try {
          const created = await tokens.create(user, form);
          // Shown once, on this response only: never stored by s2s or cached by the browser.
          return reply.header('cache-control', 'no-store').page('api/views/token-created.njk', {
            title: 'Your new API token',
            token: created.token,
            view: { ...created.view, scopeName: scopeName(created.view.scope) },
          });
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return newPage(reply.code(400), form, error.errors);
        }
      },
    },
    {
      method: 'POST',
      url: `${OWN}/revoke`,
      access: 'api.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const form = revokeForm.parse(request.body ?? {});
        const revoked = await tokens.revokeOwn(user, form.tokenId);
        return reply
          .flash(`The token ${revoked.name} (${revoked.prefix}...) has been revoked: it no longer works.`)
          .redirect(OWN);
      },
    },
    {
      method: 'GET',
      url: DBA,
      access: 'users.manage',
      handler: async (request, reply) => dbaPage(reply, signedInUser(request)),
    },
    {
      method: 'POST',
      url: `${DBA}/revoke`,
      access: 'users.manage',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const form = revokeForm.parse(request.body ?? {});
        const revoked = await tokens.revokeAsDba(user, form.tokenId);
        return reply
          .flash(
            `The token ${revoked.name} of ${revoked.username} has been revoked: it no longer works. Tell ${revoked.fullName}.`,
          )
          .redirect(DBA);
      },
    },
  ];
}
