// The query string every report's form sends (GET, so a report can be bookmarked and its CSV link is the
// same criteria): From and To as GOV.UK date inputs, and whatever else the report asks.
import { z } from 'zod';
import { oneValue } from '../platform/web/form-values.ts';
import type { DateRangeInput } from './date-range.ts';

export const dateRangeQuery = z.object({
  'from-day': oneValue,
  'from-month': oneValue,
  'from-year': oneValue,
  'to-day': oneValue,
  'to-month': oneValue,
  'to-year': oneValue,
  /** Present once Run Report has been pressed. */
  run: oneValue,
});

export function dateRangeOf(query: z.output<typeof dateRangeQuery>): DateRangeInput {
  return {
    fromDay: query['from-day'],
    fromMonth: query['from-month'],
    fromYear: query['from-year'],
    toDay: query['to-day'],
    toMonth: query['to-month'],
    toYear: query['to-year'],
  };
}

/** The request's own query string: the CSV link carries exactly the criteria of the page. */
export function queryStringOf(url: string): URLSearchParams {
  return new URLSearchParams(url.split('?')[1] ?? '');
}
