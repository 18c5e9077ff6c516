// Typed errors raised by the domain; the web edge maps each to a page and status in one place.

/** One problem with one form field, shown in a GOV.UK error summary and beside the field. */
export interface FieldError {
  field: string;
  message: string;
}

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

export class NotFound extends AppError {
  constructor(readonly what: string) {
    super(`${what} was not found`);
  }
}

export class Forbidden extends AppError {
  constructor(message = 'You do not have permission to do that') {
    super(message);
  }
}

/** The field errors of an Invalid, for a form shown again; any other error is thrown on. */
export function invalidErrors(error: unknown): FieldError[] {
  if (error instanceof Invalid) return error.errors;
  throw error;
}
