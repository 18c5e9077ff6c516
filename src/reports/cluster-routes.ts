import type { z } from 'zod';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { Invalid } from '../platform/errors.ts';
import { manyValues, oneValue } from '../platform/web/form-values.ts';
import {
  type ClusterCriteria,
  type ClusterReport,
  ClusterReportService,
  MAX_LAS,
  MAX_OTHER_LAS,
} from './cluster-service.ts';
import { type CsvValue, csvDateTime, csvFilename } from './csv.ts';
import { type DeletedCtfsReport, DeletedCtfsReportService } from './deleted-ctfs-service.ts';
import { dateRangeOf, dateRangeQuery, queryStringOf } from './query.ts';
import { csvResponse } from './web.ts';

const CLUSTER_TITLE = 'LEA Cluster Report';
const DELETED_TITLE = 'Delete CTF files Audit Trail';
const BACK = { href: '/reports', text: 'Back to Reports' };

const clusterQuery = dateRangeQuery.extend({ scope: oneValue, las: manyValues });
const deletedQuery = dateRangeQuery.extend({ la: oneValue });

function clusterCriteriaOf(query: z.output<typeof clusterQuery>): ClusterCriteria {
  return { ...dateRangeOf(query), scope: query.scope, las: query.las };
}

function clusterCsv(report: ClusterReport): { header: string[]; rows: CsvValue[][] } {
  const header = ['From LA number', 'From LA', 'To LA number', 'To LA', 'CTFs', 'Pupil records'];
  const rows: CsvValue[][] = report.rows.map((r) => [
    r.from.code,
    r.from.name,
    r.to.code,
    r.to.name,
    r.files,
    r.pupils,
  ]);
  rows.push(['', 'Total', '', '', report.totals.files, report.totals.pupils]);
  return { header, rows };
}

function deletedCsv(report: DeletedCtfsReport): { header: string[]; rows: CsvValue[][] } {
  const header = [
    ...(report.allLas ? ['LA'] : []),
    'Date deleted or forwarded',
    'Action',
    'File name',
    'From',
    'From number',
    'Intended school',
    'Intended school number',
    'Pupils',
    'By',
  ];
  const rows: CsvValue[][] = report.rows.map((r) => [
    ...(report.allLas ? [r.la] : []),
    csvDateTime(r.at),
    r.actionText,
    r.filename,
    r.from.name,
    r.from.code,
    r.intended.name,
    r.intended.code,
    r.pupils,
    r.by,
  ]);
  return { header, rows };
}

export function clusterReportRoutes(deps: Pick<Deps, 'db' | 'clock'>): Route[] {
  const cluster = new ClusterReportService(deps);
  const deleted = new DeletedCtfsReportService(deps);
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
            title: CLUSTER_TITLE,
            query,
            role: user.role,
            choices: await cluster.choices(user),
            maxOthers: MAX_OTHER_LAS,
            maxLas: MAX_LAS,
            backLink: BACK,
            ...data,
          });
        if (!query.run) return page({});
        try {
          const csvHref = `/reports/cluster/csv?${queryStringOf(request.url)}`;
          const plan = await cluster.plan(user, criteria);
          // Every LA is too large to show: the page offers the CSV file (LA notes §7.3).
          if (plan.all) return page({ plan, csvHref });
          return page({ plan, report: await cluster.run(user, criteria), csvHref });
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
        return csvResponse(request, reply, '/reports/cluster', async () => {
          const report = await cluster.run(user, clusterCriteriaOf(query));
          const name = report.all ? 'lea-cluster-all' : 'lea-cluster';
          return { filename: csvFilename(name, report.range.from, report.range.to), ...clusterCsv(report) };
        });
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
            title: DELETED_TITLE,
            query,
            role: user.role,
            las: await deleted.choices(user),
            backLink: BACK,
            ...data,
          });
        if (!query.run) return page({});
        try {
          const report = await deleted.run(user, { ...dateRangeOf(query), la: query.la });
          return page({ report, csvHref: `/reports/deleted-ctfs/csv?${queryStringOf(request.url)}` });
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
        return csvResponse(request, reply, '/reports/deleted-ctfs', async () => {
          const report = await deleted.run(user, { ...dateRangeOf(query), la: query.la });
          return {
            filename: csvFilename('deleted-ctfs', report.range.from, report.range.to),
            ...deletedCsv(report),
          };
        });
      },
    },
  ];
}
