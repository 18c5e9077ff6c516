// The web edge every report shares: the query string its form sends (GET, so a report can be bookmarked
// and its CSV link is the same criteria: From and To as GOV.UK date inputs, and whatever else the report
// asks), its CSV download, or the way back to its page when the criteria the CSV link carried are wrong (a
// hand-edited address: the page says what is wrong beside each field).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Invalid } from '../platform/errors.ts';
import { type Language, textIn } from '../platform/i18n/catalogue.ts';
import { oneValue } from '../platform/web/form-values.ts';
import { csvStream } from './csv.ts';
import type { DateRangeInput } from './date-range.ts';
import type { CsvDownload } from './downloads.ts';
import type { Subject } from './report-la.ts';

/** Every report's From and To (each a GOV.UK date input's three boxes), and its Run Report. */
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

/** Sends a report's CSV file (downloads.ts): the pages' Download CSV and the API's reports alike. */
export function sendCsv(reply: FastifyReply, csv: CsvDownload): FastifyReply {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${csv.filename}"`)
    .header('cache-control', 'no-store')
    .send(csvStream(csv.header, csv.rows));
}

/** Sends the report `make` builds as a CSV file, or redirects to `pagePath` with the same criteria run. */
export async function csvResponse(
  request: FastifyRequest,
  reply: FastifyReply,
  pagePath: string,
  make: () => Promise<CsvDownload>,
): Promise<FastifyReply> {
  try {
    return sendCsv(reply, await make());
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    const criteria = queryStringOf(request.url);
    criteria.set('run', '1');
    return reply.redirect(`${pagePath}?${criteria}`);
  }
}

/** The key of every report page's back link. */
export const BACK_TO_REPORTS = 'reports.common.back-to-reports';

/** A report with its subject ("Every LA", "Ashire (916)") in words of `language`, for its page. */
export function subjectIn<R extends { subject: Subject }>(
  language: Language,
  report: R,
): R & { subject: string } {
  const { subject } = report;
  return { ...report, subject: textIn(language, subject) };
}
