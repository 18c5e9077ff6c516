// The School Report (CTFs sent and received: handbook §10, LA notes §7.2) and Generic / Other file
// movements (PLASC, generic and other files, with upload and download dates: handbook §10, LA notes §7.6).
// Who sees what: a school its own files; an LA its schools' (one or all), and for other files its own and
// its inboxes' too; the national administrator those of the LA (and school) they choose, or of every LA.
// Never another's.
import type { Actor } from '../auth/actor.ts';
import { scopeOf } from '../auth/permissions.ts';
import type { Clock } from '../platform/clock.ts';
import { SHORT_MONTHS } from '../platform/dates.ts';
import type { Db } from '../platform/db/schema.ts';
import { type FieldError, Forbidden, Invalid } from '../platform/errors.ts';
import { keyedError, type Language, message, translate } from '../platform/i18n/catalogue.ts';
import type { CsvValue } from './csv.ts';
import { type DateRange, type DateRangeInput, readDateRange } from './date-range.ts';
import {
  countMovements,
  type MovementEnd,
  type MovementQuery,
  type MovementRow,
  type MovementScope,
  readMovements,
  streamMovements,
} from './file-movement-repository.ts';
import { CSV_PAGE_SIZE } from './paging.ts';
import { ALL_LAS, laPicker, reportLaOrAll, type Subject } from './report-la.ts';

/** The page shows this many rows at most, the newest; the CSV has them all, in the same order. */
export const PAGE_LIMIT = 500;

export type MovementFiles = MovementQuery['files'];

export interface MovementCriteria extends DateRangeInput {
  /** National administrator: the LA's number, or 'all' for every LA. */
  la?: string;
  /** LA roles and the national administrator: a school's establishment number, or blank / 'all'. */
  school?: string;
}

interface Resolved {
  range: DateRange;
  /** Whose report it is, in words: "Alder Primary (9161001)", "All schools of Ashire (916)", "Every LA". */
  subject: Subject;
  query: MovementQuery;
}

export interface MovementPage extends Omit<Resolved, 'query'> {
  scope: MovementScope;
  /** The first rows (the newest: newest first), at most the page limit. */
  rows: MovementRow[];
  /** Every row the report holds (the CSV's). */
  total: number;
  /** True when the page shows only the first (newest) rows. */
  truncated: boolean;
}

export interface MovementStream extends Omit<Resolved, 'query'> {
  scope: MovementScope;
  rows: AsyncGenerator<MovementRow>;
}

export interface MovementChoices {
  /** For LA roles, and the national administrator once an LA is chosen: the LA's schools. */
  schools: { value: string; text: string }[];
  /** For the national administrator: the LAs. */
  las: { value: string; text: string }[];
}

export class FileMovementReportService {
  private readonly pageLimit: number;
  private readonly csvPageSize: number;

  constructor(
    private readonly deps: { db: Db; clock: Clock },
    options: { pageLimit?: number; csvPageSize?: number } = {},
  ) {
    this.pageLimit = options.pageLimit ?? PAGE_LIMIT;
    this.csvPageSize = options.csvPageSize ?? CSV_PAGE_SIZE;
  }

  /** The choices of the criteria form. */
  async choices(actor: Actor, la?: string): Promise<MovementChoices> {
    const scope = scopeOf(actor.role);
    const laNumber = scope === 'national' ? la : (actor.laNumber ?? undefined);
    const schools =
      scope === 'school' || !laNumber || !/^\d{3}$/.test(laNumber) ? [] : await this.schoolsOf(laNumber);
    const las = await laPicker(this.deps.db, actor);
    return { schools: schools.map((s) => ({ value: s.number, text: `${s.number} ${s.name}` })), las };
  }

  /** The report as its page shows it: the first rows, and how many there are in all. */
  async page(actor: Actor, files: MovementFiles, criteria: MovementCriteria): Promise<MovementPage> {
    const { query, ...rest } = await this.resolve(actor, files, criteria);
    const rows = await readMovements(this.deps.db, query, { limit: this.pageLimit + 1 });
    const truncated = rows.length > this.pageLimit;
    const total = truncated ? await countMovements(this.deps.db, query) : rows.length;
    return { ...rest, scope: query.scope, rows: rows.slice(0, this.pageLimit), total, truncated };
  }

  /** Every row of the report, streamed from the database (criteria are checked before the first row). */
  async stream(actor: Actor, files: MovementFiles, criteria: MovementCriteria): Promise<MovementStream> {
    const { query, ...rest } = await this.resolve(actor, files, criteria);
    return { ...rest, scope: query.scope, rows: streamMovements(this.deps.db, query, this.csvPageSize) };
  }

  private async resolve(actor: Actor, files: MovementFiles, criteria: MovementCriteria): Promise<Resolved> {
    const errors: FieldError[] = [];
    const read = readDateRange(criteria, this.deps.clock.now());
    errors.push(...read.errors);
    const whose = await this.scopeFor(actor, files, criteria, errors);
    if (errors.length > 0 || !read.range || !whose) throw new Invalid(errors);
    return {
      range: read.range,
      subject: whose.subject,
      query: { files, scope: whose.scope, since: read.range.since, until: read.range.until },
    };
  }

  /** Whose files the actor's report covers; never another organisation's. */
  private async scopeFor(
    actor: Actor,
    files: MovementFiles,
    criteria: MovementCriteria,
    errors: FieldError[],
  ): Promise<{ scope: MovementScope; subject: Subject } | null> {
    const role = scopeOf(actor.role);
    if (role === 'school') {
      const number = actor.establishmentNumber;
      if (!number) throw new Forbidden();
      const school = await this.deps.db
        .selectFrom('establishments')
        .select('name')
        .where('number', '=', number)
        .executeTakeFirst();
      return {
        scope: { kind: 'school', establishmentNumber: number },
        subject: school ? `${school.name} (${number})` : message('reports.subject.your-school', { number }),
      };
    }
    const la = await reportLaOrAll(this.deps.db, actor, criteria.la, errors);
    if (!la) return null;
    const wanted = criteria.school?.trim();
    const allSchools = !wanted || wanted === 'all';
    if (la === ALL_LAS) {
      if (!allSchools) {
        errors.push(keyedError('school', 'reports.errors.select-la-for-school'));
        return null;
      }
      return {
        scope: { kind: 'all' },
        subject: message(
          files === 'ctf' ? 'reports.subject.all-schools-every-la' : 'reports.subject.every-la-inboxes',
        ),
      };
    }
    if (allSchools) {
      return {
        scope: { kind: 'la', laNumber: la.number },
        subject:
          files === 'ctf'
            ? message('reports.subject.all-schools-of', { la: `${la.name} (${la.number})` })
            : message('reports.subject.la-inboxes', { la: `${la.name} (${la.number})` }),
      };
    }
    const school = /^\d{7}$/.test(wanted)
      ? await this.deps.db
          .selectFrom('establishments')
          .select(['number', 'name'])
          .where('number', '=', wanted)
          .where('la_number', '=', la.number)
          .executeTakeFirst()
      : undefined;
    if (!school) {
      errors.push(keyedError('school', 'reports.errors.select-school-of', { la: la.name }));
      return null;
    }
    return {
      scope: { kind: 'school', establishmentNumber: school.number },
      subject: `${school.name} (${school.number})`,
    };
  }

  /** The LA's schools, by name: open and closed (a closed school's files stay in the report). */
  private async schoolsOf(laNumber: string): Promise<{ number: string; name: string }[]> {
    return this.deps.db
      .selectFrom('establishments')
      .select(['number', 'name'])
      .where('la_number', '=', laNumber)
      .orderBy('name')
      .orderBy('number')
      .execute();
  }
}

// --- the rows as the page and the CSV show them (the same cells in both, each with its own dates) -------

/** How a row's dates and times are written: the page's "3 Nov 2026 09:05" or the CSV's (csv.ts). */
export type DateTimeText = (instant: string | null) => string;

/** Each status's words (catalogue keys): the page shows them in its language, the CSV in English. */
export const STATUS_WORDS: Record<MovementRow['status'], string> = {
  available: 'reports.status.awaiting-download',
  'pending-scan': 'reports.status.awaiting-virus-scan',
  quarantined: 'reports.status.quarantined',
  collected: 'reports.status.downloaded',
  rejected: 'reports.status.rejected',
  removed: 'reports.status.removed',
};

/**
 * A row's status in words. Three states say more than the file's status:
 * - a file an LA forwarded to a school (the original, collected or removed by the forward) was not
 *   downloaded by anyone: "Forwarded by LA" and when (its copy is the file the school downloads). A copy
 *   its school rejected, which its LA then forwarded on, stays Rejected: the school did reject it
 *   (docs/decisions.md, 37);
 * - a CTF sent to XXXXXXXX or MMMMMMMM is kept in the Lost Pupils Database until an LA forwards it or
 *   its sender removes it, not waiting for anyone (an LA's download of it leaves it there), as View /
 *   Remove Files says;
 * - a file downloaded but not yet confirmed ("Was the file downloaded correctly?" not yet answered Yes)
 *   is still waiting for its recipient, yet has a Downloaded date: "Downloaded, not yet confirmed";
 * - a file an LA deleted (Delete files not collected by schools) was not removed by its sender: "Deleted
 *   by LA" and when, as the Delete CTF files Audit Trail calls it. "Removed" is its sender's own removal.
 */
function statusText(row: MovementRow, dateTime: DateTimeText, language: Language): string {
  if (row.forwardedAt && row.status !== 'rejected') {
    return translate(language, 'reports.status.forwarded-by-la', { at: dateTime(row.forwardedAt) });
  }
  if (row.deletedByLaAt) {
    return translate(language, 'reports.status.deleted-by-la', { at: dateTime(row.deletedByLaAt) });
  }
  if (row.status === 'available' && row.destKind === 'lost-pupils') {
    return translate(language, 'transfer.status.lost-pupils');
  }
  if (row.status === 'available' && row.firstDownloadedAt) {
    return translate(language, 'reports.status.downloaded-not-confirmed');
  }
  return translate(language, STATUS_WORDS[row.status]);
}

/** The Upload menu's names for each kind of file (handbook §3). */
export const TYPE_WORDS: Record<string, string> = {
  ctf: 'CTF',
  plasc: 'PLASC/School Census',
  cfr: 'CFR',
  generic: 'reports.file-type.generic',
  exclusion: 'reports.file-type.exclusion',
  admissions: 'reports.file-type.admissions',
};

/** A file type's name: the DfE's names (CTF, PLASC/School Census, CFR) are the same in every language. */
function typeWords(category: string, language: Language): string {
  const words = TYPE_WORDS[category];
  return words?.startsWith('reports.') ? translate(language, words) : (words ?? category);
}

const LONDON = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** "3 Nov 2026 09:05" ("3 Tach 2026 09:05"), London time: the page's dates, short enough for a wide table. */
export function reportDateTime(value: string | null, language: Language = 'en'): string {
  if (!value) return '';
  const parts = Object.fromEntries(LONDON.formatToParts(new Date(value)).map((p) => [p.type, p.value]));
  const month = SHORT_MONTHS[language][Number(parts.month) - 1];
  return `${Number(parts.day)} ${month} ${parts.year} ${parts.hour}:${parts.minute}`;
}

function laText(end: MovementEnd): string {
  if (!end.la) return '';
  return end.laName ? `${end.la} ${end.laName}` : end.la;
}

function schoolText(end: MovementEnd): string {
  return end.schoolName ? `${end.school} ${end.schoolName}` : (end.school ?? '');
}

/** A source or destination that is not a school: the LA, one of its inboxes, or the Lost Pupils Database. */
function otherEnd(end: MovementEnd, kind: MovementRow['destKind'], language: Language): string {
  if (kind === 'lost-pupils') return translate(language, 'reports.party.lost-pupils');
  const la = translate(language, 'reports.party.la');
  return end.inbox ? `${la} (LEA${end.inbox})` : la;
}

/** One end in one cell, for Generic / Other file movements: "9161001 Alder Primary", "916 Ashire (LA)". */
function partyText(end: MovementEnd, kind: MovementRow['destKind'], language: Language): string {
  if (kind === 'lost-pupils') return translate(language, 'reports.party.lost-pupils');
  if (end.school) return schoolText(end);
  return `${laText(end)} (${end.inbox ? `LEA${end.inbox}` : translate(language, 'reports.party.la')})`;
}

/**
 * Whether the school or LA reported on sent the file (else it received it). A forwarded copy was received:
 * its source made the original, not the copy (file-movement-repository.ts).
 */
function sentBy(scope: Exclude<MovementScope, { kind: 'all' }>, row: MovementRow): boolean {
  if (row.forwardedFrom) return false;
  return scope.kind === 'school'
    ? row.source.school === scope.establishmentNumber
    : row.source.school !== null && row.source.la === scope.laNumber;
}

// With every LA, a CTF between two schools is sent by one and received by the other: the School Report
// has no side to take, so no Direction; its Source LA and Destination LA name the LAs.
function schoolReportColumns(scope: MovementScope): string[] {
  return [
    'reports.column.file-name',
    ...(scope.kind === 'all' ? [] : ['reports.column.direction']),
    'reports.column.source-la',
    'reports.column.source-school',
    'reports.column.destination-la',
    'reports.column.destination-school',
    'reports.column.uploaded',
    'reports.column.downloaded',
    'reports.column.status',
    'reports.column.pupils',
  ];
}

function schoolReportCells(
  scope: MovementScope,
  row: MovementRow,
  dateTime: DateTimeText,
  language: Language,
): CsvValue[] {
  const sourceKind = row.source.school ? 'school' : 'la';
  return [
    row.filename,
    ...(scope.kind === 'all'
      ? []
      : [translate(language, sentBy(scope, row) ? 'reports.direction.sent' : 'reports.direction.received')]),
    laText(row.source),
    row.source.school ? schoolText(row.source) : otherEnd(row.source, sourceKind, language),
    laText(row.dest),
    row.destKind === 'school' ? schoolText(row.dest) : otherEnd(row.dest, row.destKind, language),
    dateTime(row.uploadedAt),
    dateTime(row.firstDownloadedAt),
    statusText(row, dateTime, language),
    row.pupils,
  ];
}

// With every LA, each end's LA has a column of its own (a school's cell names the school only).
function fileMovementColumns(scope: MovementScope): string[] {
  const all = scope.kind === 'all';
  return [
    'reports.column.file-name',
    'reports.column.type',
    ...(all ? ['reports.column.from-la'] : []),
    'reports.column.from',
    ...(all ? ['reports.column.to-la'] : []),
    'reports.column.to',
    'reports.column.uploaded',
    'reports.column.downloaded',
    'reports.column.status',
  ];
}

function fileMovementCells(
  scope: MovementScope,
  row: MovementRow,
  dateTime: DateTimeText,
  language: Language,
): CsvValue[] {
  const all = scope.kind === 'all';
  return [
    row.filename,
    typeWords(row.category, language),
    ...(all ? [laText(row.source)] : []),
    partyText(row.source, row.source.school ? 'school' : 'la', language),
    ...(all ? [laText(row.dest)] : []),
    partyText(row.dest, row.destKind, language),
    dateTime(row.uploadedAt),
    dateTime(row.firstDownloadedAt),
    statusText(row, dateTime, language),
  ];
}

/** The columns of a report (catalogue keys), on its page and in its CSV. */
export function movementColumnKeys(files: MovementFiles, scope: MovementScope): string[] {
  return files === 'ctf' ? schoolReportColumns(scope) : fileMovementColumns(scope);
}

/** The columns' headings in `language`: the CSV's are in the reader's language too, its cells in English. */
export function movementColumns(
  files: MovementFiles,
  scope: MovementScope,
  language: Language = 'en',
): string[] {
  return movementColumnKeys(files, scope).map((key) => translate(language, key));
}

/** A row's cells under those columns, its dates written by `dateTime`. */
export function movementCells(
  files: MovementFiles,
  scope: MovementScope,
  row: MovementRow,
  dateTime: DateTimeText,
  language: Language = 'en',
): CsvValue[] {
  return files === 'ctf'
    ? schoolReportCells(scope, row, dateTime, language)
    : fileMovementCells(scope, row, dateTime, language);
}
