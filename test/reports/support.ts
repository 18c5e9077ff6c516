// What the reports' tests share: a report's subject and its errors as the English pages and the REST API
// read them (services give a subject's key, and errors with their keys, for the pages' languages).
import type { FieldError } from '../../src/platform/errors.ts';
import { textIn } from '../../src/platform/i18n/catalogue.ts';
import type { Subject } from '../../src/reports/report-la.ts';

/** A report's subject in English: "Every LA", "Ashire (916)". */
export function english(subject: Subject): string {
  return textIn('en', subject);
}

/** Errors as the English reader sees them: each field and its English message. */
export function fieldsAndMessages(errors: FieldError[]): { field: string; message: string }[] {
  return errors.map(({ field, message }) => ({ field, message }));
}
