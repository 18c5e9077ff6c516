// The web edge of the School Report (handbook §10, LA notes §7.2) and Generic / Other file movements
// (handbook §10, LA notes §7.6), which differ only in their files and columns:
//
//   GET /reports/school?from-day=..&la=..&school=..&run=1         criteria, and the report once run
//   GET /reports/school/csv?...                                    every row, streamed as a CSV file
//   GET /reports/file-movements?...  and  /reports/file-movements/csv?...
//
// Newest first: the page shows the newest PAGE_LIMIT rows and says so when there are more; the CSV has
// them all, in the same order. Both
// have the same cells but for their dates: "3 Nov 2026 09:05" on the page, "2026-11-03 09:05" in the CSV.
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { scopeOf } from '../auth/permissions.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { Invalid } from '../platform/errors.ts';
import { oneValue } from '../platform/web/form-values.ts';
import { ReportDownloads } from './downloads.ts';
import {
  FileMovementReportService,
  type MovementCriteria,
  type MovementFiles,
  movementCells,
  movementColumnKeys,
  PAGE_LIMIT,
  reportDateTime,
} from './file-movement-service.ts';
import {
  BACK_TO_REPORTS,
  csvResponse,
  dateRangeOf,
  dateRangeQuery,
  queryStringOf,
  subjectIn,
} from './web.ts';

const criteriaQuery = dateRangeQuery.extend({ la: oneValue, school: oneValue });

function criteriaOf(query: z.output<typeof criteriaQuery>): MovementCriteria {
  return { ...dateRangeOf(query), la: query.la, school: query.school };
}

interface MovementReport {
  url: string;
  /** The catalogue key of its title (its menu label). */
  title: string;
  /** Its CSV file (downloads.ts). */
  download: 'school' | 'file-movements';
  files: MovementFiles;
  /** The catalogue keys of its introduction, for each kind of role. */
  intro: { school: string; la: string; national: string };
  /** Right-aligned columns (numbers), by key. */
  numeric: string[];
}

const REPORTS: MovementReport[] = [
  {
    url: '/reports/school',
    title: 'menu.reports.school',
    download: 'school',
    files: 'ctf',
    intro: {
      school: 'reports.school.intro.school',
      la: 'reports.school.intro.la',
      national: 'reports.school.intro.national',
    },
    numeric: ['reports.column.pupils'],
  },
  {
    url: '/reports/file-movements',
    title: 'menu.reports.file-movements',
    download: 'file-movements',
    files: 'other',
    intro: {
      school: 'reports.file-movements.intro.school',
      la: 'reports.file-movements.intro.la',
      national: 'reports.file-movements.intro.national',
    },
    numeric: [],
  },
];

function reportRoutes(
  service: FileMovementReportService,
  downloads: ReportDownloads,
  report: MovementReport,
): Route[] {
  return [
    {
      method: 'GET',
      url: report.url,
      access: 'reports.usage',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = criteriaQuery.parse(request.query ?? {});
        const page = async (data: Record<string, unknown>, code = 200) =>
          reply.code(code).page('reports/views/file-movement.njk', {
            title: request.t(report.title),
            action: report.url,
            intro: request.t(report.intro[scopeOf(user.role)]),
            query,
            role: user.role,
            choices: await service.choices(user, query.la),
            backLink: { href: '/reports', text: request.t(BACK_TO_REPORTS) },
            ...data,
          });
        if (!query.run) return page({});
        try {
          const result = await service.page(user, report.files, criteriaOf(query));
          return page({
            report: subjectIn(request.language, result),
            columns: movementColumnKeys(report.files, result.scope).map((key) => ({
              label: request.t(key),
              numeric: report.numeric.includes(key),
            })),
            rows: result.rows.map((row) =>
              movementCells(
                report.files,
                result.scope,
                row,
                (value) => reportDateTime(value, request.language),
                request.language,
              ),
            ),
            pageLimit: PAGE_LIMIT,
            csvHref: `${report.url}/csv?${queryStringOf(request.url)}`,
          });
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return page({ errors: error.errors }, 400);
        }
      },
    },
    {
      method: 'GET',
      url: `${report.url}/csv`,
      access: 'reports.usage',
      handler: async (request, reply: FastifyReply) => {
        const user = signedInUser(request);
        const query = criteriaQuery.parse(request.query ?? {});
        return csvResponse(request, reply, report.url, () =>
          downloads.csv(user, report.download, criteriaOf(query), request.language),
        );
      },
    },
  ];
}

export function fileMovementReportRoutes(deps: Pick<Deps, 'db' | 'clock'>): Route[] {
  const service = new FileMovementReportService(deps);
  const downloads = new ReportDownloads(deps);
  return REPORTS.flatMap((report) => reportRoutes(service, downloads, report));
}
