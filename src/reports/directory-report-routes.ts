import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { roleLabelIn } from '../auth/permissions.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { Invalid } from '../platform/errors.ts';
import { oneValue } from '../platform/web/form-values.ts';
import { DirectoryReportService, LA_ACCOUNT_ROLES } from './directory-report-service.ts';
import { ReportDownloads } from './downloads.ts';
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

const usersQuery = dateRangeQuery.extend({ la: oneValue, role: oneValue });
const schoolsQuery = z.object({ la: oneValue, status: oneValue, run: oneValue });

export function directoryReportRoutes(deps: Pick<Deps, 'db' | 'clock'>): Route[] {
  const service = new DirectoryReportService(deps);
  const downloads = new ReportDownloads(deps);

  const backLink = (request: FastifyRequest) => ({ href: '/reports', text: request.t(BACK_TO_REPORTS) });
  const roleItems = (request: FastifyRequest, chosen: string | undefined) => [
    { value: '', text: request.t('reports.users.all-roles') },
    ...LA_ACCOUNT_ROLES.map((role) => ({
      value: role,
      text: roleLabelIn(request.language, role),
      selected: role === chosen,
    })),
  ];

  /** GET page + CSV for School List and Base User, which share their criteria (LA, open or all). */
  const schoolReport = (spec: {
    url: string;
    title: string;
    view: string;
    /** Its CSV file (downloads.ts). */
    download: 'schools' | 'base-users';
    run: (
      user: ReturnType<typeof signedInUser>,
      query: z.output<typeof schoolsQuery>,
    ) => Promise<{ subject: Subject }>;
  }): Route[] => [
    {
      method: 'GET',
      url: spec.url,
      access: 'users.view',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = schoolsQuery.parse(request.query ?? {});
        const page = async (data: Record<string, unknown>, code = 200) =>
          reply.code(code).page(spec.view, {
            title: request.t(spec.title),
            query,
            role: user.role,
            las: await service.laChoices(user),
            pageRows: PAGE_ROWS,
            backLink: backLink(request),
            ...data,
          });
        if (!query.run) return page({});
        try {
          const report = await spec.run(user, query);
          return page({
            report: subjectIn(request.language, report),
            csvHref: `${spec.url}/csv?${queryStringOf(request.url)}`,
          });
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return page({ errors: error.errors }, 400);
        }
      },
    },
    {
      method: 'GET',
      url: `${spec.url}/csv`,
      access: 'users.view',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = schoolsQuery.parse(request.query ?? {});
        return csvResponse(request, reply, spec.url, () =>
          downloads.csv(user, spec.download, { la: query.la, status: query.status }, request.language),
        );
      },
    },
  ];

  return [
    {
      method: 'GET',
      url: '/reports/users',
      access: 'users.view',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = usersQuery.parse(request.query ?? {});
        const page = async (data: Record<string, unknown>, code = 200) =>
          reply.code(code).page('reports/views/directory-users.njk', {
            title: request.t('menu.reports.users'),
            query,
            role: user.role,
            las: await service.laChoices(user),
            roleItems: roleItems(request, query.role),
            pageRows: PAGE_ROWS,
            backLink: backLink(request),
            ...data,
          });
        if (!query.run) return page({});
        try {
          const report = await service.users(user, { ...dateRangeOf(query), la: query.la, role: query.role });
          // The roles in the reader's language (the service's labels are the CSV's English).
          const roleLabel = (role: string) => roleLabelIn(request.language, role);
          return page({
            report: subjectIn(request.language, {
              ...report,
              roleLabel: report.role ? roleLabel(report.role) : null,
              rows: report.rows.map((row) => ({ ...row, roleLabel: roleLabel(row.role) })),
            }),
            csvHref: `/reports/users/csv?${queryStringOf(request.url)}`,
          });
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return page({ errors: error.errors }, 400);
        }
      },
    },
    {
      method: 'GET',
      url: '/reports/users/csv',
      access: 'users.view',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = usersQuery.parse(request.query ?? {});
        return csvResponse(request, reply, '/reports/users', () =>
          downloads.csv(
            user,
            'users',
            { ...dateRangeOf(query), la: query.la, role: query.role },
            request.language,
          ),
        );
      },
    },
    ...schoolReport({
      url: '/reports/schools',
      title: 'menu.reports.schools',
      view: 'reports/views/directory-schools.njk',
      download: 'schools',
      run: (user, query) => service.schools(user, { la: query.la, status: query.status }),
    }),
    ...schoolReport({
      url: '/reports/base-users',
      title: 'menu.reports.base-users',
      view: 'reports/views/directory-base-users.njk',
      download: 'base-users',
      run: (user, query) => service.baseUsers(user, { la: query.la, status: query.status }),
    }),
    {
      // The page is GET /reports/message-report (messaging/routes.ts): the same rows, as a file.
      method: 'GET',
      url: '/reports/message-report/csv',
      access: 'reports.message-report',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = dateRangeQuery.parse(request.query ?? {});
        return csvResponse(request, reply, '/reports/message-report', () =>
          downloads.csv(user, 'message-report', dateRangeOf(query), request.language),
        );
      },
    },
  ];
}
