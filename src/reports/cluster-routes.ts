import type { z } from 'zod';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { Invalid } from '../platform/errors.ts';
import { translateMessage } from '../platform/i18n/catalogue.ts';
import { manyValues, oneValue } from '../platform/web/form-values.ts';
import { type ClusterCriteria, ClusterReportService, MAX_LAS, MAX_OTHER_LAS } from './cluster-service.ts';
import { DeletedCtfsReportService } from './deleted-ctfs-service.ts';
import { ReportDownloads } from './downloads.ts';
import {
  BACK_TO_REPORTS,
  csvResponse,
  dateRangeOf,
  dateRangeQuery,
  queryStringOf,
  subjectIn,
} from './web.ts';

const clusterQuery = dateRangeQuery.extend({ scope: oneValue, las: manyValues });
const deletedQuery = dateRangeQuery.extend({ la: oneValue });

function clusterCriteriaOf(query: z.output<typeof clusterQuery>): ClusterCriteria {
  return { ...dateRangeOf(query), scope: query.scope, las: query.las };
}

export function clusterReportRoutes(deps: Pick<Deps, 'db' | 'clock'>): Route[] {
  const cluster = new ClusterReportService(deps);
  const deleted = new DeletedCtfsReportService(deps);
  const downloads = new ReportDownloads(deps);
  return [
    {
      method: 'GET',
      url: '/reports/cluster',
      access: 'reports.la',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = clusterQuery.parse(request.query ?? {});
        const criteria = clusterCriteriaOf(query);
        const page = async (data: Record<string, unknown>, code = 200) =>
          reply.code(code).page('reports/views/cluster.njk', {
            title: request.t('menu.reports.cluster'),
            query,
            role: user.role,
            choices: await cluster.choices(user),
            maxOthers: MAX_OTHER_LAS,
            maxLas: MAX_LAS,
            backLink: { href: '/reports', text: request.t(BACK_TO_REPORTS) },
            ...data,
          });
        if (!query.run) return page({});
        try {
          const csvHref = `/reports/cluster/csv?${queryStringOf(request.url)}`;
          const plan = await cluster.plan(user, criteria);
          // Every LA, or all Wales, is too large to show: the page offers the CSV file (LA notes §7.3).
          if (plan.all || plan.wales) return page({ plan, csvHref });
          return page({
            plan,
            report: subjectIn(request.language, await cluster.run(user, criteria)),
            csvHref,
          });
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return page({ errors: error.errors }, 400);
        }
      },
    },
    {
      method: 'GET',
      url: '/reports/cluster/csv',
      access: 'reports.la',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = clusterQuery.parse(request.query ?? {});
        return csvResponse(request, reply, '/reports/cluster', () =>
          downloads.csv(user, 'cluster', clusterCriteriaOf(query), request.language),
        );
      },
    },
    {
      method: 'GET',
      url: '/reports/deleted-ctfs',
      access: 'reports.la',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = deletedQuery.parse(request.query ?? {});
        const page = async (data: Record<string, unknown>, code = 200) =>
          reply.code(code).page('reports/views/deleted-ctfs.njk', {
            title: request.t('menu.reports.deleted-ctfs'),
            query,
            role: user.role,
            las: await deleted.choices(user),
            backLink: { href: '/reports', text: request.t(BACK_TO_REPORTS) },
            ...data,
          });
        if (!query.run) return page({});
        try {
          const report = await deleted.run(user, { ...dateRangeOf(query), la: query.la });
          return page({
            report: {
              ...subjectIn(request.language, report),
              rows: report.rows.map((row) => ({
                ...row,
                actionText: translateMessage(request.language, row.actionMessage),
              })),
            },
            csvHref: `/reports/deleted-ctfs/csv?${queryStringOf(request.url)}`,
          });
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return page({ errors: error.errors }, 400);
        }
      },
    },
    {
      method: 'GET',
      url: '/reports/deleted-ctfs/csv',
      access: 'reports.la',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = deletedQuery.parse(request.query ?? {});
        return csvResponse(request, reply, '/reports/deleted-ctfs', () =>
          downloads.csv(user, 'deleted-ctfs', { ...dateRangeOf(query), la: query.la }, request.language),
        );
      },
    },
  ];
}
