// "For each report it is possible to set a date range. If the 'from' date is left blank then it will include
// all records in the system. The 'to' date will default to today's date." (LA notes §7). Dates are London
// dates and both ends are included: a range is the instants from the start of its first day to the start
// of the day after its last.

import { readDateInput } from '../platform/date-boxes.ts';
import { addDays, londonDate, startOfLondonDay } from '../platform/dates.ts';
import type { FieldError } from '../platform/errors.ts';
import { keyedError, message } from '../platform/i18n/catalogue.ts';

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

/** The date inputs as their errors name them: "The From date must be a real date". */
export const FROM_DATE = message('reports.date.from');
export const TO_DATE = message('reports.date.to');

/** Reads the From and To of a report's form; a blank To is today. */
export function readDateRange(
  input: DateRangeInput,
  now: Date,
): { range: DateRange; errors: FieldError[] } | { range: null; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const from = readDateInput('from', FROM_DATE, [input.fromDay, input.fromMonth, input.fromYear], errors);
  const to =
    readDateInput('to', TO_DATE, [input.toDay, input.toMonth, input.toYear], errors) ?? londonDate(now);
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
