// The web edge of the Lost Pupil reports (LA notes §7.4-7.5), each a page and its CSV:
//
//   GET /reports/lost-pupil-numbers?from-day=..&to-day=..&la=..&run=1        uploaded/downloaded by age, gender
//   GET /reports/lost-pupils-uploaded?..&download=..&type=..&run=1           the pupils the LA's schools uploaded
//   GET /reports/lost-pupils-downloaded?..&run=1                             the pupils whose files the LA found
//   GET .../csv?...                                                          the same report as a CSV file
//
// The last two hold pupils' names: nothing here logs a report's rows or its query's results.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { Invalid } from '../platform/errors.ts';
import { type Language, translate } from '../platform/i18n/catalogue.ts';
import { oneValue } from '../platform/web/form-values.ts';
import { type CsvReportName, ReportDownloads } from './downloads.ts';
import {
  DOWNLOAD_STATUSES,
  finderLaName,
  genderName,
  type ListReport,
  LOST_PUPIL_TYPES,
  LostPupilReportService,
  type NumbersReport,
  type NumbersRow,
  statusName,
  typeName,
  uploaderLaName,
  uploaderName,
} from './lost-pupil-report-service.ts';
import { PAGE_ROWS } from './paging.ts';
import type { Subject } from './report-la.ts';
import {
  BACK_TO_REPORTS,
  csvResponse,
  dateRangeOf,
  dateRangeQuery,
  queryStringOf,
  subjectIn,
} from './web.ts';

const criteriaQuery = dateRangeQuery.extend({ la: oneValue, download: oneValue, type: oneValue });
type Query = z.output<typeof criteriaQuery>;

function criteriaOf(query: Query) {
  return { ...dateRangeOf(query), la: query.la, download: query.download, type: query.type };
}

interface ReportRoutes<R extends { subject: Subject }> {
  path: string;
  /** Its CSV file (downloads.ts). */
  download: CsvReportName;
  /** The catalogue key of its title (its menu label). */
  title: string;
  view: string;
  run: (service: LostPupilReportService, actor: Actor, query: Query) => Promise<R>;
  /** The report as its page shows it (the rows' words worked out once). */
  display?: (report: R, language: Language) => R;
}

function routesOf<R extends { subject: Subject }>(
  service: LostPupilReportService,
  downloads: ReportDownloads,
  report: ReportRoutes<R>,
): Route[] {
  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    const user = signedInUser(request);
    const query = criteriaQuery.parse(request.query ?? {});
    const render = async (data: Record<string, unknown>, code = 200) =>
      reply.code(code).page(report.view, {
        title: request.t(report.title),
        action: report.path,
        query,
        role: user.role,
        las: await service.las(user),
        downloadStatuses: DOWNLOAD_STATUSES.map((s) => ({ value: s.value, text: request.t(s.key) })),
        types: LOST_PUPIL_TYPES.map((s) => ({ value: s.value, text: request.t(s.key) })),
        pageRows: PAGE_ROWS,
        backLink: { href: '/reports', text: request.t(BACK_TO_REPORTS) },
        ...data,
      });
    if (!query.run) return render({});
    try {
      const result = await report.run(service, user, query);
      return render({
        report: subjectIn(request.language, report.display?.(result, request.language) ?? result),
        csvHref: `${report.path}/csv?${queryStringOf(request.url)}`,
      });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      return render({ errors: error.errors }, 400);
    }
  };
  const csv = async (request: FastifyRequest, reply: FastifyReply) => {
    const user = signedInUser(request);
    const query = criteriaQuery.parse(request.query ?? {});
    return csvResponse(request, reply, report.path, () =>
      downloads.csv(user, report.download, criteriaOf(query), request.language),
    );
  };
  return [
    { method: 'GET', url: report.path, access: 'reports.lost-pupils', handler: page },
    { method: 'GET', url: `${report.path}/csv`, access: 'reports.lost-pupils', handler: csv },
  ];
}

/** The counts with the words the page shows: "Unknown" age or gender in the page's language. */
function displayNumbers(report: NumbersReport, language: Language): NumbersReport {
  const unknown = (value: string) =>
    value === 'Unknown' ? translate(language, 'reports.lost-pupils.unknown') : value;
  return {
    ...report,
    rows: report.rows.map((r) => ({
      ...r,
      age: unknown(r.age),
      gender: unknown(r.gender) as NumbersRow['gender'],
    })),
  };
}

/** A listed pupil with the words the page shows. */
function displayList<R extends ListReport>(report: R, language: Language): R {
  return {
    ...report,
    rows: report.rows.map((r) => ({
      ...r,
      school: uploaderName(r),
      la: uploaderLaName(r),
      finderLa: finderLaName(r),
      genderName: genderName(r.gender, language),
      typeName: typeName(r.reason, language),
      statusName: statusName(r.status, language),
    })),
  };
}

export function lostPupilReportRoutes(deps: Pick<Deps, 'db' | 'clock'>): Route[] {
  const service = new LostPupilReportService(deps);
  const downloads = new ReportDownloads(deps);
  return [
    ...routesOf(service, downloads, {
      path: '/reports/lost-pupil-numbers',
      download: 'lost-pupil-numbers',
      title: 'menu.reports.lost-pupil-numbers',
      view: 'reports/views/lost-pupil-numbers.njk',
      run: (s, actor, query) => s.numbers(actor, criteriaOf(query)),
      display: displayNumbers,
    }),
    ...routesOf(service, downloads, {
      path: '/reports/lost-pupils-uploaded',
      download: 'lost-pupils-uploaded',
      title: 'menu.reports.lost-pupils-uploaded',
      view: 'reports/views/lost-pupils-uploaded.njk',
      run: (s, actor, query) => s.uploaded(actor, criteriaOf(query)),
      display: displayList,
    }),
    ...routesOf(service, downloads, {
      path: '/reports/lost-pupils-downloaded',
      download: 'lost-pupils-downloaded',
      title: 'menu.reports.lost-pupils-downloaded',
      view: 'reports/views/lost-pupils-downloaded.njk',
      run: (s, actor, query) => s.downloaded(actor, criteriaOf(query)),
      display: displayList,
    }),
  ];
}
