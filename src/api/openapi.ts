// The OpenAPI 3.1 document of /api/v1, built from the features' operations (catalogue.ts), so a
// route cannot exist without its description (test/api/openapi.test.ts checks both ways).
import { API_FEATURES, API_OPERATIONS } from './catalogue.ts';
import { type ApiOperationInfo, type Json, problemResponse } from './operation.ts';
import { PROBLEM_TYPES, problemUri } from './problems.ts';
import { SCOPES } from './token-service.ts';

function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}');
}

/** What an operation takes and answers, with the errors every operation may give. */
function operationObject(op: ApiOperationInfo): Json {
  const details = op.doc;
  const hasPathParameter = op.url.includes(':');
  if (hasPathParameter && !details.notFound) throw new Error(`${op.operationId} says nothing of a 404`);
  return {
    operationId: op.operationId,
    summary: op.summary,
    description: details.description,
    tags: [op.tag],
    security: [{ bearerToken: [op.scope] }],
    'x-s2s-scope': op.scope,
    'x-s2s-capability': op.capability,
    ...(details.parameters ? { parameters: details.parameters } : {}),
    ...(details.requestBody ? { requestBody: details.requestBody } : {}),
    responses: {
      // Whatever takes parameters or a body may be sent ones it cannot read (an operation says more of its own).
      ...(details.parameters || details.requestBody
        ? {
            '400': problemResponse(
              'The request could not be read: a parameter or field of the wrong kind or value, or a body that is not well-formed JSON (`errors` names each)',
            ),
          }
        : {}),
      ...details.responses,
      ...(op.multipartBody ? { '415': problemResponse('The body is not multipart/form-data') } : {}),
      '401': problemResponse('No token, or a token that is unknown, revoked or expired'),
      '403': problemResponse('Your role cannot do this, or the token’s scope does not allow it'),
      ...(hasPathParameter ? { '404': problemResponse(details.notFound ?? '') } : {}),
      // An operation with a limit of its own describes its 429 (sendMessage: emails an hour).
      '429':
        details.responses['429'] ??
        problemResponse('Too many requests with this token: wait for the time in Retry-After'),
    },
  };
}

export function openApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const op of API_OPERATIONS) {
    const path = openApiPath(op.url);
    paths[path] = { ...(paths[path] ?? {}), [op.method.toLowerCase()]: operationObject(op) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 's2s secure data transfer API',
      version: '1.0.0',
      description:
        'For MIS and LA software: send and collect Common Transfer Files and the other s2s files, search the Lost Pupils Database, read and send secure messages, download reports as CSV and upload census returns, as the user whose personal API token it holds, with that user’s role and organisation: each operation is what a page of s2s does, with the same rules. Make a token in s2s under API Tokens; send it as `Authorization: Bearer s2s_...`. The sign-in cookie is never accepted. Errors are RFC 9457 problem details with the reasons and what to do that s2s’s pages give.',
    },
    servers: [{ url: '/' }],
    tags: API_FEATURES.map((f) => f.tag),
    paths,
    components: {
      securitySchemes: {
        bearerToken: {
          type: 'http',
          scheme: 'bearer',
          description: `A personal API token (s2s_ and 43 characters). Scopes, each including the one before: ${SCOPES.join(', ')}.`,
        },
      },
      schemas: {
        ...Object.assign({}, ...API_FEATURES.map((f) => f.schemas)),
        Problem: {
          type: 'object',
          description: `RFC 9457. Types: ${Object.keys(PROBLEM_TYPES)
            .map((t) => problemUri(t as keyof typeof PROBLEM_TYPES))
            .join(', ')}`,
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string', description: 'What went wrong and what to do' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { field: { type: 'string' }, message: { type: 'string' } },
                required: ['field', 'message'],
              },
            },
          },
          required: ['type', 'title', 'status', 'detail'],
        },
      },
    },
  };
}
