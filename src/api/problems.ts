// Errors of the API as RFC 9457 problem details (application/problem+json): the same reasons and
// what-to-do the pages give, for a program to show its user. Each `type` is described on /api/docs.
import type { FastifyReply } from 'fastify';
import { ZodError } from 'zod';
import { type FieldError, Forbidden, Invalid, LimitReached, NotFound } from '../platform/errors.ts';
import { BUSY_RETRY_SECONDS, PoolBusy } from '../platform/workers/pool.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** The kinds of problem, each with its anchor on /api/docs. */
export const PROBLEM_TYPES = {
  unauthorized: 'Not signed in',
  'insufficient-scope': 'The token does not allow this',
  forbidden: 'Your role does not allow this',
  'not-found': 'Not found',
  invalid: 'The request breaks a rule',
  conflict: 'The file has changed',
  'upload-refused': 'No file was accepted',
  'bad-request': 'The request could not be read',
  'too-large': 'Too much was sent',
  'too-many-requests': 'Too many requests',
  'too-many-emails': 'Too many emails sent this hour',
  busy: 's2s is busy: send again shortly',
  'server-error': 'Something went wrong in s2s',
} as const;
export type ProblemType = keyof typeof PROBLEM_TYPES;

export function problemUri(type: ProblemType): string {
  return `/api/docs#problem-${type}`;
}

export function problem(
  type: ProblemType,
  status: number,
  detail: string,
  extra: Partial<Omit<Problem, 'type' | 'title' | 'status' | 'detail'>> = {},
): Problem {
  return { type: problemUri(type), title: PROBLEM_TYPES[type], status, detail, ...extra };
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).header('cache-control', 'no-store').send(body);
}

/** A problem raised by the API's own edge (authentication, scope), thrown to the error handler. */
export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail);
  }
}

/** Sentences end with a full stop in `detail`, as the pages show them. */
function sentences(messages: string[]): string {
  return messages.map((m) => (/[.!?]$/.test(m) ? m : `${m}.`)).join(' ');
}

/** What was wrong with a request's body, by the framework's error code, and what to send instead. */
const BODY_PROBLEMS: Record<string, { type: ProblemType; detail: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    type: 'bad-request',
    detail:
      's2s does not read a body of that Content-Type. Send JSON as application/json, or files as multipart/form-data, as the API reference at /api/docs shows.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    type: 'bad-request',
    detail: 'The body is not well-formed JSON. Check it (a missing quote or brace, say) and send it again.',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    type: 'too-large',
    detail: 'The JSON body was larger than s2s accepts. Send less in one request.',
  },
};

/** The domain's typed errors and the framework's, as problems (the one place this mapping lives). */
export function problemOf(error: unknown): { body: Problem; headers: Record<string, string>; log: boolean } {
  if (error instanceof ProblemError) return { body: error.problem, headers: error.headers, log: false };
  if (error instanceof NotFound) {
    return {
      body: problem(
        'not-found',
        404,
        `${error.what} was not found. It may have been removed, or it is not your organisation's to see.`,
      ),
      headers: {},
      log: false,
    };
  }
  if (error instanceof Forbidden) {
    return {
      body: problem('forbidden', 403, sentences([error.message])),
      headers: {},
      log: false,
    };
  }
  if (error instanceof LimitReached) {
    // A limit of the user's (Send Message's emails an hour): nothing was done; the same works after the wait.
    return {
      body: problem('too-many-emails', 429, sentences(error.errors.map((e) => e.message)), {
        errors: error.errors.map(({ field, message }) => ({ field, message })),
      }),
      headers: { 'retry-after': String(error.retryAfterSeconds) },
      log: false,
    };
  }
  if (error instanceof Invalid) {
    return {
      // Each error's field and English message: a page's catalogue key and its parameters are not the API's.
      body: problem('invalid', 422, sentences(error.errors.map((e) => e.message)), {
        errors: error.errors.map(({ field, message }) => ({ field, message })),
      }),
      headers: {},
      log: false,
    };
  }
  if (error instanceof ZodError) {
    return {
      body: problem(
        'bad-request',
        400,
        'The request could not be read. Check it against the API reference at /api/docs and try again.',
        {
          errors: error.issues.map((issue) => ({
            field: issue.path.join('.'),
            message: issueText(issue),
          })),
        },
      ),
      headers: {},
      log: false,
    };
  }
  if (error instanceof PoolBusy) {
    return {
      body: problem(
        'busy',
        503,
        `s2s is busy checking other files just now and did not take this request. Send it again after ${BUSY_RETRY_SECONDS} seconds.`,
      ),
      headers: { 'retry-after': String(BUSY_RETRY_SECONDS) },
      log: false,
    };
  }
  const status = (error as { statusCode?: number }).statusCode ?? 500;
  const code = (error as { code?: string }).code ?? '';
  const bodyProblem = BODY_PROBLEMS[code];
  if (bodyProblem) {
    return { body: problem(bodyProblem.type, status, bodyProblem.detail), headers: {}, log: false };
  }
  if (status === 429) {
    const retry = Math.max(1, Math.ceil(Number((error as { ttl?: number }).ttl ?? 60_000) / 1000));
    return {
      body: problem(
        'too-many-requests',
        429,
        `This token has made more requests than s2s allows in a minute. Wait ${retry} seconds and try again; a program should slow down.`,
      ),
      headers: { 'retry-after': String(retry) },
      log: false,
    };
  }
  if (status === 413) {
    return {
      body: problem(
        'too-large',
        413,
        'The request was larger than s2s accepts. Send fewer or smaller files.',
      ),
      headers: {},
      log: false,
    };
  }
  if (status >= 400 && status < 500) {
    return {
      body: problem(
        'bad-request',
        status,
        'The request could not be understood. Check it against the API reference at /api/docs and try again.',
      ),
      headers: {},
      log: false,
    };
  }
  return {
    body: problem(
      'server-error',
      500,
      'Something went wrong in s2s. Try again later; if it happens again, contact the service desk.',
    ),
    headers: {},
    log: true,
  };
}

/**
 * A validator's finding in words a client's developer can act on, naming the field and what it takes
 * (the validator's own words name neither: "Invalid option: expected one of ...").
 */
function issueText(issue: ZodError['issues'][number]): string {
  const field = issue.path.join('.') || 'The body';
  switch (issue.code) {
    case 'invalid_value':
      return `${field} must be one of: ${issue.values.map(String).join(', ')}.`;
    case 'invalid_type':
      return issue.input === undefined ? `${field} is missing.` : `${field} must be a ${issue.expected}.`;
    case 'unrecognized_keys':
      return `${issue.keys.join(', ')} ${issue.keys.length === 1 ? 'is not a field' : 'are not fields'} this operation takes.`;
    case 'too_small':
      return `${field} must be at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters long' : ''}.`;
    case 'too_big':
      return `${field} must be at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters long' : ''}.`;
    default:
      return `${field}: ${issue.message}`;
  }
}
