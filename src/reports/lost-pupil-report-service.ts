// Lost Pupil (numbers), (uploaded pupils) and (downloaded pupils) reports (LA notes §7.4-7.5): an LA's
// lost-pupil and DBA users report on their own LA only; the national administrator chooses an LA, or every
// LA (each row then names its LA). The last two list pupils by name: they are never logged, and an LA never
// sees another LA's (except the pupils this LA itself downloaded, whose files it holds). Their pages list
// the newest PAGE_ROWS pupils, newest first; their CSVs stream every pupil in that order (paging.ts).
import type { Actor } from '../auth/actor.ts';
import { can } from '../auth/permissions.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/schema.ts';
import { type FieldError, Forbidden, Invalid } from '../platform/errors.ts';
import { keyedError, type Language, translate } from '../platform/i18n/catalogue.ts';
import { type DateRange, type DateRangeInput, readDateRange } from './date-range.ts';
import {
  downloadedLostPupils,
  type LostPupilListRow,
  type LostPupilRange,
  type LostPupilReason,
  lostPupilCounts,
  streamDownloadedLostPupils,
  streamUploadedLostPupils,
  type UploadedFilter,
  uploadedLostPupils,
} from './lost-pupil-report-repository.ts';
import { CSV_PAGE_SIZE, firstRows, PAGE_ROWS } from './paging.ts';
import { ALL_LAS, EVERY_LA, laPicker, reportLaOrAll, type Subject as SubjectText } from './report-la.ts';

export interface LostPupilCriteria extends DateRangeInput {
  /** National administrator: the LA's number, or 'all' for every LA. */
  la?: string;
}

export interface UploadedCriteria extends LostPupilCriteria {
  /** "Download status": all (blank), downloaded, not-downloaded. */
  download?: string;
  /** "Lost pupil type": both (blank), left (MMMMMMMM), missing (XXXXXXXX). */
  type?: string;
}

/** The choices, with their English (the REST API's description) and their key (the page's words). */
export const DOWNLOAD_STATUSES = [
  { value: 'all', text: 'All pupils uploaded by schools in the LA', key: 'reports.lost-pupils.download.all' },
  { value: 'downloaded', text: 'Pupils now downloaded', key: 'reports.lost-pupils.download.downloaded' },
  {
    value: 'not-downloaded',
    text: 'Pupils not downloaded',
    key: 'reports.lost-pupils.download.not-downloaded',
  },
] as const;

export const LOST_PUPIL_TYPES = [
  { value: 'both', text: 'Both', key: 'reports.lost-pupils.type.both', reason: null },
  {
    value: 'left',
    text: 'Pupils leaving the maintained sector only',
    key: 'reports.lost-pupils.type.left',
    reason: 'left-maintained-sector',
  },
  {
    value: 'missing',
    text: 'Missing pupils only',
    key: 'reports.lost-pupils.type.missing',
    reason: 'destination-unknown',
  },
] as const;

// A row's words: the page's in its language, the CSV's in English (its cells are data).

/** "Missing" for XXXXXXXX, "Left maintained sector" for MMMMMMMM. */
export function typeName(reason: LostPupilReason, language: Language = 'en'): string {
  return translate(
    language,
    reason === 'destination-unknown'
      ? 'reports.lost-pupils.reason.missing'
      : 'reports.lost-pupils.reason.left',
  );
}

export function statusName(status: LostPupilListRow['status'], language: Language = 'en'): string {
  return translate(
    language,
    status === 'lost'
      ? 'reports.lost-pupils.status.not-downloaded'
      : status === 'found'
        ? 'reports.status.downloaded'
        : 'reports.status.removed',
  );
}

export function genderName(gender: string | null, language: Language = 'en'): string {
  return gender === 'F' || gender === 'M' ? gender : translate(language, 'reports.lost-pupils.unknown');
}

/** "9165402 Alder Primary", or "916LLLL Ashire (the LA)" for the LA's own upload. */
export function uploaderName(row: LostPupilListRow): string {
  if (row.sourceSchool) return `${row.sourceSchool} ${row.sourceSchoolName ?? ''}`.trim();
  return `${row.sourceLa}LLLL ${row.sourceLaName ?? 'LA'} (the LA)`;
}

/** "916 Ashire". */
export function uploaderLaName(row: LostPupilListRow): string {
  return laName(row.sourceLa, row.sourceLaName);
}

/** The LA that downloaded (found) the pupil: "916 Ashire". */
export function finderLaName(row: LostPupilListRow): string {
  return row.foundByLa ? laName(row.foundByLa, row.foundByLaName) : '';
}

function laName(number: string, name: string | null): string {
  return `${number} ${name ?? ''}`.trim();
}

interface Subject {
  /** The LA reported on, or null for every LA (the rows then name their LA). */
  la: string | null;
  /** "Ashire (916)", "Every LA". */
  subject: SubjectText;
}

export interface NumbersRow {
  /** The LA whose schools uploaded the pupils: "916 Ashire". */
  la: string;
  /** Whole years on the To date, or "Unknown". */
  age: string;
  gender: 'F' | 'M' | 'Unknown';
  uploaded: number;
  downloaded: number;
}

export interface NumbersReport extends Subject {
  range: DateRange;
  rows: NumbersRow[];
  totals: { uploaded: number; downloaded: number };
}

interface Listed extends Subject {
  range: DateRange;
}

/** A list as its page shows it. */
export interface ListReport extends Listed {
  rows: LostPupilListRow[];
  /** True when the page holds only the first PAGE_ROWS pupils (the CSV has them all). */
  truncated: boolean;
}

/** A list as its CSV writes it: every pupil, streamed from the database. */
export interface ListStream extends Listed {
  rows: AsyncGenerator<LostPupilListRow>;
}

interface UploadedChoices {
  download: UploadedFilter['download'];
  type: (typeof LOST_PUPIL_TYPES)[number]['value'];
}

export type UploadedReport = ListReport & UploadedChoices;
export type UploadedStream = ListStream & UploadedChoices;

const GENDERS = ['F', 'M', 'Unknown'] as const;

export class LostPupilReportService {
  private readonly csvPageSize: number;
  private readonly pageRows: number;

  constructor(
    private readonly deps: { db: Db; clock: Clock },
    options: { csvPageSize?: number; pageRows?: number } = {},
  ) {
    this.csvPageSize = options.csvPageSize ?? CSV_PAGE_SIZE;
    this.pageRows = options.pageRows ?? PAGE_ROWS;
  }

  /** For the national administrator's LA picker; empty for LA roles. */
  async las(actor: Actor): Promise<{ value: string; text: string }[]> {
    return laPicker(this.deps.db, actor);
  }

  /** Lost Pupil (numbers) Report: uploaded and downloaded, by age on the To date and gender. */
  async numbers(actor: Actor, criteria: LostPupilCriteria): Promise<NumbersReport> {
    const { range, subject } = await this.read(actor, criteria, []);
    const counts = await lostPupilCounts(this.deps.db, { ...this.rangeOf(subject, range), agesOn: range.to });
    const cells = new Map<string, NumbersRow>();
    for (const count of counts) {
      // A date of birth after the To date is as unknown as none.
      const age = count.age !== null && count.age >= 0 ? count.age : null;
      const gender = genderName(count.gender) as NumbersRow['gender'];
      const la = laName(count.la, count.laName);
      const key = `${la}|${age ?? 'Unknown'}|${gender}`;
      const row = cells.get(key) ?? {
        la,
        age: age === null ? 'Unknown' : String(age),
        gender,
        uploaded: 0,
        downloaded: 0,
      };
      row.uploaded += count.uploaded;
      row.downloaded += count.downloaded;
      cells.set(key, row);
    }
    const ageOrder = (age: string) => (age === 'Unknown' ? Number.POSITIVE_INFINITY : Number(age));
    // "916 Ashire" sorts by its LA's number: three digits first.
    const rows = [...cells.values()].sort(
      (a, b) =>
        a.la.localeCompare(b.la) ||
        ageOrder(a.age) - ageOrder(b.age) ||
        GENDERS.indexOf(a.gender) - GENDERS.indexOf(b.gender),
    );
    const totals = { uploaded: 0, downloaded: 0 };
    for (const row of rows) {
      totals.uploaded += row.uploaded;
      totals.downloaded += row.downloaded;
    }
    return { ...subject, range, rows, totals };
  }

  /** Lost Pupil (uploaded pupils) Report: its first PAGE_ROWS pupils, the newest uploaded. */
  async uploaded(actor: Actor, criteria: UploadedCriteria): Promise<UploadedReport> {
    const { filter, ...report } = await this.readUploaded(actor, criteria);
    const rows = await uploadedLostPupils(this.deps.db, filter, { limit: this.pageRows + 1 });
    return { ...report, ...firstRows(rows, this.pageRows) };
  }

  /** Every pupil of the Lost Pupil (uploaded pupils) Report (criteria are checked before the first). */
  async streamUploaded(actor: Actor, criteria: UploadedCriteria): Promise<UploadedStream> {
    const { filter, ...report } = await this.readUploaded(actor, criteria);
    return { ...report, rows: streamUploadedLostPupils(this.deps.db, filter, this.csvPageSize) };
  }

  /** Lost Pupil (downloaded pupils) Report: the PAGE_ROWS pupils whose files this LA found latest. */
  async downloaded(actor: Actor, criteria: LostPupilCriteria): Promise<ListReport> {
    const { range, subject } = await this.read(actor, criteria, []);
    const rows = await downloadedLostPupils(this.deps.db, this.rangeOf(subject, range), {
      limit: this.pageRows + 1,
    });
    return { ...subject, range, ...firstRows(rows, this.pageRows) };
  }

  /** Every pupil of the Lost Pupil (downloaded pupils) Report (criteria are checked before the first). */
  async streamDownloaded(actor: Actor, criteria: LostPupilCriteria): Promise<ListStream> {
    const { range, subject } = await this.read(actor, criteria, []);
    const rows = streamDownloadedLostPupils(this.deps.db, this.rangeOf(subject, range), this.csvPageSize);
    return { ...subject, range, rows };
  }

  /** The uploaded list's criteria: its filter, and the report's subject, range and choices. */
  private async readUploaded(
    actor: Actor,
    criteria: UploadedCriteria,
  ): Promise<Listed & UploadedChoices & { filter: UploadedFilter }> {
    const errors: FieldError[] = [];
    const download = DOWNLOAD_STATUSES.find((s) => s.value === (criteria.download || 'all'));
    if (!download) errors.push(keyedError('download', 'reports.errors.select-download-status'));
    const type = LOST_PUPIL_TYPES.find((t) => t.value === (criteria.type || 'both'));
    if (!type) errors.push(keyedError('type', 'reports.errors.select-lost-pupil-type'));
    const { range, subject } = await this.read(actor, criteria, errors);
    if (!download || !type) throw new Invalid(errors);
    return {
      ...subject,
      range,
      download: download.value,
      type: type.value,
      filter: { ...this.rangeOf(subject, range), download: download.value, reason: type.reason },
    };
  }

  private rangeOf(subject: Subject, range: DateRange): LostPupilRange {
    return { la: subject.la, since: range.since, until: range.until };
  }

  /** The date range and the LA; throws Invalid with every error found (those given included). */
  private async read(
    actor: Actor,
    criteria: LostPupilCriteria,
    errors: FieldError[],
  ): Promise<{ range: DateRange; subject: Subject }> {
    const read = readDateRange(criteria, this.deps.clock.now());
    errors.push(...read.errors);
    const subject = await this.laOf(actor, criteria, errors);
    if (errors.length > 0 || !read.range || !subject) throw new Invalid(errors);
    return { range: read.range, subject };
  }

  /** The actor's own LA; the national administrator's chosen one, or every LA. Never another role's. */
  private async laOf(
    actor: Actor,
    criteria: LostPupilCriteria,
    errors: FieldError[],
  ): Promise<Subject | null> {
    // The pupils' names are for the lost-pupil roles only, whichever way the service is called.
    if (!can(actor.role, 'reports.lost-pupils')) throw new Forbidden();
    const la = await reportLaOrAll(this.deps.db, actor, criteria.la, errors);
    if (!la) return null;
    if (la === ALL_LAS) return { la: null, subject: EVERY_LA };
    return { la: la.number, subject: `${la.name} (${la.number})` };
  }
}
