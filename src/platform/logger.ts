import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/**
 * The fields of an error a log keeps: what went wrong and where in the code, never the data it was about.
 * pino's own serializer copies every field, and a PostgreSQL error carries the row it refused (`detail`:
 * "Failing row contains (...)", "Key (upn)=(...)") and more (`where`, `hint`, `internalQuery`), which can
 * be pupils' names. `table`, `column`, `constraint`, `schema` and `routine` are names, not values.
 */
const KEPT_ERROR_FIELDS = ['code', 'constraint', 'table', 'column', 'schema', 'routine'] as const;
/** How many errors deep a log follows `cause` and AggregateError's `errors` (a cycle must end). */
const MAX_ERROR_DEPTH = 5;

/** An error as the logs keep it (anything else, such as a string, as it is). */
function loggableError(error: unknown, depth = 0): unknown {
  if (typeof error !== 'object' || error === null) return error;
  if (depth >= MAX_ERROR_DEPTH) return '[cause too deep]';
  const source = error as Record<string, unknown>;
  const kept: Record<string, unknown> = {
    type: error.constructor?.name ?? 'Object',
    message: typeof source.message === 'string' ? source.message : undefined,
  };
  for (const field of KEPT_ERROR_FIELDS) if (source[field] !== undefined) kept[field] = source[field];
  if (typeof source.stack === 'string') kept.stack = source.stack;
  if (source.cause !== undefined) kept.cause = loggableError(source.cause, depth + 1);
  if (error instanceof AggregateError)
    kept.errors = error.errors.map((each) => loggableError(each, depth + 1));
  return kept;
}

/**
 * Structured JSON logs. Request logs carry the method, path (never the query string, which can hold
 * search terms such as pupil names) and status. Secrets are redacted wherever they appear. Errors, under
 * `err` or `error` (or logged alone), keep only the fields of KEPT_ERROR_FIELDS, message and stack.
 */
/** Standard error, written at once (a command's last lines are not lost when it exits). */
export function standardError(): DestinationStream {
  return pino.destination({ dest: 2, sync: true });
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: ['password', '*.password', '*.newPassword', 'req.headers.cookie', 'req.headers.authorization'],
        censor: '[redacted]',
      },
      serializers: { err: loggableError, error: loggableError },
    },
    destination,
  );
}
