// "For each report it is possible to set a date range. If the 'from' date is left blank then it will include
// all records in the system. The 'to' date will default to today's date." (LA notes §7). Dates are London
// dates and both ends are included: a range is the instants from the start of its first day to the start
// of the day after its last.
import { addDays, londonDate, startOfLondonDay } from '../platform/dates.ts';
import type { FieldError } from '../platform/errors.ts';
import { keyedError } from '../platform/i18n/catalogue.ts';
import { readDateInput } from '../platform/web/date-input.ts';

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
  const read: FieldError[] = [];
  const from = readDateInput('from', 'From date', [input.fromDay, input.fromMonth, input.fromYear], read);
  const to =
    readDateInput('to', 'To date', [input.toDay, input.toMonth, input.toYear], read) ?? londonDate(now);
  const errors = read.map(keyedDateError);
  if (errors.length > 0) return { range: null, errors };
  if (from && from > to) {
    return { range: null, errors: [keyedError('from-day', 'reports.errors.from-after-to')] };
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

/**
 * readDateInput's error (platform/web/date-input.ts, still English only) with its key, so the page shows
 * it in the reader's language: the English stays the same.
 */
function keyedDateError(error: FieldError): FieldError {
  const end = error.field.startsWith('from') ? 'from' : 'to';
  if (error.message.includes('must include a day, month and year')) {
    return keyedError(
      error.field,
      end === 'from' ? 'reports.errors.from-incomplete' : 'reports.errors.to-incomplete',
    );
  }
  if (error.message.includes('must be a real date')) {
    return keyedError(
      error.field,
      end === 'from' ? 'reports.errors.from-not-real' : 'reports.errors.to-not-real',
    );
  }
  return error;
}
