// The HTTP edge of the REST API (/api/v1), in its own encapsulated Fastify context:
//
// - Authentication is `Authorization: Bearer s2s_...` only. The session cookie is never read here
//   (request.user, which the pages' hook fills from the cookie, is cleared), so a page on another site
//   cannot make a signed-in browser call the API: a browser only sends cookies, never this header, by
//   itself. For the same reason CSRF tokens do not apply, and no CORS header is ever sent.
// - Each operation needs api.use, its own capability (the permission table), and its scope on the token.
// - Rate limit per token (@fastify/rate-limit, keyed by the token's id), after authentication, counted
//   in the database so every app process shares one budget per token (platform/web/rate-limit-store.ts).
// - Every error is application/problem+json (problems.ts); unknown /api/v1 addresses too.
import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../auth/actor.ts';
import { can, ROLE_LABELS } from '../auth/permissions.ts';
import { writtenIn } from '../platform/i18n/catalogue.ts';
import { bearerToken } from '../platform/web/http.ts';
import { withoutFileContentHeaders } from './file-content.ts';
import { API_PREFIX, type ApiOperation } from './operation.ts';
import { ProblemError, problem, problemOf, sendProblem } from './problems.ts';
import { type ApiTokenService, scopeAllows, type TokenActor, type TokenLookup } from './token-service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The user an API token acts for (API routes only). */
    apiActor?: TokenActor;
  }
  interface FastifyContextConfig {
    apiOperation?: Pick<ApiOperation, 'operationId' | 'capability' | 'scope'>;
  }
}

export interface ApiPluginOptions {
  tokens: ApiTokenService;
  operations: ApiOperation[];
  /** Requests one token may make per minute. */
  requestsPerMinute: number;
  /** Where requests are counted: shared by every app process (databaseRateLimitStore). */
  rateLimitStore: FastifyRateLimitStoreCtor;
  /** Each registered route, for the tests that compare the routes with the OpenAPI document. */
  onOperationRoute?: (route: { method: string; url: string }) => void;
}

const UNAUTHORIZED_DETAIL: Record<Exclude<TokenLookup, { ok: true }>['reason'], string> = {
  missing:
    'Send your API token in the Authorization header ("Authorization: Bearer s2s_..."). Make a token in s2s under API Tokens. The API does not use the sign-in cookie.',
  malformed:
    'The Authorization header does not hold an s2s API token. Check the whole token was copied ("Bearer s2s_" and 43 more characters).',
  unknown:
    's2s does not know this token, or its user no longer exists. Check it was copied whole, or make a new one under API Tokens.',
  revoked: 'This token has been revoked. Make a new one in s2s under API Tokens.',
  expired: 'This token has expired. Make a new one in s2s under API Tokens.',
  'two-factor-set-up':
    'The user of this token must set up two-factor sign-in. Sign in to s2s and set it up; the token then works again.',
  'password-change':
    'The user of this token must choose a new password. Sign in to s2s and change it; the token then works again.',
  'school-inactive':
    "The s2s account of this token's school is inactive, so its tokens do not work. Ask your LA s2s administrator.",
};

/**
 * An operation whose body is files refuses any other body before it is read: after the token's checks
 * (onRequest), before a parser answers for it, so JSON, text, XML or no body all get the same 415 and
 * what to send. (request.isMultipart() is known only once the body is parsed: the header is read here.)
 */
function multipartOnly(detail: string) {
  return async (request: FastifyRequest) => {
    if (request.mediaType !== 'multipart/form-data') {
      throw new ProblemError(problem('bad-request', 415, detail));
    }
  };
}

export async function apiPlugin(api: FastifyInstance, options: ApiPluginOptions): Promise<void> {
  api.decorateRequest('apiActor', undefined);
  // Many HTTP clients say application/json on every request, with or without a body: an empty one is
  // read as no body, so an operation without one (accept, remove) works, and one that needs a body says
  // what is missing. Anything else is read as Fastify reads JSON.
  const json = api.getDefaultJsonParser(
    api.initialConfig.onProtoPoisoning ?? 'error',
    api.initialConfig.onConstructorPoisoning ?? 'error',
  );
  api.removeContentTypeParser('application/json');
  // The pages' parsers of forms and text are not the API's: such a body (curl -d sends JSON as a form
  // unless told otherwise) gets the 415 that says to send JSON as application/json, not a form's fields.
  api.removeContentTypeParser(['application/x-www-form-urlencoded', 'text/plain']);
  api.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0) done(null, undefined);
    else json(request, body as string, done);
  });

  api.addHook('onRequest', async (request) => {
    request.user = undefined;
    request.sessionToken = undefined;
  });
  // The services give some texts as messages, for pages in the reader's language (a name s2s made up for
  // an organisation the directory does not name): the API answers in English.
  api.addHook('preSerialization', async (_request, _reply, payload) => writtenIn('en', payload));

  api.addHook('onRequest', async (request) => {
    const operation = request.routeOptions.config.apiOperation;
    if (!operation) return;
    const found = await options.tokens.authenticate(bearerToken(request));
    if (!found.ok) {
      throw new ProblemError(problem('unauthorized', 401, UNAUTHORIZED_DETAIL[found.reason]), {
        'www-authenticate':
          found.reason === 'missing' ? 'Bearer realm="s2s"' : 'Bearer realm="s2s", error="invalid_token"',
      });
    }
    const actor = found.actor;
    if (!can(actor.role, 'api.use') || !can(actor.role, operation.capability)) {
      throw new ProblemError(
        problem(
          'forbidden',
          403,
          `Your role (${ROLE_LABELS[actor.role]}) cannot do this in s2s, so neither can your token. If it should, ask your LEA administrator.`,
        ),
      );
    }
    if (!scopeAllows(actor.scopes, operation.scope)) {
      throw new ProblemError(
        problem(
          'insufficient-scope',
          403,
          `This token's scope (${actor.scopes.join(', ')}) does not allow this: it needs the ${operation.scope} scope. Make a token with that scope in s2s under API Tokens.`,
        ),
        { 'www-authenticate': `Bearer realm="s2s", error="insufficient_scope", scope="${operation.scope}"` },
      );
    }
    request.apiActor = actor;
  });

  await api.register(rateLimit, {
    global: true,
    max: options.requestsPerMinute,
    timeWindow: 60_000,
    store: options.rateLimitStore,
    hook: 'onRequest',
    keyGenerator: (request) => request.apiActor?.tokenId ?? request.ip,
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error('rate limited'), { statusCode: 429, ttl: context.ttl }),
  });

  api.setErrorHandler((error, request, reply) => {
    const { body, headers, log } = problemOf(error);
    if (log) request.log.error({ err: error, path: request.url.split('?')[0] }, 'unhandled API error');
    withoutFileContentHeaders(reply);
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    return sendProblem(reply, body);
  });
  api.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      problem(
        'not-found',
        404,
        `There is no ${request.method} ${request.url.split('?')[0]} in the s2s API. The reference is at /api/docs.`,
      ),
    ),
  );

  for (const operation of options.operations) {
    api.route({
      method: operation.method,
      url: operation.url.slice(API_PREFIX.length),
      config: {
        apiOperation: {
          operationId: operation.operationId,
          capability: operation.capability,
          scope: operation.scope,
        },
        // An upload's parts are all files, with no CSRF token first: the pages' multipart hook
        // (platform/web/http.ts) leaves the body for the operation to read.
        readsOwnMultipart: true,
      },
      ...(operation.multipartBody ? { preParsing: multipartOnly(operation.multipartBody) } : {}),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const actor = request.apiActor as Actor;
        const result = await operation.handler(actor, request, reply);
        if (result === reply) return reply;
        reply.header('cache-control', 'no-store');
        return result;
      },
    });
    options.onOperationRoute?.({ method: operation.method, url: operation.url });
  }
}
