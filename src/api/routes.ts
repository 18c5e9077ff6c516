// The web edge of the API feature: the API Tokens pages (a user's own tokens; a DBA's view of its LA's
// tokens), the OpenAPI document and its reference page, and the registration of /api/v1 itself
// (plugin.ts). The pages are ordinary page routes (session, CSRF, the permission matrix); /api/v1 is
// not, and has its own matrix (test/api/permissions.test.ts).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Route, signedInUser } from '../auth/web.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { formId, oneText } from '../platform/web/form-values.ts';
import { databaseRateLimitStore } from '../platform/web/rate-limit-store.ts';
import { apiOperations } from './catalogue.ts';
import { docsView } from './docs-view.ts';
import { openApiDocument } from './openapi.ts';
import { API_PREFIX, type ApiDeps } from './operation.ts';
import { apiPlugin } from './plugin.ts';
import { ApiTokenService, EXPIRY_CHOICES, SCOPES, type Scope, type TokenView } from './token-service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every /api/v1 route as registered: the OpenAPI test compares them with the document. */
    apiRouteTable: { method: string; url: string }[];
  }
}

/** Requests one token may make in a minute: a busy MIS polls and downloads well within it. */
export const API_REQUESTS_PER_MINUTE = 120;

/** Names the reference page shows as code: the same in every language. */
const DOCS_CODE = {
  authorization: 'Authorization',
  bearer: 'Authorization: Bearer s2s_…',
  retryAfter: 'Retry-After',
};

const OWN = '/account/api-tokens';
const DBA = '/dba/api-tokens';

const newForm = z.object({ name: oneText, scope: oneText, expiry: oneText, formId });
const revokeForm = z.object({ tokenId: oneText });

/** The keys of the expiry choices' words. */
const EXPIRY_LABELS: Record<(typeof EXPIRY_CHOICES)[number], string> = {
  '30': 'api.tokens.expiry.30',
  '90': 'api.tokens.expiry.90',
  '365': 'api.tokens.expiry.365',
  never: 'api.tokens.expiry.never',
};

/** The keys of each scope's name ("Read") and of what it gives, as the pages say them. */
const SCOPE_NAMES: Record<Scope, string> = {
  read: 'api.tokens.scope.read',
  transfer: 'api.tokens.scope.transfer',
  admin: 'api.tokens.scope.admin',
};
const SCOPE_HINTS: Record<Scope, string> = {
  read: 'api.tokens.scope.read-hint',
  transfer: 'api.tokens.scope.transfer-hint',
  admin: 'api.tokens.scope.admin-hint',
};

/** A scope's name in the page's language ("Read", "Darllen"); an unknown one as it is stored. */
function scopeName(request: FastifyRequest, scope: string): string {
  const key = SCOPE_NAMES[scope as Scope];
  return key ? request.t(key) : scope;
}

function rowsOf(request: FastifyRequest, tokens: TokenView[]) {
  return tokens.map((t) => ({ ...t, scopeName: scopeName(request, t.scope) }));
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

  const ownPage = async (request: FastifyRequest, reply: FastifyReply) =>
    reply.page('api/views/tokens.njk', {
      title: request.t('menu.account.api-tokens'),
      tokens: rowsOf(request, await tokens.ownTokens(signedInUser(request))),
      backLink: { href: '/', text: request.t('layout.back') },
    });

  const newPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    values: Partial<z.infer<typeof newForm>> = {},
    errors?: FieldError[],
  ) =>
    reply.page('api/views/token-new.njk', {
      title: request.t('api.tokens.new.title'),
      // Drawn again with an error, the form keeps its id: it still asks for the one token.
      values: { scope: 'read', expiry: '90', ...values, formId: values.formId ?? randomUUID() },
      scopes: SCOPES.map((s) => ({ value: s, text: scopeName(request, s), hint: request.t(SCOPE_HINTS[s]) })),
      expiries: EXPIRY_CHOICES.map((e) => ({ value: e, text: request.t(EXPIRY_LABELS[e]) })),
      errors,
      backLink: { href: OWN, text: request.t('api.tokens.back') },
    });

  const dbaPage = async (request: FastifyRequest, reply: FastifyReply) => {
    const user = signedInUser(request);
    const list = await tokens.tokensForDba(user);
    return reply.page('api/views/dba-tokens.njk', {
      title: request.t('api.dba-tokens.title'),
      tokens: rowsOf(request, list),
      national: user.laNumber === null,
      backLink: { href: '/dba', text: request.t('api.dba-tokens.back') },
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
      handler: async (request, reply) =>
        reply.page('api/views/docs.njk', {
          title: request.t('api.docs.title'),
          requestsPerMinute,
          code: DOCS_CODE,
          ...docs,
        }),
    },
    {
      method: 'GET',
      url: OWN,
      access: 'api.use',
      handler: async (request, reply) => ownPage(request, reply),
    },
    {
      method: 'GET',
      url: `${OWN}/new`,
      access: 'api.use',
      handler: async (request, reply) => newPage(request, reply),
    },
    {
      method: 'POST',
      url: `${OWN}/new`,
      access: 'api.use',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const form = newForm.parse(request.body ?? {});
        try {
          const created = await tokens.create(user, form, form.formId);
          if ('already' in created) {
            const { name, prefix } = created.already;
            return reply.flash(request.t('api.tokens.created-already', { name, prefix })).redirect(OWN);
          }
          // Shown once, on this response only: never stored by s2s or cached by the browser.
          return reply.header('cache-control', 'no-store').page('api/views/token-created.njk', {
            title: request.t('api.tokens.created.title'),
            token: created.token,
            view: { ...created.view, scopeName: scopeName(request, created.view.scope) },
          });
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return newPage(request, reply.code(400), form, error.errors);
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
        const revokedKey = revoked.already ? 'api.tokens.revoked-already' : 'api.tokens.revoked';
        return reply
          .flash(request.t(revokedKey, { name: revoked.name, prefix: revoked.prefix }))
          .redirect(OWN);
      },
    },
    {
      method: 'GET',
      url: DBA,
      access: 'users.manage',
      handler: async (request, reply) => dbaPage(request, reply),
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
            request.t(revoked.already ? 'api.dba-tokens.revoked-already' : 'api.dba-tokens.revoked', {
              name: revoked.name,
              username: revoked.username,
              fullName: revoked.fullName,
            }),
          )
          .redirect(DBA);
      },
    },
  ];
}
