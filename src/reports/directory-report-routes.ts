import { z } from 'zod';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { MessagesService } from '../messaging/service.ts';
import { londonDate } from '../platform/dates.ts';
import { Invalid } from '../platform/errors.ts';
import { oneValue } from '../platform/web/form-values.ts';
import { type CsvValue, csvDate, csvDateTime, csvFilename } from './csv.ts';
import {
  type BaseUserReport,
  DirectoryReportService,
  LA_ACCOUNT_ROLES,
  roleLabelOf,
  type SchoolListReport,
  type UserReport,
} from './directory-report-service.ts';
import { dateRangeOf, dateRangeQuery, queryStringOf } from './query.ts';
import { csvResponse } from './web.ts';

const usersQuery = dateRangeQuery.extend({ la: oneValue, role: oneValue });
const schoolsQuery = z.object({ la: oneValue, status: oneValue, run: oneValue });

/** What the page and the CSV both show when an account has never signed in. */
export const NEVER = 'Never';
/** What the Base User Report shows for a school without any account. */
export const NO_USERS = 'No users';

const yesNo = (value: boolean) => (value ? 'Yes' : 'No');

/** With every LA (a null laNumber), each row starts with its LA, "916 Ashire", on the page as in the CSV. */
function laColumn(report: { laNumber: string | null }) {
  const everyLa = report.laNumber === null;
  return {
    header: everyLa ? ['LA'] : [],
    cells: (row: { laNumber: string; laName: string }) => (everyLa ? [`${row.laNumber} ${row.laName}`] : []),
  };
}

/** "users-916", or "users-all-las": the start of a CSV file's name. */
const fileOf = (name: string, report: { laNumber: string | null }) =>
  `${name}-${report.laNumber ?? 'all-las'}`;

function userCsv(report: UserReport) {
  const la = laColumn(report);
  const header = [
    ...la.header,
    'Username',
    'Full name',
    'Role',
    'Organisation number',
    'Organisation',
    'Email',
    'Telephone',
    'Created',
    'Last signed in',
  ];
  const rows: CsvValue[][] = report.rows.map((r) => [
    ...la.cells(r),
    r.username,
    r.fullName,
    r.roleLabel,
    r.organisationCode,
    r.organisationName,
    r.email,
    r.telephone,
    csvDate(r.createdAt),
    r.lastSignedInAt ? csvDateTime(r.lastSignedInAt) : NEVER,
  ]);
  return { header, rows };
}

function schoolCsv(report: SchoolListReport) {
  const la = laColumn(report);
  const header = [
    ...la.header,
    'Number',
    'Name',
    'Town',
    'Postcode',
    'Phase',
    'Type',
    'Status',
    'Uses s2s',
    'Account active',
    'Email',
    'Telephone',
  ];
  const rows: CsvValue[][] = report.rows.map((r) => [
    ...la.cells(r),
    r.number,
    r.name,
    r.town,
    r.postcode,
    r.phase,
    r.type,
    r.status === 'open' ? 'Open' : 'Closed',
    yesNo(r.usesS2s),
    yesNo(r.active),
    r.email,
    r.telephone,
  ]);
  return { header, rows };
}

function baseUserCsv(report: BaseUserReport) {
  const la = laColumn(report);
  const header = [...la.header, 'Number', 'Name', 'Users', 'Last signed in'];
  const rows: CsvValue[][] = report.rows.map((r) => [
    ...la.cells(r),
    r.number,
    r.name,
    r.users,
    r.users === 0 ? NO_USERS : r.lastSignedInAt ? csvDateTime(r.lastSignedInAt) : NEVER,
  ]);
  return { header, rows };
}

export function directoryReportRoutes(deps: Pick<Deps, 'db' | 'clock'>): Route[] {
  const service = new DirectoryReportService(deps);
  const messages = new MessagesService(deps);
  const backLink = { href: '/reports', text: 'Back to Reports' };

  const roleItems = (chosen: string | undefined) => [
    { value: '', text: 'All roles' },
    ...LA_ACCOUNT_ROLES.map((role) => ({ value: role, text: roleLabelOf(role), selected: role === chosen })),
  ];

  /** GET page + CSV for School List and Base User, which share their criteria (LA, open or all). */
  const schoolReport = <R extends SchoolListReport | BaseUserReport>(spec: {
    url: string;
    title: string;
    view: string;
    file: string;
    run: (user: ReturnType<typeof signedInUser>, query: z.output<typeof schoolsQuery>) => Promise<R>;
    csv: (report: R) => { header: string[]; rows: CsvValue[][] };
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
            title: spec.title,
            query,
            role: user.role,
            las: await service.laChoices(user),
            backLink,
            ...data,
          });
        if (!query.run) return page({});
        try {
          const report = await spec.run(user, query);
          return page({ report, csvHref: `${spec.url}/csv?${queryStringOf(request.url)}` });
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
        return csvResponse(request, reply, spec.url, async () => {
          const report = await spec.run(user, query);
          const today = londonDate(deps.clock.now());
          return { filename: `${fileOf(spec.file, report)}-${today}.csv`, ...spec.csv(report) };
        });
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
            title: 'User Report',
            query,
            role: user.role,
            las: await service.laChoices(user),
            roleItems: roleItems(query.role),
            backLink,
            ...data,
          });
        if (!query.run) return page({});
        try {
          const report = await service.users(user, { ...dateRangeOf(query), la: query.la, role: query.role });
          return page({ report, csvHref: `/reports/users/csv?${queryStringOf(request.url)}` });
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
        return csvResponse(request, reply, '/reports/users', async () => {
          const report = await service.users(user, { ...dateRangeOf(query), la: query.la, role: query.role });
          const filename = csvFilename(fileOf('users', report), report.range.from, report.range.to);
          return { filename, ...userCsv(report) };
        });
      },
    },
    ...schoolReport({
      url: '/reports/schools',
      title: 'School List Report',
      view: 'reports/views/directory-schools.njk',
      file: 'schools',
      run: (user, query) => service.schools(user, { la: query.la, status: query.status }),
      csv: schoolCsv,
    }),
    ...schoolReport({
      url: '/reports/base-users',
      title: 'Base User Report',
      view: 'reports/views/directory-base-users.njk',
      file: 'base-users',
      run: (user, query) => service.baseUsers(user, { la: query.la, status: query.status }),
      csv: baseUserCsv,
    }),
    {
      // The page is GET /reports/message-report (messaging/routes.ts): the same rows, as a file.
      method: 'GET',
      url: '/reports/message-report/csv',
      access: 'reports.message-report',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        return csvResponse(request, reply, '/reports/message-report', async () => {
          const schools = await messages.messageReport(user);
          const rows: CsvValue[][] = schools.map((s) => [
            s.establishmentNumber,
            s.name,
            s.unread,
            csvDate(s.oldestUnread),
          ]);
          const today = londonDate(deps.clock.now());
          return {
            filename: `message-report-${user.laNumber ?? ''}-${today}.csv`,
            header: ['School number', 'School', 'Unread messages', 'Oldest unread sent'],
            rows,
          };
        });
      },
    },
  ];
}
