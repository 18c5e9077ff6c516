// "For each report it is possible to set a date range. If the 'from' date is left blank then it will include
// all records in the system. The 'to' date will default to today's date." (LA notes §7). Dates are London
// dates and both ends are included: a range is the instants from the start of its first day to the start
// of the day after its last.
import { addDays, londonDate, startOfLondonDay } from '../platform/dates.ts';
import type { FieldError } from '../platform/errors.ts';

export interface DateRangeInput {
  fromDay?: string;
  fromMonth?: string;
  fromYear?: string;
  toDay?: string;
  toMonth?: string;
  toYear?: string;
}

export interface DateRange {
  /** The first London date included, or null for "all records". */
  from: string | null;
  /** The last London date included. */
  to: string;
  /** ISO instants for queries: at or after `since` (when given), before `until`. */
  since: string | null;
  until: string;
}

/** Reads the From and To of a report's form; a blank To is today. */
export function readDateRange(
  input: DateRangeInput,
  now: Date,
): { range: DateRange; errors: FieldError[] } | { range: null; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const from = readDate('from', 'From', [input.fromDay, input.fromMonth, input.fromYear], errors);
  const to = readDate('to', 'To', [input.toDay, input.toMonth, input.toYear], errors) ?? londonDate(now);
  if (errors.length > 0) return { range: null, errors };
  if (from && from > to) {
    return {
      range: null,
      errors: [{ field: 'from-day', message: 'The From date must be on or before the To date' }],
    };
  }
  return {
    range: {
      from,
      to,
      since: from ? startOfLondonDay(from).toISOString() : null,
      until: startOfLondonDay(addDays(to, 1)).toISOString(),
    },
    errors,
  };
}

/** One date of three fields: blank (null), or a real date; otherwise an error saying what to enter. */
function readDate(
  name: 'from' | 'to',
  label: string,
  [day, month, year]: (string | undefined)[],
  errors: FieldError[],
): string | null {
  const parts = [day, month, year].map((p) => (p ?? '').trim());
  if (parts.every((p) => p === '')) return null;
  const [d, m, y] = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : Number.NaN)) as [number, number, number];
  const field = `${name}-${Number.isNaN(d) || parts[0] === '' ? 'day' : Number.isNaN(m) || parts[1] === '' ? 'month' : 'year'}`;
  if (parts.some((p) => p === '')) {
    errors.push({ field, message: `The ${label} date must include a day, month and year, like 1 9 2026` });
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
    errors.push({ field: `${name}-day`, message: `The ${label} date must be a real date, like 1 9 2026` });
    return null;
  }
  return date.toISOString().slice(0, 10);
}
