// The web edge of General Usage/Volume (handbook §10, LA notes §7.1):
//
//   GET /reports/general-usage?from-day=..&to-day=..&scope=..&run=1   criteria, and the report once run
//   GET /reports/general-usage/csv?...                                 the same report as a CSV file
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { type Route, sectionRoute, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { Invalid } from '../platform/errors.ts';
import { message } from '../platform/i18n/catalogue.ts';
import { manyValues, oneValue } from '../platform/web/form-values.ts';
import { monthlyChart } from './chart.ts';
import { ReportDownloads } from './downloads.ts';
import { MAX_SELECTED_SCHOOLS, type UsageCriteria, UsageReportService } from './usage-service.ts';
import {
  BACK_TO_REPORTS,
  csvResponse,
  dateRangeOf,
  dateRangeQuery,
  queryStringOf,
  subjectIn,
} from './web.ts';

const criteriaQuery = dateRangeQuery.extend({ la: oneValue, scope: oneValue, schools: manyValues });

function criteriaOf(query: z.output<typeof criteriaQuery>): UsageCriteria {
  return { ...dateRangeOf(query), la: query.la, scope: query.scope, schools: query.schools };
}

export function usageReportRoutes(deps: Pick<Deps, 'db' | 'clock'>): Route[] {
  const service = new UsageReportService(deps);
  const downloads = new ReportDownloads(deps);
  return [
    // "Please choose a report from the list below" (LA notes §7).
    sectionRoute('/reports', message('reports.section.intro')),
    {
      method: 'GET',
      url: '/reports/general-usage',
      access: 'reports.usage',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = criteriaQuery.parse(request.query ?? {});
        const criteria = criteriaOf(query);
        const page = async (data: Record<string, unknown>, code = 200) =>
          reply.code(code).page('reports/views/usage.njk', {
            title: request.t('menu.reports.general-usage'),
            query,
            role: user.role,
            choices: await service.choices(user, query.la),
            maxSchools: MAX_SELECTED_SCHOOLS,
            backLink: { href: '/reports', text: request.t(BACK_TO_REPORTS) },
            ...data,
          });
        if (!query.run) return page({});
        try {
          const report = await service.run(user, criteria);
          const csvQuery = queryStringOf(request.url);
          return page({
            report: subjectIn(request.language, report),
            chart: monthlyChart(report.months, request.language),
            csvHref: `/reports/general-usage/csv?${csvQuery}`,
          });
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return page({ errors: error.errors }, 400);
        }
      },
    },
    {
      method: 'GET',
      url: '/reports/general-usage/csv',
      access: 'reports.usage',
      handler: async (request, reply: FastifyReply) => {
        const user = signedInUser(request);
        const query = criteriaQuery.parse(request.query ?? {});
        return csvResponse(request, reply, '/reports/general-usage', () =>
          downloads.csv(user, 'general-usage', criteriaOf(query), request.language),
        );
      },
    },
  ];
}
