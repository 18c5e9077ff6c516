// Files as the Download and View / Remove pages list them: the organisation at the other end by name,
// the dates users see, and the sort orders of the column headings ("click on column headings to change
// sort order", handbook §4-5). Sorting happens here rather than in SQL so that both engines give the
// same order (their collations differ on case and punctuation); the lists are one organisation's
// waiting files, small enough to sort in memory. An LA's collected CTFs are not (they build up for years):
// by file name and upload time the database sorts and pages them in this same order (laCtfPageQuery); by
// school, they are sorted here by a few columns each (SortableListing) and only a page read in full.
import { laInboxName, laName, type OrganisationName, schoolName } from '../directory/organisation-names.ts';
import { daysAfter } from '../platform/dates.ts';
import type {
  Executor,
  ScanStatus,
  TransferPupilRow,
  TransferRow,
  TransferStatus,
} from '../platform/db/schema.ts';
import { type Message, message, textIn } from '../platform/i18n/catalogue.ts';
import { windowPage } from '../platform/paging.ts';
import { type Category, isCategory } from './categories.ts';
import type { OrganisationNames } from './download-repository.ts';
import { pupilsWindow } from './repository.ts';

/**
 * The scans of files that were offered to their recipient: not held for a scan, or found clean. A file
 * waiting for its scan, or quarantined, never exists for its recipient (decision 24): not in its lists,
 * its reports (the sender's side shows it), nor its answers about files it downloaded.
 */
export const OFFERED_SCANS: readonly ScanStatus[] = ['not-scanned', 'clean'];

/** "Files will be available to redownload for seven days after last being downloaded" (handbook §4). */
export const REDOWNLOAD_DAYS = 7;

/** The organisation at one end of a transfer, as users know it. */
export interface PartyLabel {
  /** Its name in the reader's language where s2s makes it up or adds to it ("Ashire LA"). */
  name: OrganisationName;
  /** The code written in file names: 9165402, 916LLLL, 916PLAS, XXXXXXXX... */
  code: string;
}

export function sourceLabel(
  row: Pick<TransferRow, 'source_la' | 'source_school' | 'source_inbox'>,
  names: OrganisationNames,
): PartyLabel {
  const la = names.las.get(row.source_la);
  if (row.source_school) {
    return {
      name: schoolName(row.source_school, names.schools.get(row.source_school)),
      code: row.source_school,
    };
  }
  if (row.source_inbox) {
    return {
      name: laInboxName(row.source_la, row.source_inbox, la),
      code: `${row.source_la}${row.source_inbox}`,
    };
  }
  return { name: laName(row.source_la, la), code: `${row.source_la}LLLL` };
}

export function destinationLabel(
  row: Pick<TransferRow, 'dest_la' | 'dest_kind' | 'dest_school' | 'dest_inbox' | 'lost_reason'>,
  names: OrganisationNames,
): PartyLabel {
  const laNumber = row.dest_la ?? '';
  const la = names.las.get(laNumber);
  switch (row.dest_kind) {
    case 'school': {
      const number = row.dest_school ?? '';
      return { name: schoolName(number, names.schools.get(number)), code: number };
    }
    case 'la':
      return { name: laName(laNumber, la), code: `${laNumber}LLLL` };
    case 'la-inbox': {
      const inbox = row.dest_inbox ?? '';
      return { name: laInboxName(laNumber, inbox, la), code: `${laNumber}${inbox}` };
    }
    case 'lost-pupils':
      return row.lost_reason === 'left-maintained-sector'
        ? { name: message('transfer.party-name.lost-pupils.left'), code: 'MMMMMMMM' }
        : { name: message('transfer.party-name.lost-pupils.unknown'), code: 'XXXXXXXX' };
  }
}

/** One row of a file list. Never pupil data: the pupils are read separately, for one file. */
export interface FileListing {
  id: string;
  filename: string;
  category: Category;
  status: TransferStatus;
  uploadedAt: string;
  size: number;
  /** "12 KB", "3.4 MB"; under 1 KB, "122 bytes" as a message, in the reader's language where shown. */
  sizeText: string | Message;
  pupilCount: number;
  /** The other end: the source on Download pages, the destination on View / Remove Files. */
  party: PartyLabel;
  /** Sent to the Lost Pupils Database (XXXXXXXX, MMMMMMMM): kept there for LAs to search, never collected. */
  toLostPupils: boolean;
  lastDownloadedAt: string | null;
  collectedAt: string | null;
  rejectedAt: string | null;
  rejectReason: string | null;
  /**
   * Until when it can be downloaded again: collected files whose content is still held and whose 7 days
   * have not run out (the purge job may not have run yet).
   */
  redownloadUntil: string | null;
  contentHeld: boolean;
  /** When its content was deleted, and its pupils' details with it (the number of pupils stays). */
  purgedAt: string | null;
  /** The malware scan: not-scanned (scanning was off), pending, clean, infected. */
  scanStatus: TransferRow['scan_status'];
  /** What the scan found, for a quarantined file. */
  scanSignature: string | null;
}

export function listing(row: TransferRow, party: PartyLabel, now: Date): FileListing {
  if (!isCategory(row.category)) throw new Error(`Unknown transfer category ${row.category}`);
  const contentHeld = row.storage_key !== null && row.purged_at === null;
  const redownloadUntil =
    row.status === 'collected' && contentHeld && row.last_downloaded_at
      ? daysAfter(row.last_downloaded_at, REDOWNLOAD_DAYS)
      : null;
  return {
    id: row.id,
    filename: row.filename,
    category: row.category,
    status: row.status,
    uploadedAt: row.uploaded_at,
    size: row.size,
    sizeText: sizeInWords(row.size),
    pupilCount: row.pupil_count,
    party,
    toLostPupils: row.dest_kind === 'lost-pupils',
    lastDownloadedAt: row.last_downloaded_at,
    collectedAt: row.collected_at,
    rejectedAt: row.rejected_at,
    rejectReason: row.reject_reason,
    redownloadUntil: redownloadUntil && new Date(redownloadUntil) > now ? redownloadUntil : null,
    contentHeld,
    purgedAt: row.purged_at,
    scanStatus: row.scan_status,
    scanSignature: row.scan_signature,
  };
}

export function sizeInWords(bytes: number): string | Message {
  if (bytes < 1024) return message('transfer.size.bytes', { count: bytes });
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A pupil of a CTF as the "Pupil Details for selected file" table shows them. */
export interface PupilDetails {
  upn: string | null;
  dateOfBirth: string | null;
  /** "Surname, Forename Middle names", as in the handbook's screenshot ("Not given in the file" if none). */
  name: string;
  /** Whether the file gave a name: pages say "Not given in the file" in the reader's language. */
  nameGiven: boolean;
}

export function pupilDetails(pupil: TransferPupilRow): PupilDetails {
  const given = [pupil.forename, pupil.middle_names].filter((part) => part).join(' ');
  const name = [pupil.surname, given].filter((part) => part).join(', ');
  return {
    upn: pupil.upn,
    dateOfBirth: pupil.date_of_birth,
    name: name || 'Not given in the file',
    nameGiven: name !== '',
  };
}

/**
 * Pupils to a page wherever a file's pupils are listed (Download, View / Remove Files, the LA's pages): a
 * CTF of 30,000 pupils fits the upload limit, and listed whole made a page of megabytes.
 */
export const PUPILS_PER_PAGE = 100;

/** Which page of a file's pupils is shown, of how many, and how many pupils the file has. */
export interface PupilPaging {
  page: number;
  pages: number;
  total: number;
  /** The place of the first and last pupil shown (from 1): "Pupils 101 to 200 of 250". */
  first: number;
  last: number;
}

/** Page `page` of a file's pupils (the last for one past the end), PUPILS_PER_PAGE to a page. */
export async function pupilsOnPage(
  db: Executor,
  transferId: string,
  page: number,
): Promise<{ pupils: PupilDetails[]; pupilPaging: PupilPaging }> {
  const shown = await windowPage(page, PUPILS_PER_PAGE, (window) => pupilsWindow(db, transferId, window));
  const first = (shown.page - 1) * PUPILS_PER_PAGE + 1;
  return {
    pupils: shown.rows.map(pupilDetails),
    pupilPaging: {
      page: shown.page,
      pages: shown.pages,
      total: shown.total,
      first: shown.rows.length ? first : 0,
      last: first + shown.rows.length - 1,
    },
  };
}

/** `source` on the Download pages, `destination` on View / Remove Files: both sort by the party. */
export const SORT_KEYS = ['file', 'uploaded', 'source', 'destination'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortOrder = 'ascending' | 'descending';
export interface Sort {
  key: SortKey;
  order: SortOrder;
}

export const DEFAULT_SORT: Sort = { key: 'uploaded', order: 'ascending' };

/** The sort a page was asked for among the keys it offers, or the default for anything unexpected. */
export function readSort(
  key: unknown,
  order: unknown,
  offered: readonly SortKey[],
  fallback: Sort = DEFAULT_SORT,
): Sort {
  const found = offered.find((k) => k === key);
  if (!found) return fallback;
  return { key: found, order: order === 'descending' ? 'descending' : 'ascending' };
}

const collator = new Intl.Collator('en-GB', { sensitivity: 'base' });

/**
 * File names in character order, ignoring case: digits before letters, _ after them. The LA's tabs are
 * put in this order by SQL (laCtfPageQuery): a change here is a change there.
 */
function compareNames(a: string, b: string): number {
  const x = a.toUpperCase();
  const y = b.toUpperCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** What a list is sorted by: a whole listing, or only these (to sort a long list before reading a page). */
export type SortableListing = Pick<FileListing, 'id' | 'filename' | 'uploadedAt' | 'party'>;

function compareBy(key: SortKey, a: SortableListing, b: SortableListing): number {
  switch (key) {
    case 'file':
      return compareNames(a.filename, b.filename);
    case 'uploaded':
      return a.uploadedAt < b.uploadedAt ? -1 : a.uploadedAt > b.uploadedAt ? 1 : 0;
    case 'source':
    case 'destination':
      // By the English name: the lists are sorted where the reader's language is not known.
      return (
        collator.compare(textIn('en', a.party.name), textIn('en', b.party.name)) ||
        collator.compare(a.party.code, b.party.code)
      );
  }
}

export function sortListings<T extends SortableListing>(files: readonly T[], sort: Sort): T[] {
  const direction = sort.order === 'ascending' ? 1 : -1;
  return [...files].sort(
    (a, b) =>
      direction * compareBy(sort.key, a, b) ||
      // Ties keep a stable, predictable order: oldest first, then by id.
      compareBy('uploaded', a, b) ||
      (a.id < b.id ? -1 : 1),
  );
}

/** A column heading's link and aria-sort: a click sorts by it, a second click reverses. */
export interface SortHeading<K extends string = SortKey> {
  key: K;
  text: string;
  href: string;
  ariaSort: 'ascending' | 'descending' | 'none';
}

/**
 * Where one of several lists on a page keeps its sort: the names of its query parameters
 * (`${prefix}sort`, `${prefix}order`), so that sorting one list leaves the others as they were, and the
 * id of its heading, so that a sort link returns the reader to the list they sorted.
 */
export interface ListOfSeveral {
  prefix: string;
  anchor: string;
}

/** The query parameters that say how a list is sorted: sort and order, or a list of several's own. */
export function sortQuery(sort: { key: string; order: SortOrder }, prefix = ''): Record<string, string> {
  return { [`${prefix}sort`]: sort.key, [`${prefix}order`]: sort.order };
}

export function sortHeadings<K extends string = SortKey>(
  basePath: string,
  sort: { key: K; order: SortOrder },
  columns: { key: K; text: string }[],
  extraQuery: Record<string, string> = {},
  list?: ListOfSeveral,
): SortHeading<K>[] {
  return columns.map(({ key, text }) => {
    const current = sort.key === key;
    const next: SortOrder = current && sort.order === 'ascending' ? 'descending' : 'ascending';
    const query = new URLSearchParams({ ...extraQuery, ...sortQuery({ key, order: next }, list?.prefix) });
    return {
      key,
      text,
      href: `${basePath}?${query.toString()}${list ? `#${list.anchor}` : ''}`,
      ariaSort: current ? sort.order : 'none',
    };
  });
}
