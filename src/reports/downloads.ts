// The CSV file of every report: what each Download CSV link on the pages gives, and what the REST API's
// reports (reports/api.ts) answer. Both take the file from here, so a report has one CSV writer and the
// same criteria give the same file, byte for byte, whichever way it is asked for. Each report's service
// checks the criteria and who may see what (Invalid with the page's messages, Forbidden); this only lays
// its rows out as cells. A report that can be long (file movements, lost pupils, the directory reports) is
// streamed from the database as it is written, in constant memory. The lost-pupil reports hold pupils'
// names: nothing here logs a row.
import type { Actor } from '../auth/actor.ts';
import { roleLabelOf } from '../auth/permissions.ts';
import { MessagesService } from '../messaging/service.ts';
import type { Clock } from '../platform/clock.ts';
import { londonDate } from '../platform/dates.ts';
import type { Db } from '../platform/db/schema.ts';
import { type Language, textIn, translate } from '../platform/i18n/catalogue.ts';
import { type ClusterReport, ClusterReportService } from './cluster-service.ts';
import { type CsvValue, csvDate, csvDateTime, csvFilename } from './csv.ts';
import type { DateRangeInput } from './date-range.ts';
import { type DeletedCtfsReport, DeletedCtfsReportService } from './deleted-ctfs-service.ts';
import {
  type BaseUserStream,
  DirectoryReportService,
  type SchoolListStream,
  type UserReportStream,
} from './directory-report-service.ts';
import {
  FileMovementReportService,
  type MovementFiles,
  movementCells,
  movementColumnKeys,
} from './file-movement-service.ts';
import {
  finderLaName,
  genderName,
  type ListStream,
  LostPupilReportService,
  type NumbersReport,
  statusName,
  typeName,
  type UploadedStream,
  uploaderLaName,
  uploaderName,
} from './lost-pupil-report-service.ts';
import { type UsageReport, UsageReportService } from './usage-service.ts';

/**
 * A report as a file: its name, its header and its rows (streamed when the report may be large). The
 * header is in the reader's language (a Welsh reader's CSV has Welsh column headings); the rows are data,
 * the same in every language.
 */
export interface CsvDownload {
  filename: string;
  header: string[];
  rows: Iterable<CsvValue[]> | AsyncIterable<CsvValue[]>;
}

/** Every report with a CSV file, by the name its page's address and its file name use. */
export const CSV_REPORTS = [
  'general-usage',
  'school',
  'file-movements',
  'cluster',
  'deleted-ctfs',
  'lost-pupil-numbers',
  'lost-pupils-uploaded',
  'lost-pupils-downloaded',
  'users',
  'schools',
  'base-users',
  'message-report',
] as const;
export type CsvReportName = (typeof CSV_REPORTS)[number];

/**
 * The criteria of any report's form: From and To, and whatever else the report asks (each report reads
 * only its own; the services say what each means).
 */
export interface ReportCriteria extends DateRangeInput {
  la?: string;
  scope?: string;
  schools?: string[];
  school?: string;
  las?: string[];
  download?: string;
  type?: string;
  role?: string;
  status?: string;
}

/** What the page and the CSV both show when an account has never signed in. */
export const NEVER = 'Never';
/** What the Base User Report shows for a school without any account. */
export const NO_USERS = 'No users';

/** Each row's cells as the rows come: a report streamed from the database stays streamed. */
async function* cellsOf<Row>(
  rows: AsyncIterable<Row>,
  cells: (row: Row) => CsvValue[],
): AsyncGenerator<CsvValue[]> {
  for await (const row of rows) yield cells(row);
}

const USAGE_HEADINGS = [
  'reports.column.ctfs-uploaded',
  'reports.column.pupil-records-uploaded',
  'reports.column.ctfs-received',
  'reports.column.downloaded',
  'reports.column.awaiting-download',
  'reports.column.rejected',
  'reports.column.pupil-records-received',
];

function usageCsv(report: UsageReport) {
  const header =
    report.by === 'la'
      ? ['reports.column.la-number', 'reports.column.la', ...USAGE_HEADINGS]
      : ['reports.column.school-number', 'reports.column.school', ...USAGE_HEADINGS];
  const line = (code: string, name: string, r: UsageReport['totals']) => [
    code,
    name,
    r.uploaded,
    r.uploadedPupils,
    r.received,
    r.downloaded,
    r.awaiting,
    r.rejected,
    r.receivedPupils,
  ];
  // A Total of one row would repeat it (a school's own report): as on the page, only of more than one.
  const rows = report.rows.map((r) => line(r.code, r.name, r));
  if (rows.length > 1) rows.push(line('', 'Total', report.totals));
  return { header, rows };
}

function clusterCsv(report: ClusterReport): { header: string[]; rows: CsvValue[][] } {
  const header = [
    'reports.column.from-la-number',
    'reports.column.from-la',
    'reports.column.to-la-number',
    'reports.column.to-la',
    'reports.column.ctfs',
    'reports.column.pupil-records',
  ];
  const rows: CsvValue[][] = report.rows.map((r) => [
    r.from.code,
    textIn('en', r.from.name),
    r.to.code,
    textIn('en', r.to.name),
    r.files,
    r.pupils,
  ]);
  rows.push(['', 'Total', '', '', report.totals.files, report.totals.pupils]);
  return { header, rows };
}

function deletedCsv(report: DeletedCtfsReport): { header: string[]; rows: CsvValue[][] } {
  const header = [
    ...(report.allLas ? ['reports.column.la'] : []),
    'reports.column.date-deleted-or-forwarded',
    'reports.column.action',
    'reports.column.file-name',
    'reports.column.from',
    'reports.column.from-number',
    'reports.column.intended-school',
    'reports.column.intended-school-number',
    'reports.column.pupils',
    'reports.column.by',
  ];
  const rows: CsvValue[][] = report.rows.map((r) => [
    ...(report.allLas ? [r.la] : []),
    csvDateTime(r.at),
    r.actionText,
    r.filename,
    textIn('en', r.from.name),
    r.from.code,
    textIn('en', r.intended.name),
    r.intended.code,
    r.pupils,
    r.by,
  ]);
  return { header, rows };
}

// The lost-pupil reports: with every LA (report.la null), each row starts with its LA, on the page as
// in the CSV.

function numbersCsv(report: NumbersReport) {
  const everyLa = report.la === null;
  return {
    header: [
      ...(everyLa ? ['reports.column.la'] : []),
      'reports.column.age',
      'reports.column.gender',
      'reports.column.uploaded',
      'reports.column.downloaded',
    ],
    rows: [
      ...report.rows.map((r) => [...(everyLa ? [r.la] : []), r.age, r.gender, r.uploaded, r.downloaded]),
      ['Total', ...(everyLa ? [''] : []), '', report.totals.uploaded, report.totals.downloaded],
    ],
  };
}

function uploadedCsv(report: UploadedStream) {
  const everyLa = report.la === null;
  return {
    header: [
      ...(everyLa ? ['reports.column.la'] : []),
      'reports.column.school',
      'reports.column.uploaded',
      'reports.column.file-name',
      'reports.column.upn',
      'reports.column.surname',
      'reports.column.forename',
      'reports.column.date-of-birth',
      'reports.column.gender',
      'reports.column.type',
      'reports.column.downloaded',
      'reports.column.status',
    ],
    rows: cellsOf(report.rows, (r) => [
      ...(everyLa ? [uploaderLaName(r)] : []),
      uploaderName(r),
      csvDate(r.uploadedAt),
      r.filename,
      r.upn,
      r.surname,
      r.forename,
      r.dateOfBirth,
      genderName(r.gender),
      typeName(r.reason),
      csvDate(r.foundAt),
      statusName(r.status),
    ]),
  };
}

function downloadedCsv(report: ListStream) {
  const everyLa = report.la === null;
  return {
    header: [
      ...(everyLa ? ['reports.column.found-by'] : []),
      'reports.column.found-on',
      'reports.column.upn',
      'reports.column.surname',
      'reports.column.forename',
      'reports.column.date-of-birth',
      'reports.column.uploaded-by',
      'reports.column.la',
      'reports.column.file-name',
    ],
    rows: cellsOf(report.rows, (r) => [
      ...(everyLa ? [finderLaName(r)] : []),
      csvDate(r.foundAt),
      r.upn,
      r.surname,
      r.forename,
      r.dateOfBirth,
      uploaderName(r),
      uploaderLaName(r),
      r.filename,
    ]),
  };
}

// The directory reports: with every LA (a null laNumber), each row starts with its LA, "916 Ashire", on
// the page as in the CSV.

const yesNo = (value: boolean) => (value ? 'Yes' : 'No');

function laColumn(report: { laNumber: string | null }) {
  const everyLa = report.laNumber === null;
  return {
    header: everyLa ? ['reports.column.la'] : [],
    cells: (row: { laNumber: string; laName: string }) => (everyLa ? [`${row.laNumber} ${row.laName}`] : []),
  };
}

/** "users-916", or "users-all-las": the start of a CSV file's name. */
const fileOf = (name: string, report: { laNumber: string | null }) =>
  `${name}-${report.laNumber ?? 'all-las'}`;

function userCsv(report: UserReportStream) {
  const la = laColumn(report);
  const header = [
    ...la.header,
    'reports.column.username',
    'reports.column.full-name',
    'reports.column.role',
    'reports.column.organisation-number',
    'reports.column.organisation',
    'reports.column.email',
    'reports.column.telephone',
    'reports.column.created',
    'reports.column.last-signed-in',
  ];
  const rows = cellsOf(report.rows, (r) => [
    ...la.cells(r),
    r.username,
    r.fullName,
    roleLabelOf(r.role),
    r.organisationCode,
    r.organisationName,
    r.email,
    r.telephone,
    csvDate(r.createdAt),
    r.lastSignedInAt ? csvDateTime(r.lastSignedInAt) : NEVER,
  ]);
  return { header, rows };
}

function schoolCsv(report: SchoolListStream) {
  const la = laColumn(report);
  const header = [
    ...la.header,
    'reports.column.number',
    'reports.column.name',
    'reports.column.town',
    'reports.column.postcode',
    'reports.column.phase',
    'reports.column.type',
    'reports.column.status',
    'reports.column.uses-s2s',
    'reports.column.account-active',
    'reports.column.email',
    'reports.column.telephone',
  ];
  const rows = cellsOf(report.rows, (r) => [
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

function baseUserCsv(report: BaseUserStream) {
  const la = laColumn(report);
  const header = [
    ...la.header,
    'reports.column.number',
    'reports.column.name',
    'reports.column.users',
    'reports.column.last-signed-in',
  ];
  const rows = cellsOf(report.rows, (r) => [
    ...la.cells(r),
    r.number,
    r.name,
    r.users,
    r.users === 0 ? NO_USERS : r.lastSignedInAt ? csvDateTime(r.lastSignedInAt) : NEVER,
  ]);
  return { header, rows };
}

/** The two file-movement reports: their files, and the start of their CSV file's name. */
const MOVEMENTS: Record<'school' | 'file-movements', { files: MovementFiles; name: string }> = {
  school: { files: 'ctf', name: 'school-report' },
  'file-movements': { files: 'other', name: 'file-movements' },
};

export class ReportDownloads {
  private readonly makers: Record<
    CsvReportName,
    (actor: Actor, criteria: ReportCriteria) => Promise<CsvDownload>
  >;

  /** `csvPageSize`: the rows a streamed report reads from the database at a time (paging.ts). */
  constructor(deps: { db: Db; clock: Clock }, options: { csvPageSize?: number } = {}) {
    const usage = new UsageReportService(deps);
    const movements = new FileMovementReportService(deps, options);
    const cluster = new ClusterReportService(deps);
    const deleted = new DeletedCtfsReportService(deps);
    const lostPupils = new LostPupilReportService(deps, options);
    const directory = new DirectoryReportService(deps, options);
    const messages = new MessagesService(deps);
    const today = () => londonDate(deps.clock.now());

    const movement = (report: 'school' | 'file-movements') => async (actor: Actor, c: ReportCriteria) => {
      const { files, name } = MOVEMENTS[report];
      const result = await movements.stream(actor, files, c);
      return {
        filename: csvFilename(name, result.range.from, result.range.to),
        header: movementColumnKeys(files, result.scope),
        rows: cellsOf(result.rows, (row) => movementCells(files, result.scope, row, csvDateTime)),
      };
    };

    this.makers = {
      'general-usage': async (actor, c) => {
        const report = await usage.run(actor, c);
        const filename = csvFilename('general-usage', report.range.from, report.range.to);
        return { filename, ...usageCsv(report) };
      },
      school: movement('school'),
      'file-movements': movement('file-movements'),
      cluster: async (actor, c) => {
        const report = await cluster.run(actor, c);
        const name = report.all ? 'lea-cluster-all' : report.wales ? 'lea-cluster-wales' : 'lea-cluster';
        return { filename: csvFilename(name, report.range.from, report.range.to), ...clusterCsv(report) };
      },
      'deleted-ctfs': async (actor, c) => {
        const report = await deleted.run(actor, c);
        const filename = csvFilename('deleted-ctfs', report.range.from, report.range.to);
        return { filename, ...deletedCsv(report) };
      },
      'lost-pupil-numbers': async (actor, c) => {
        const report = await lostPupils.numbers(actor, c);
        const filename = csvFilename('lost-pupil-numbers', report.range.from, report.range.to);
        return { filename, ...numbersCsv(report) };
      },
      'lost-pupils-uploaded': async (actor, c) => {
        const report = await lostPupils.streamUploaded(actor, c);
        const filename = csvFilename('lost-pupils-uploaded', report.range.from, report.range.to);
        return { filename, ...uploadedCsv(report) };
      },
      'lost-pupils-downloaded': async (actor, c) => {
        const report = await lostPupils.streamDownloaded(actor, c);
        const filename = csvFilename('lost-pupils-downloaded', report.range.from, report.range.to);
        return { filename, ...downloadedCsv(report) };
      },
      users: async (actor, c) => {
        const report = await directory.streamUsers(actor, c);
        const filename = csvFilename(fileOf('users', report), report.range.from, report.range.to);
        return { filename, ...userCsv(report) };
      },
      schools: async (actor, c) => {
        const report = await directory.streamSchools(actor, c);
        return { filename: `${fileOf('schools', report)}-${today()}.csv`, ...schoolCsv(report) };
      },
      'base-users': async (actor, c) => {
        const report = await directory.streamBaseUsers(actor, c);
        return { filename: `${fileOf('base-users', report)}-${today()}.csv`, ...baseUserCsv(report) };
      },
      'message-report': async (actor, c) => {
        const report = await messages.messageReport(actor, c);
        const rows: CsvValue[][] = report.schools.map((s) => [
          s.establishmentNumber,
          s.name,
          s.received,
          s.read,
          s.unread,
          csvDate(s.oldestUnread),
        ]);
        return {
          filename: csvFilename(`message-report-${report.laNumber}`, report.range.from, report.range.to),
          header: [
            'reports.column.school-number',
            'reports.column.school',
            'reports.column.messages-received',
            'reports.column.messages-read',
            'reports.column.unread-messages',
            'reports.column.oldest-unread-sent',
          ],
          rows,
        };
      },
    };
  }

  /**
   * The report's file for the actor and the criteria, its column headings in `language` (the REST API's
   * are English): Invalid (the page's messages) or Forbidden.
   */
  async csv(
    actor: Actor,
    report: CsvReportName,
    criteria: ReportCriteria,
    language: Language = 'en',
  ): Promise<CsvDownload> {
    const download = await this.makers[report](actor, criteria);
    return { ...download, header: download.header.map((key) => translate(language, key)) };
  }
}
