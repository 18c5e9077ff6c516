// The web edge of the School Report (handbook §10, LA notes §7.2) and Generic / Other file movements
// (handbook §10, LA notes §7.6), which differ only in their files and columns:
//
//   GET /reports/school?from-day=..&la=..&school=..&run=1         criteria, and the report once run
//   GET /reports/school/csv?...                                    every row, streamed as a CSV file
//   GET /reports/file-movements?...  and  /reports/file-movements/csv?...
//
// The page shows the first PAGE_LIMIT rows and says so when there are more; the CSV has them all. Both
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
  movementColumns,
  PAGE_LIMIT,
  reportDateTime,
} from './file-movement-service.ts';
import { dateRangeOf, dateRangeQuery, queryStringOf } from './query.ts';
import { csvResponse } from './web.ts';

const criteriaQuery = dateRangeQuery.extend({ la: oneValue, school: oneValue });

function criteriaOf(query: z.output<typeof criteriaQuery>): MovementCriteria {
  return { ...dateRangeOf(query), la: query.la, school: query.school };
}

interface MovementReport {
  url: string;
  title: string;
  /** Its CSV file (downloads.ts). */
  download: 'school' | 'file-movements';
  files: MovementFiles;
  intro: { school: string; la: string; national: string };
  /** Right-aligned columns (numbers). */
  numeric: string[];
}

const REPORTS: MovementReport[] = [
  {
    url: '/reports/school',
    title: 'School Report',
    download: 'school',
    files: 'ctf',
    intro: {
      school:
        'Each CTF your school sent or received: where it came from and went to, when it was uploaded and first downloaded, what became of it and how many pupils it held.',
      la: 'Each CTF sent or received by your schools (choose one school, or all): where it came from and went to, when it was uploaded and first downloaded, whether it is awaiting download, and how many pupils it held.',
      national:
        "Each CTF sent or received by an LA's schools (choose the LA, then one school or all; or All LAs): where it came from and went to, when it was uploaded and first downloaded, whether it is awaiting download, and how many pupils it held.",
    },
    numeric: ['Pupils'],
  },
  {
    url: '/reports/file-movements',
    title: 'Generic / Other file movements',
    download: 'file-movements',
    files: 'other',
    intro: {
      school:
        'Each PLASC/School Census, CFR, generic, exclusion and admissions file your school sent or received, with the dates it was uploaded and first downloaded.',
      la: 'Each PLASC/School Census, CFR, generic, exclusion and admissions file sent or received by your schools, your LA and its inboxes (or by one school you choose), with the dates it was uploaded and first downloaded.',
      national:
        'Each PLASC/School Census, CFR, generic, exclusion and admissions file sent or received by an LA, its inboxes and its schools (choose the LA, then one school or all; or All LAs), with the dates it was uploaded and first downloaded.',
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
            title: report.title,
            action: report.url,
            intro: report.intro[scopeOf(user.role)],
            query,
            role: user.role,
            choices: await service.choices(user, query.la),
            backLink: { href: '/reports', text: 'Back to Reports' },
            ...data,
          });
        if (!query.run) return page({});
        try {
          const result = await service.page(user, report.files, criteriaOf(query));
          return page({
            report: result,
            columns: movementColumns(report.files, result.scope).map((label) => ({
              label,
              numeric: report.numeric.includes(label),
            })),
            rows: result.rows.map((row) => movementCells(report.files, result.scope, row, reportDateTime)),
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
          downloads.csv(user, report.download, criteriaOf(query)),
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
