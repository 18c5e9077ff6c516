// A GOV.UK date input (day, month and year boxes) read into an ISO date. The error names the box to fix,
// so the error summary's link lands on it.
import type { FieldError } from '../errors.ts';
import { keyedError, type Message } from '../i18n/catalogue.ts';

/**
 * Reads the boxes of the date input `name` (fields `${name}-day`, `-month`, `-year`): null when all three
 * are blank, the ISO date when they make a real date, otherwise null with an error in `errors` that
 * names the `label` ("From date", "census day"), in the reader's language on pages.
 */
export function readDateInput(
  name: string,
  label: Message,
  [day, month, year]: (string | undefined)[],
  errors: FieldError[],
): string | null {
  const parts = [day, month, year].map((p) => (p ?? '').trim());
  if (parts.every((p) => p === '')) return null;
  const [d, m, y] = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : Number.NaN)) as [number, number, number];
  const field = `${name}-${Number.isNaN(d) || parts[0] === '' ? 'day' : Number.isNaN(m) || parts[1] === '' ? 'month' : 'year'}`;
  if (parts.some((p) => p === '')) {
    errors.push(keyedError(field, 'errors.date-input.incomplete', { label }));
    return null;
  }
  const date = new Date(Date.UTC(y, m - 1, d));
  const valid =
    !Number.isNaN(date.getTime()) &&
    y >= 2000 &&
    y <= 2100 &&
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === m - 1 &&
    date.getUTCDate() === d;
  if (!valid) {
    errors.push(keyedError(`${name}-day`, 'errors.date-input.not-real', { label }));
    return null;
  }
  return date.toISOString().slice(0, 10);
}

/** The day, month and year boxes' values of an ISO date, to fill a date input again. */
export function dateInputValues(isoDate: string | null): { day: string; month: string; year: string } {
  if (!isoDate) return { day: '', month: '', year: '' };
  const [year = '', month = '', day = ''] = isoDate.split('-');
  return { day: String(Number(day)), month: String(Number(month)), year };
}
