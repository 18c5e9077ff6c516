// Typed errors raised by the domain; the web edge maps each to a page and status in one place.
import { type Message, translateMessage } from './i18n/catalogue.ts';

/**
 * One problem with one form field, shown in a GOV.UK error summary and beside the field. `message` is
 * English; a translated one also has its catalogue `key` (platform/i18n keyedError), and pages show that
 * in the reader's language.
 */
export interface FieldError {
  field: string;
  message: string;
  key?: string;
  params?: Message['params'];
  /** The keyed text is a clause (a reason worked out elsewhere): pages show it as a sentence. */
  asSentence?: true;
  /** Of a date input's error: the boxes it marks (without it, the page marks all three). */
  boxes?: DateBox[];
}

/** The boxes of a GOV.UK date input. */
export type DateBox = 'day' | 'month' | 'year';

export class AppError extends Error {}

/** The request is well formed but breaks a rule; the page is shown again with the reasons. */
export class Invalid extends AppError {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => e.message).join('; '));
  }
  static field(field: string, message: string): Invalid {
    return new Invalid([{ field, message }]);
  }
}

/**
 * A rule broken only for now: a limit of so many in a time, reached. Nothing was done; the same request
 * may succeed after `retryAfterSeconds` (the pages answer 429, the API 429 with Retry-After).
 */
export class LimitReached extends Invalid {
  constructor(
    errors: FieldError[],
    readonly retryAfterSeconds: number,
  ) {
    super(errors);
  }
}

export class NotFound extends AppError {
  /** What was not found, in English: logs and the REST API. */
  readonly what: string;
  /** `subject` names what was not found ("The file"): the not-found page says it in the reader's language. */
  constructor(readonly subject: Message) {
    const what = translateMessage('en', subject);
    super(`${what} was not found`);
    this.what = what;
  }
}

export class Forbidden extends AppError {
  /** The message's catalogue key, when it has one: the forbidden page shows it in the reader's language. */
  readonly key: string | undefined;
  /** The parameters of the keyed message (a role's name...). */
  readonly params: Message['params'];
  /**
   * Whether another role could do it: the page then says who changes roles. False for a rule that holds
   * whatever the role (your own account, a file not yet attested), where a new role would not help.
   */
  readonly byRole: boolean;
  constructor(
    message?: string,
    key?: string,
    params?: Message['params'],
    options: { byRole?: boolean } = {},
  ) {
    super(message ?? 'You do not have permission to do that');
    this.key = key ?? (message === undefined ? 'errors.forbidden.no-permission' : undefined);
    this.params = params;
    this.byRole = options.byRole ?? true;
  }
}

/** The field errors of an Invalid, for a form shown again; any other error is thrown on. */
export function invalidErrors(error: unknown): FieldError[] {
  if (error instanceof Invalid) return error.errors;
  throw error;
}
