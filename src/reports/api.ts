// The Reports part of the REST API (/api/v1/reports/...): each report that has a Download CSV on the
// pages, as the same CSV file. An operation per report, because each names its page's capability and
// takes its page's criteria: From and To as ISO dates (the pages' three boxes each), then the report's
// own. The file is the one the page's Download CSV gives for the same criteria (reports/downloads.ts:
// one CSV writer), and the services check the criteria and who sees what, so a refusal has the page's
// message, naming the API's parameter.
import { z } from 'zod';
import {
  API_PREFIX,
  type ApiDeps,
  type ApiFeature,
  type ApiHandler,
  type ApiOperationInfo,
  type Json,
  problemResponse,
  queryParameter,
} from '../api/operation.ts';
import type { Capability } from '../auth/permissions.ts';
import { DATE_INPUT_YEARS, readDateInput } from '../platform/date-boxes.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { type Message, translateMessage } from '../platform/i18n/catalogue.ts';
import { manyValues, oneValue } from '../platform/web/form-values.ts';
import { MAX_LAS, MAX_OTHER_LAS } from './cluster-service.ts';
import { FROM_DATE, TO_DATE } from './date-range.ts';
import { LA_ACCOUNT_ROLES, SCHOOL_STATUSES } from './directory-report-service.ts';
import { type CsvReportName, type ReportCriteria, ReportDownloads } from './downloads.ts';
import { DOWNLOAD_STATUSES, LOST_PUPIL_TYPES } from './lost-pupil-report-service.ts';
import { MAX_SELECTED_SCHOOLS } from './usage-service.ts';
import { sendCsv } from './web.ts';

const TAG = 'Reports';

// ---- the parameters, as the pages' forms take them ----

/** The years a report's dates may be in, as the page's date boxes take them. */
const DATE_YEARS = `Its year is from ${DATE_INPUT_YEARS.min} to ${DATE_INPUT_YEARS.max}.`;

const from = queryParameter(
  'from',
  { type: 'string', format: 'date' },
  `The first day included, a London date (YYYY-MM-DD). ${DATE_YEARS} Left out: every record from the start.`,
);
const to = queryParameter(
  'to',
  { type: 'string', format: 'date' },
  `The last day included, a London date (YYYY-MM-DD). ${DATE_YEARS} Left out: today.`,
);
const dates = [from, to];

const manyQuery = (name: string, description: string, items: Json = { type: 'string' }) => ({
  ...queryParameter(name, { type: 'array', items }, description),
  style: 'form',
  explode: true,
});

/** The scopes a report's page offers, its default first: any other is refused, naming `scope`. */
const USAGE_SCOPES = ['all', 'selected'];
const CLUSTER_SCOPES = ['selected', 'all', 'wales'];

const scopeParameter = (scopes: string[], description: string) =>
  queryParameter('scope', { type: 'string', enum: scopes, default: scopes[0] }, description);

const usageParameters = [
  ...dates,
  scopeParameter(USAGE_SCOPES, 'LA roles: every school of the LA, or the schools in `schools`.'),
  manyQuery(
    'schools',
    `With scope=selected: up to ${MAX_SELECTED_SCHOOLS} of the LA’s schools, by establishment number (repeat the parameter).`,
    { type: 'string', pattern: '^\\d{7}$' },
  ),
];

const movementParameters = [
  ...dates,
  queryParameter(
    'school',
    { type: 'string', pattern: '^(\\d{7}|all)$' },
    'LA roles: one school of the LA by its establishment number; left out or `all`: every school. A school reports on itself.',
  ),
];

const clusterParameters = [
  ...dates,
  scopeParameter(
    CLUSTER_SCOPES,
    '`all`: every LA; `wales`: every LA in Wales (the page offers both as a CSV file only). Otherwise the LAs in `las`.',
  ),
  manyQuery(
    'las',
    `LA numbers (repeat the parameter): an LA role’s own LA is always in, with up to ${MAX_OTHER_LAS} others; the national administrator chooses up to ${MAX_LAS}.`,
    { type: 'string', pattern: '^\\d{3}$' },
  ),
];

const uploadedParameters = [
  ...dates,
  queryParameter(
    'download',
    { type: 'string', enum: DOWNLOAD_STATUSES.map((s) => s.value), default: 'all' },
    DOWNLOAD_STATUSES.map((s) => `\`${s.value}\`: ${s.text}`).join('; '),
  ),
  queryParameter(
    'type',
    { type: 'string', enum: LOST_PUPIL_TYPES.map((t) => t.value), default: 'both' },
    'Lost pupil type: `both`; `left` (left the maintained sector, MMMMMMM); `missing` (destination unknown, XXXXXXXX)',
  ),
];

const userParameters = [
  ...dates,
  queryParameter(
    'role',
    { type: 'string', enum: [...LA_ACCOUNT_ROLES] },
    'One role; left out: every role. The dates are when the accounts were created.',
  ),
];

const schoolListParameters = [
  queryParameter(
    'status',
    { type: 'string', enum: SCHOOL_STATUSES, default: SCHOOL_STATUSES[0] },
    '`open`: open establishments only; `all`: closed ones too.',
  ),
];

// ---- the operations: one per report with a Download CSV ----

interface ReportOperation {
  report: CsvReportName;
  operationId: string;
  summary: string;
  capability: Capability;
  description: string;
  parameters: Json[];
  /** The report's scopes, when it takes `scope`. */
  scopes?: string[];
}

const REPORTS: ReportOperation[] = [
  {
    report: 'general-usage',
    operationId: 'generalUsageReport',
    summary: 'General Usage/Volume Report',
    capability: 'reports.usage',
    description:
      'CTFs uploaded, received, downloaded, awaiting download and rejected, and pupil records, per school (a school: itself; an LA: all its schools or up to 20) or per LA (All LAs), with a Total row when there is more than one row.',
    parameters: usageParameters,
    scopes: USAGE_SCOPES,
  },
  {
    report: 'school',
    operationId: 'schoolReport',
    summary: 'School Report',
    capability: 'reports.usage',
    description:
      'Every CTF sent or received: file, source and destination, upload and first download, status, pupils. All the rows, newest upload first (the page shows the newest 500).',
    parameters: movementParameters,
  },
  {
    report: 'file-movements',
    operationId: 'fileMovementsReport',
    summary: 'Generic / Other file movements',
    capability: 'reports.usage',
    description:
      'Every file that is not a CTF (census, CFR, generic, exclusion and admissions files) sent or received, with its upload and first download, newest upload first.',
    parameters: movementParameters,
  },
  {
    report: 'cluster',
    operationId: 'clusterReport',
    summary: 'LEA Cluster Report',
    capability: 'reports.la',
    description:
      'CTFs and pupil records between your LA and up to nine others, between every LA in Wales, or between every LA, with a Total row. Counts only: no files, schools or pupils.',
    parameters: clusterParameters,
    scopes: CLUSTER_SCOPES,
  },
  {
    report: 'deleted-ctfs',
    operationId: 'deletedCtfsReport',
    summary: 'Delete CTF files Audit Trail',
    capability: 'reports.la',
    description:
      'The CTFs your LA deleted or forwarded for its schools: when, what, from whom, for whom, by whom.',
    parameters: dates,
  },
  {
    report: 'lost-pupil-numbers',
    operationId: 'lostPupilNumbersReport',
    summary: 'Lost Pupil (numbers) Report',
    capability: 'reports.lost-pupils',
    description:
      'Lost pupils uploaded by your schools and downloaded, by age (on the To date) and gender, with a Total row.',
    parameters: dates,
  },
  {
    report: 'lost-pupils-uploaded',
    operationId: 'lostPupilsUploadedReport',
    summary: 'Lost Pupil (uploaded pupils) Report',
    capability: 'reports.lost-pupils',
    description:
      'Each lost pupil your schools uploaded (UPN, name, date of birth, gender, type), by download status and type, newest upload first. Holds pupil data: keep the file as securely as the pupils’ records.',
    parameters: uploadedParameters,
  },
  {
    report: 'lost-pupils-downloaded',
    operationId: 'lostPupilsDownloadedReport',
    summary: 'Lost Pupil (downloaded pupils) Report',
    capability: 'reports.lost-pupils',
    description:
      'Each lost pupil your LA found and downloaded, with who uploaded it, latest found first. Holds pupil data: keep the file as securely as the pupils’ records.',
    parameters: dates,
  },
  {
    report: 'users',
    operationId: 'userReport',
    summary: 'User Report',
    capability: 'users.view',
    description:
      'The accounts of your LA and its schools: username, name, role, organisation, contact details, created, last signed in.',
    parameters: userParameters,
  },
  {
    report: 'schools',
    operationId: 'schoolListReport',
    summary: 'School List Report',
    capability: 'users.view',
    description:
      'Your LA’s establishments with their contact details, whether they use s2s and their account.',
    parameters: schoolListParameters,
  },
  {
    report: 'base-users',
    operationId: 'baseUserReport',
    summary: 'Base User Report',
    capability: 'users.view',
    description: 'Each establishment of your LA with how many accounts it has and when one last signed in.',
    parameters: schoolListParameters,
  },
  {
    report: 'message-report',
    operationId: 'messageReport',
    summary: 'LEA Administrator – Message Report',
    capability: 'reports.message-report',
    description:
      'The messages sent to each open school of your LA in the dates (by when they were sent): how many, how many read, how many not, and when the oldest not read was sent. No content or sender.',
    parameters: dates,
  },
];

const csvFile = {
  description:
    'The report as a CSV file (UTF-8 with a byte-order mark, CRLF line ends): the file the page’s Download CSV gives for the same criteria, named in Content-Disposition. Dates are London dates, `2026-11-23`, and times `2026-11-23 14:05`.',
  headers: {
    'Content-Disposition': {
      schema: { type: 'string' },
      description: 'attachment; filename="general-usage-2026-09-01-to-2026-11-23.csv"',
    },
  },
  content: { 'text/csv': { schema: { type: 'string' } } },
};

const OPERATIONS: readonly ApiOperationInfo[] = REPORTS.map((r) => ({
  operationId: r.operationId,
  method: 'GET',
  url: `${API_PREFIX}/reports/${r.report}.csv`,
  summary: r.summary,
  capability: r.capability,
  scope: 'read',
  tag: TAG,
  doc: {
    description: `${r.description} The same report, for the same criteria and rules of who sees what, as Reports > ${r.summary} on the pages.`,
    ...(r.parameters.length > 0 ? { parameters: r.parameters } : {}),
    responses: {
      '200': csvFile,
      ...(r.parameters.length > 0
        ? {
            '422': problemResponse(
              'The criteria break a rule of the report’s page: each of `errors` names the parameter and says what to change',
            ),
          }
        : {}),
    },
  },
}));

// ---- the handlers ----

const reportQuery = z.object({
  from: oneValue,
  to: oneValue,
  scope: oneValue,
  schools: manyValues,
  school: oneValue,
  las: manyValues,
  download: oneValue,
  type: oneValue,
  role: oneValue,
  status: oneValue,
});

/**
 * An ISO date as the boxes of the page's date input (day, month, year), for the report's own check of
 * the range. Only the way of writing a date is the API's: a date the page would refuse is refused here
 * with the API's spelling of it, or, for a year outside those the page takes, with the page's words.
 */
function dateBoxes(
  name: 'from' | 'to',
  label: Message,
  value: string | undefined,
  errors: FieldError[],
): { day?: string; month?: string; year?: string } {
  const text = value?.trim() ?? '';
  if (text === '') return {};
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const boxes = match ? { day: match[3], month: match[2], year: match[1] } : null;
  const pageErrors: FieldError[] = [];
  if (boxes && readDateInput(name, label, [boxes.day, boxes.month, boxes.year], pageErrors) !== null)
    return boxes;
  // A year outside the years taken is the page's own reason, which is true here too; its other reasons
  // speak of boxes and month names, so the API says how to write a date.
  const outOfYears = pageErrors.find((e) => e.key === 'errors.date-input.wrong-year');
  errors.push({
    field: name,
    message:
      outOfYears?.message ??
      `The ${translateMessage('en', label)} must be a real date written as YYYY-MM-DD, like 2026-09-01`,
  });
  return {};
}

/** The page's field names for the date boxes ("from-day") are the API's parameters ("from"). */
function apiField(error: FieldError): FieldError {
  const date = /^(from|to)-(day|month|year)$/.exec(error.field);
  return date ? { ...error, field: date[1] as string } : error;
}

/**
 * A scope the report's page does not offer. The page's own radio buttons send only those, and its
 * service takes anything else for the default: from a program, a misspelt scope is refused instead.
 */
function checkScope(scope: string | undefined, scopes: string[] | undefined, errors: FieldError[]): void {
  if (!scopes || !scope || scopes.includes(scope)) return;
  const choices = `${scopes.slice(0, -1).join(', ')} or ${scopes.at(-1)}`;
  errors.push({ field: 'scope', message: `scope must be ${choices}, or left out` });
}

function criteriaOf(query: z.output<typeof reportQuery>, scopes: string[] | undefined): ReportCriteria {
  const errors: FieldError[] = [];
  const start = dateBoxes('from', FROM_DATE, query.from, errors);
  const end = dateBoxes('to', TO_DATE, query.to, errors);
  checkScope(query.scope, scopes, errors);
  if (errors.length > 0) throw new Invalid(errors);
  const { from: _from, to: _to, ...rest } = query;
  return {
    fromDay: start.day,
    fromMonth: start.month,
    fromYear: start.year,
    toDay: end.day,
    toMonth: end.month,
    toYear: end.year,
    ...rest,
  };
}

function handlers(deps: ApiDeps): Record<string, ApiHandler> {
  const downloads = new ReportDownloads(deps);
  const handlerOf =
    ({ report, scopes }: ReportOperation): ApiHandler =>
    async (actor, request, reply) => {
      const criteria = criteriaOf(reportQuery.parse(request.query ?? {}), scopes);
      try {
        return sendCsv(reply, await downloads.csv(actor, report, criteria));
      } catch (error) {
        if (error instanceof Invalid) throw new Invalid(error.errors.map(apiField));
        throw error;
      }
    };
  return Object.fromEntries(REPORTS.map((r) => [r.operationId, handlerOf(r)]));
}

export const reportsApi: ApiFeature = {
  tag: {
    name: TAG,
    description:
      'Each report of the Reports menu as its CSV file, with the same criteria and the same rules of who sees what as the pages',
  },
  operations: OPERATIONS,
  schemas: {},
  handlers,
};
