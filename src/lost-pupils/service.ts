// Search for Lost Pupil, and what an LA does with the record it finds (LA notes §4.1-4.2, schools
// handbook §9). For the two Lost Pupil roles only: "School users cannot search this database".
//
// - Search: any of UPN (or former UPN), surname, forename, town, date of birth (day, month and year each
//   optional) and gender; "Surname begins" ticked matches the start of the surname (or former surname),
//   unticked a soundalike search (phonetics.ts). The database is national: a pupil lost in one LA turns
//   up in another. At most SHOWN records are shown: one more is asked for, and if it comes the user is
//   asked to add details rather than page through (the query stays an index lookup however large the
//   database). Records still in the database are found: lost ones, and found ones with who found them
//   and when (another LA may have the pupil already), and where their file was forwarded: to which
//   school, when, by which LA. Removed records are never shown.
// - A record: the handbook's "additional pupil details" (LEA number, school number and name, date
//   uploaded, former UPN, former surname, middle names) and why it is in the database.
// - Download Lost Pupil File: only once the user confirms "reasonable steps" were taken to ensure the
//   pupil is on roll at a school in their LEA. The confirmation earns a download ticket (an HMAC of who
//   and which record, valid for minutes, download-tickets.ts); the download itself needs the ticket, so
//   a file cannot be fetched without the attestation. The content is decrypted and checked against its
//   SHA-256 as it streams; the download is recorded on the file and audited ('lost-pupil-downloaded')
//   in one transaction. "Was the file downloaded correctly?" Yes marks the record found by the user's
//   LA ('lost-pupil-found'); No changes nothing. The file stays in the database for the next LA (the
//   handbook leaves its removal to the LA that uploaded it, see review-*.ts).
// - Forward to school (the transfer role only): the handbook's "download, rename, upload" in one step
//   (forward-service.ts), to a school of the user's own LA, with the same attestation. The new file is
//   sent in the LA's name (LEALLLL), as the handbook's renamed file is, and the record is found. The
//   lost pupil file stays as it was while the school's copy waits (decision 38): if the school rejects
//   the copy (or the LA removes it), the record is lost again and the file is forwarded again from here
//   (forwarded-copies.ts). Once the school collects the copy, it depends on whose record it is (decision
//   36): forwarded by the LA that uploaded it (its school's, or its own), the file becomes collected, its
//   content deleted 7 days later; forwarded by another LA, it stays, content and all, as the handbook's
//   way leaves it, for the LA that uploaded it to remove ("The LA has a responsibility for the pupils uploaded by their
//   schools ... to ensure that files are removed ... where the destination school is subsequently
//   established", LA notes §1.3), and that LA's lost-pupil users are emailed ('lost-pupil-forwarded')
//   so that they can close their case and remove it (Lost Pupils Past Leaving Age). Either way a file
//   is forwarded once, unless its copy is rejected or removed.
//
// Every action re-checks the capability (Forbidden), and that the record exists and is not removed
// (NotFound). Nothing here logs or audits pupil details: records are named by id and file name only.
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { getUser } from '../accounts/repository.ts';
import { recordAudit } from '../audit/repository.ts';
import type { Actor } from '../auth/actor.ts';
import { type Capability, can, scopeOf } from '../auth/permissions.ts';
import { checkUpn } from '../ctf/upn.ts';
import { laName, nameAndCode, type OrganisationName } from '../directory/organisation-names.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import type { Payload } from '../notifications/templates.ts';
import type { Clock } from '../platform/clock.ts';
import { readDateBoxes } from '../platform/date-boxes.ts';
import type { Db, Executor, LostPupilRow, TransferRow } from '../platform/db/schema.ts';
import { type FieldError, Forbidden, Invalid, NotFound } from '../platform/errors.ts';
import {
  keyedError,
  type Message,
  message,
  translate,
  translateMessage,
} from '../platform/i18n/catalogue.ts';
import { isId } from '../platform/ids.ts';
import type { Logger } from '../platform/logger.ts';
import type { EncryptedFileStore } from '../platform/storage/encrypted-store.ts';
import { destinationLabel, type PartyLabel } from '../transfers/download-listing.ts';
import {
  type OrganisationNames,
  organisationNames,
  recordDownload,
} from '../transfers/download-repository.ts';
import type { DownloadTickets } from '../transfers/download-tickets.ts';
import {
  type ForwardPlan,
  type ForwardResult,
  ForwardService,
  SCHOOL_FIELD,
} from '../transfers/forward-service.ts';
import { contentDue, contentKeptUntil, contentLostSince } from '../transfers/jobs.ts';
import { getTransfer } from '../transfers/repository.ts';
import { type Forwarded, forwardedFiles } from './forwards.ts';
import { markLostPupilFound, serialiseFindingOf } from './found-repository.ts';
import { lostPupilRecipients, uploaderOf } from './matching.ts';
import { nameLetters } from './phonetics.ts';
import {
  copyForwardedBy,
  getLostPupil,
  hasDownloadedLostPupil,
  type ListedLostPupil,
  type LostPupilQuery,
  recordLostPupilDownload,
  searchLostPupils,
} from './repository.ts';
import { REVIEW_PATH } from './review-service.ts';

/** The new file a forward made, waiting for the school (or collected by it since). */
export interface ForwardedFile {
  id: string;
  filename: string;
  destination: PartyLabel;
}

export interface LostPupilDeps {
  db: Db;
  files: Pick<EncryptedFileStore, 'get' | 'put' | 'remove'>;
  clock: Clock;
  logger: Logger;
  /** Issues and checks the tickets that let an attested download start (download-tickets.ts). */
  tickets: DownloadTickets;
}

/** The most records a search shows. */
export const SHOWN = 100;

/** The records a search finds: still in the database. */
const SEARCHED: readonly LostPupilRow['status'][] = ['lost', 'found'];

/** What tickets of this feature are for (a transfer's ticket names its category: they never mix). */
const TICKET_KIND = 'lost-pupils';

const WHAT = message('lost-pupils.not-found.record');

// ---------------------------------------------------------------------------------------------------
// The search form

export const SORTS = ['surname', 'forename', 'dob', 'town', 'uploaded'] as const;
export type LostPupilSort = (typeof SORTS)[number];
export type SortOrder = 'ascending' | 'descending';

/** The handbook's Sort Order list: each sort's label, as its key. */
export const SORT_LABELS: Record<LostPupilSort, string> = {
  surname: 'lost-pupils.field.surname',
  forename: 'lost-pupils.field.forename',
  dob: 'lost-pupils.field.date-of-birth',
  town: 'lost-pupils.field.town',
  uploaded: 'lost-pupils.field.date-uploaded',
};

/** The newest uploads first; everything else A to Z, oldest first. */
export const DEFAULT_ORDER: Record<LostPupilSort, SortOrder> = {
  surname: 'ascending',
  forename: 'ascending',
  dob: 'ascending',
  town: 'ascending',
  uploaded: 'descending',
};

/** The search form as typed: every field text. */
export interface SearchForm {
  upn: string;
  surname: string;
  surnameBegins: boolean;
  forename: string;
  town: string;
  dobDay: string;
  dobMonth: string;
  dobYear: string;
  gender: string;
  sort: string;
  order: string;
}

/**
 * Each field's name in the query string, which is also its id on the page: errors name these, so the
 * error summary links to the field. (The date parts are a GOV.UK date input's `dob-day`...)
 */
export const SEARCH_PARAMS: Record<keyof SearchForm, string> = {
  upn: 'upn',
  surname: 'surname',
  surnameBegins: 'surname-begins',
  forename: 'forename',
  town: 'town',
  dobDay: 'dob-day',
  dobMonth: 'dob-month',
  dobYear: 'dob-year',
  gender: 'gender',
  sort: 'sort',
  order: 'order',
};

/** The fields that say what to look for (sort order and "Surname begins" only say how). */
const SEARCH_FIELDS = [
  'upn',
  'surname',
  'forename',
  'town',
  'dobDay',
  'dobMonth',
  'dobYear',
  'gender',
] as const;

export const EMPTY_SEARCH: SearchForm = {
  upn: '',
  surname: '',
  surnameBegins: false,
  forename: '',
  town: '',
  dobDay: '',
  dobMonth: '',
  dobYear: '',
  gender: '',
  sort: 'surname',
  order: '',
};

/** A search, checked: what the repository is asked for, and how the results are sorted. */
export interface SearchCriteria {
  upn: string;
  surname: string;
  surnameBegins: boolean;
  forename: string;
  town: string;
  birthDay: number | null;
  birthMonth: number | null;
  birthYear: number | null;
  gender: 'M' | 'F' | null;
  sort: LostPupilSort;
  order: SortOrder;
}

const NAME_MAX = 100;

/** A problem with one field of the search form: its message's key travels with the issue. */
function addProblem(ctx: z.RefinementCtx, field: string, key: string, params?: Message['params']): void {
  const text = message(key, params);
  ctx.addIssue({ code: 'custom', path: [field], message: translateMessage('en', text), params: { text } });
}

/** The problems a name field can have: too long, or no letters. */
const NAME_PROBLEMS = {
  surname: ['lost-pupils.search.error.surname-too-long', 'lost-pupils.search.error.surname-letters'],
  forename: ['lost-pupils.search.error.forename-too-long', 'lost-pupils.search.error.forename-letters'],
  town: ['lost-pupils.search.error.town-too-long', 'lost-pupils.search.error.town-letters'],
} as const;

function nameField(
  name: keyof typeof NAME_PROBLEMS,
  form: string,
  value: string,
  ctx: z.RefinementCtx,
): string {
  if (value === '') return '';
  const [tooLong, noLetters] = NAME_PROBLEMS[name];
  if (value.length > NAME_MAX) addProblem(ctx, form, tooLong, { max: NAME_MAX });
  else if (nameLetters(value) === '') addProblem(ctx, form, noLetters);
  return value;
}

/** The date of birth as its errors name it: "The date of birth must be a real date". */
const DATE_OF_BIRTH = message('lost-pupils.search.date-of-birth');

/** Years of birth a search takes. */
const BIRTH_YEARS = { min: 1900, max: 2999 };

const formSchema = z
  .object({
    upn: z.string(),
    surname: z.string(),
    surnameBegins: z.boolean(),
    forename: z.string(),
    town: z.string(),
    dobDay: z.string(),
    dobMonth: z.string(),
    dobYear: z.string(),
    gender: z.string(),
    sort: z.string(),
    order: z.string(),
  })
  .transform((raw, ctx): SearchCriteria => {
    const form: SearchForm = { ...raw };
    for (const key of SEARCH_FIELDS) form[key] = raw[key].trim();
    if (SEARCH_FIELDS.every((field) => form[field] === '')) {
      addProblem(ctx, SEARCH_PARAMS.upn, 'lost-pupils.search.error.nothing');
    }
    const upn = form.upn.replace(/\s+/g, '').toUpperCase();
    if (upn !== '' && !/^[A-Z0-9]{13}$/.test(upn)) {
      addProblem(ctx, SEARCH_PARAMS.upn, 'lost-pupils.search.error.upn', { length: upn.length });
    }
    // Each box may be left blank: the search is by what is known of the date.
    const birth = readDateBoxes('dob', DATE_OF_BIRTH, [form.dobDay, form.dobMonth, form.dobYear], {
      partial: true,
      years: BIRTH_YEARS,
    });
    if ('error' in birth) {
      ctx.addIssue({
        code: 'custom',
        path: [birth.error.field],
        message: birth.error.message,
        params: { error: birth.error },
      });
    }
    const {
      day: birthDay,
      month: birthMonth,
      year: birthYear,
    } = 'parts' in birth ? birth.parts : { day: null, month: null, year: null };
    const gender = form.gender.toUpperCase();
    if (gender !== '' && gender !== 'M' && gender !== 'F') {
      addProblem(ctx, SEARCH_PARAMS.gender, 'lost-pupils.search.error.gender');
    }
    const sort = SORTS.find((s) => s === form.sort) ?? 'surname';
    return {
      upn,
      surname: nameField('surname', SEARCH_PARAMS.surname, form.surname, ctx),
      surnameBegins: form.surnameBegins,
      forename: nameField('forename', SEARCH_PARAMS.forename, form.forename, ctx),
      town: nameField('town', SEARCH_PARAMS.town, form.town, ctx),
      birthDay,
      birthMonth,
      birthYear,
      gender: gender === 'M' || gender === 'F' ? gender : null,
      sort,
      order: form.order === 'ascending' || form.order === 'descending' ? form.order : DEFAULT_ORDER[sort],
    };
  });

/** Checks a search form: the criteria, or Invalid with a message per field saying what to do. */
export function readCriteria(form: SearchForm): SearchCriteria {
  const parsed = formSchema.safeParse(form);
  if (parsed.success) return parsed.data;
  throw new Invalid(
    parsed.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? SEARCH_PARAMS.upn);
      if (issue.code !== 'custom') return { field, message: issue.message };
      const error = issue.params?.error as FieldError | undefined;
      if (error) return error;
      const text = issue.params?.text as Message | undefined;
      return text ? keyedError(field, text.key, text.params) : { field, message: issue.message };
    }),
  );
}

// ---------------------------------------------------------------------------------------------------
// What the pages show

export interface Organisation {
  /** An LA number, or a school's 7-digit number (null when the LA itself uploaded the file). */
  number: string | null;
  name: OrganisationName;
}

export interface Finder {
  at: string;
  la: Organisation;
  /** The user's name and username; null once they have left. */
  by: string | null;
}

/** One record in a list of results. */
export interface LostPupilSummary {
  id: string;
  surname: string | null;
  forename: string | null;
  middleNames: string | null;
  upn: string | null;
  /** YYYY-MM-DD. */
  dateOfBirth: string | null;
  gender: 'Female' | 'Male' | null;
  town: string | null;
  la: Organisation;
  school: Organisation;
  uploadedAt: string;
  status: 'lost' | 'found';
  found: Finder | null;
  /** Where the record's file was forwarded: to which school, when, by which LA. */
  forwarded: Forwarded | null;
}

export type FileState =
  /** In the database, to download (and, for the transfer role, to forward). */
  | 'available'
  /**
   * Forwarded to a school by the LA that uploaded it, and waiting there: kept, content and all, until the
   * school collects it (decision 38).
   */
  | 'forwarded-waiting'
  /** Forwarded by the LA that uploaded it and collected by the school; its content is kept 7 days, then deleted. */
  | 'forwarded'
  /** Forwarded to a school by another LA; kept, content and all, until the LA that uploaded it removes it. */
  | 'forwarded-kept'
  /** Forwarded, and the content deleted since. */
  | 'forwarded-purged'
  /** The school that uploaded it removed it (View / Remove Files). */
  | 'removed-by-sender';

/** A record with the handbook's additional details, its file, and what the user may do now. */
export interface LostPupilRecord extends LostPupilSummary {
  formerUpn: string | null;
  formerSurname: string | null;
  reason: LostPupilRow['reason'];
  /** "Destination unknown (XXXXXXXX)" or "Left the maintained sector (MMMMMMMM)". */
  reasonText: string;
  filename: string;
  file: {
    state: FileState;
    /** When it was forwarded, or removed by its sender. */
    changedAt: string | null;
    /** Forwarded and collected: until when it can still be downloaded (then its content is deleted). */
    keptUntil: string | null;
    /** Why it cannot be downloaded, in words; null when it can. */
    unavailable: string | null;
    /** The same, as its key in the catalogue. */
    unavailableKey: string | null;
  };
  canDownload: boolean;
  /** The actor's role forwards files, and this one can be forwarded now. */
  canForward: boolean;
  /** The actor's role forwards files (whether or not this one can be). */
  forwards: boolean;
}

export interface SearchOutcome {
  criteria: SearchCriteria;
  results: LostPupilSummary[];
  /** More records match than are shown. */
  more: boolean;
  /** What to do about it: the details to add. */
  narrow: string | null;
  /** The same, as a message for pages in the reader's language. */
  narrowMessage: Message | null;
  /**
   * The UPN searched for is not a valid UPN (its check letter, say): what is wrong with it. It is still
   * searched for, as typed, since a record may hold it so.
   */
  upnWarning: string | null;
  /** The same, as a message for pages in the reader's language. */
  upnWarningMessage: Message | null;
}

export interface LostPupilDownload {
  filename: string;
  size: number;
  stream: Readable;
  id: string;
}

/** The attestation: the handbook's words, as the error says them. */
export const ATTEST_FIELD = 'attest';
const ATTEST_KEY = 'lost-pupils.attest.required';

// ---------------------------------------------------------------------------------------------------

const collator = new Intl.Collator('en-GB', { sensitivity: 'base' });

/** A record's file that changed between its checks and its download. */
function justChanged(transfer: TransferRow): Invalid {
  return new Invalid([
    keyedError(ATTEST_FIELD, 'lost-pupils.file.just-changed', { filename: transfer.filename }),
  ]);
}

function compareText(a: string | null, b: string | null): number {
  return collator.compare(a ?? '', b ?? '');
}

function keyOf(row: ListedLostPupil, sort: LostPupilSort): string | null {
  switch (sort) {
    case 'surname':
      return row.surname;
    case 'forename':
      return row.forename;
    case 'dob':
      return row.date_of_birth;
    case 'town':
      return row.town;
    case 'uploaded':
      return row.uploaded_at;
  }
}

/** Sorted by the chosen field (records without it last), then surname, forename, date of birth, id. */
export function sortRecords(
  rows: ListedLostPupil[],
  sort: LostPupilSort,
  order: SortOrder,
): ListedLostPupil[] {
  const direction = order === 'ascending' ? 1 : -1;
  const byField = (a: ListedLostPupil, b: ListedLostPupil) => {
    const [x, y] = [keyOf(a, sort), keyOf(b, sort)];
    if (!x || !y) return x ? -1 : y ? 1 : 0;
    return (
      direction * (sort === 'dob' || sort === 'uploaded' ? (x < y ? -1 : x > y ? 1 : 0) : compareText(x, y))
    );
  };
  return [...rows].sort(
    (a, b) =>
      byField(a, b) ||
      compareText(a.surname, b.surname) ||
      compareText(a.forename, b.forename) ||
      (a.date_of_birth ?? '').localeCompare(b.date_of_birth ?? '') ||
      (a.id < b.id ? -1 : 1),
  );
}

/** "Add a, b or c to narrow the search", for one to three details. */
const ADD_DETAILS = [
  'lost-pupils.search.narrow.add-one',
  'lost-pupils.search.narrow.add-two',
  'lost-pupils.search.narrow.add-three',
] as const;

/** What a search that matched too many could add. */
function narrowing(criteria: SearchCriteria): Message {
  const parts = [criteria.birthDay, criteria.birthMonth, criteria.birthYear].filter((p) => p !== null);
  const missing = [
    parts.length === 0
      ? 'lost-pupils.search.narrow.date-of-birth'
      : parts.length < 3
        ? 'lost-pupils.search.narrow.whole-date-of-birth'
        : null,
    criteria.forename ? null : 'lost-pupils.search.narrow.forename',
    criteria.town ? null : 'lost-pupils.search.narrow.town',
    criteria.gender === null ? 'lost-pupils.search.narrow.gender' : null,
  ]
    .filter((item): item is string => item !== null)
    .slice(0, 3);
  const [a, b, c] = missing.map((key) => message(key));
  const add =
    a === undefined
      ? message('lost-pupils.search.narrow.by-upn')
      : message(ADD_DETAILS[missing.length - 1] ?? ADD_DETAILS[0], {
          a,
          ...(b ? { b } : {}),
          ...(c ? { c } : {}),
        });
  return message('lost-pupils.search.narrow', { shown: SHOWN, add });
}

/** What is wrong with a UPN searched for (13 letters and digits, readCriteria's check), or null if valid. */
function upnWarningOf(upn: string): Message | null {
  if (upn === '') return null;
  const [problem] = checkUpn(upn).problems;
  return problem ? message('lost-pupils.search.upn-not-valid', { upn, problem: problem.text }) : null;
}

/** The reason a record is in the database, as its key. */
function reasonKey(reason: LostPupilRow['reason']): string {
  return reason === 'left-maintained-sector'
    ? 'lost-pupils.reason.left-maintained-sector'
    : 'lost-pupils.reason.destination-unknown';
}

function reasonText(reason: LostPupilRow['reason']): string {
  return translate('en', reasonKey(reason));
}

function laOrganisation(number: string, names: OrganisationNames): Organisation {
  const name = names.las.get(number);
  return { number, name: name ? nameAndCode(name, number) : laName(number, null) };
}

function schoolOrganisation(row: ListedLostPupil, names: OrganisationNames): Organisation {
  if (!row.source_school) {
    return { number: null, name: message('lost-pupils.organisation.la-itself', { la: row.source_la }) };
  }
  return {
    number: row.source_school,
    name: names.schools.get(row.source_school) ?? message('lost-pupils.organisation.not-in-directory'),
  };
}

/** The organisations a record names, in the shape organisationNames() reads. */
function namesOf(row: ListedLostPupil) {
  return {
    source_la: row.source_la,
    source_school: row.source_school,
    dest_la: row.found_by_la,
    dest_school: null,
  };
}

function summaryOf(
  row: ListedLostPupil,
  names: OrganisationNames,
  forwarded: Forwarded | undefined,
): LostPupilSummary {
  return {
    id: row.id,
    surname: row.surname,
    forename: row.forename,
    middleNames: row.middle_names,
    upn: row.upn,
    dateOfBirth: row.date_of_birth,
    gender: row.gender === 'F' ? 'Female' : row.gender === 'M' ? 'Male' : null,
    town: row.town,
    la: laOrganisation(row.source_la, names),
    school: schoolOrganisation(row, names),
    uploadedAt: row.uploaded_at,
    status: row.status === 'found' ? 'found' : 'lost',
    found:
      row.status === 'found' && row.found_at && row.found_by_la
        ? { at: row.found_at, la: laOrganisation(row.found_by_la, names), by: null }
        : null,
    forwarded: forwarded ?? null,
  };
}

/** The file's state, and why it cannot be downloaded (its key; English for the API). */
function fileState(
  state: FileState,
  changedAt: string | null,
  unavailableKey: string | null,
  keptUntil: string | null = null,
): LostPupilRecord['file'] {
  return {
    state,
    changedAt,
    keptUntil,
    unavailable: unavailableKey ? translate('en', unavailableKey) : null,
    unavailableKey,
  };
}

/**
 * The file's state, from its row and its latest forward. A forward whose copy the school rejected, or its
 * LA removed, leaves the file as it was before (decision 38): the record is lost again, and is forwarded
 * again from here.
 */
function fileStateOf(
  transfer: TransferRow,
  forward: Forwarded | undefined,
  recordLa: string,
  now: Date,
): LostPupilRecord['file'] {
  const live = forward?.state === 'rejected' || forward?.state === 'removed' ? undefined : forward;
  if (transfer.status === 'available' && live) {
    // The LA's own forward keeps the file until the school collects the copy; another LA's, until the LA
    // that uploaded it removes it (decision 36).
    return fileState(
      live.la.number === recordLa ? 'forwarded-waiting' : 'forwarded-kept',
      live.at,
      transfer.storage_key ? null : 'lost-pupils.file.not-held',
    );
  }
  if (transfer.status === 'removed') {
    return fileState('removed-by-sender', transfer.removed_at, 'lost-pupils.file.removed-by-sender');
  }
  if (transfer.status === 'collected') {
    // Until the time the record gives (7 days from the collection or a later download), whether or not
    // the purge job has run since. A lost pupil's file is collected only when a school collects a copy
    // forwarded from it (forwarded-copies.ts).
    const kept = { forwarded: true };
    const held = Boolean(transfer.storage_key && transfer.wrapped_key) && !contentDue(transfer, now, kept);
    return fileState(
      held ? 'forwarded' : 'forwarded-purged',
      transfer.collected_at,
      held ? null : 'lost-pupils.file.forwarded-purged',
      held ? contentKeptUntil(transfer, kept) : null,
    );
  }
  if (transfer.status === 'pending-scan') {
    return fileState('available', null, 'lost-pupils.file.pending-scan');
  }
  if (transfer.status === 'quarantined') {
    return fileState('removed-by-sender', transfer.scanned_at, 'lost-pupils.file.quarantined');
  }
  return fileState('available', null, transfer.storage_key ? null : 'lost-pupils.file.not-held');
}

export class LostPupilService {
  private readonly forwarding: ForwardService;

  constructor(private readonly deps: LostPupilDeps) {
    this.forwarding = new ForwardService(deps);
  }

  /** Search for Lost Pupil: the records matching every detail given, at most SHOWN, sorted. */
  async search(actor: Actor, form: SearchForm): Promise<SearchOutcome> {
    this.laOf(actor, 'lost-pupils.search');
    const criteria = readCriteria(form);
    const query: LostPupilQuery = {
      upn: criteria.upn || undefined,
      surname: criteria.surname || undefined,
      surnameBegins: criteria.surnameBegins,
      forename: criteria.forename || undefined,
      town: criteria.town || undefined,
      birthDay: criteria.birthDay ?? undefined,
      birthMonth: criteria.birthMonth ?? undefined,
      birthYear: criteria.birthYear ?? undefined,
      gender: criteria.gender ?? undefined,
      statuses: SEARCHED,
    };
    const rows = await searchLostPupils(this.deps.db, query, SHOWN + 1);
    const more = rows.length > SHOWN;
    // Which SHOWN of the matches is arbitrary when there are more: the message says so.
    const shown = sortRecords(rows.slice(0, SHOWN), criteria.sort, criteria.order);
    const names = await organisationNames(this.deps.db, shown.map(namesOf));
    const forwards = await forwardedFiles(
      this.deps.db,
      shown.map((row) => row.id),
    );
    const upnWarning = upnWarningOf(criteria.upn);
    return {
      criteria,
      results: shown.map((row) => summaryOf(row, names, forwards.get(row.id))),
      more,
      narrow: more ? translateMessage('en', narrowing(criteria)) : null,
      narrowMessage: more ? narrowing(criteria) : null,
      upnWarning: upnWarning ? translateMessage('en', upnWarning) : null,
      upnWarningMessage: upnWarning,
    };
  }

  /** One record with the handbook's additional details, its file's state, and who found it. */
  async record(actor: Actor, id: string): Promise<LostPupilRecord> {
    this.laOf(actor, 'lost-pupils.search');
    const { row, transfer, forward } = await this.load(this.deps.db, id);
    return this.describe(actor, row, transfer, forward);
  }

  /**
   * "Download Lost Pupil File", confirmed: checks the attestation and that the file can be downloaded,
   * and returns the ticket the download needs. Records nothing: the download does.
   */
  async attestDownload(actor: Actor, id: string, attested: boolean): Promise<{ ticket: string }> {
    this.laOf(actor, 'lost-pupils.search');
    const { row, transfer, forward } = await this.load(this.deps.db, id);
    const unavailable = fileStateOf(transfer, forward, row.source_la, this.deps.clock.now()).unavailableKey;
    if (unavailable) throw new Invalid([keyedError(ATTEST_FIELD, unavailable)]);
    if (!attested) throw new Invalid([keyedError(ATTEST_FIELD, ATTEST_KEY)]);
    return { ticket: this.deps.tickets.issue(actor.userId, TICKET_KIND, [id], this.deps.clock.now()) };
  }

  /** Whether a ticket lets this user download this record's file now. */
  ticketIsValid(actor: Actor, id: string, ticket: string): boolean {
    return this.deps.tickets.isValid(ticket, actor.userId, TICKET_KIND, [id], this.deps.clock.now());
  }

  /**
   * The file, decrypted; its SHA-256 is checked as it streams (the stream fails on a mismatch, and the
   * web edge then breaks the response off). The download is recorded and audited first.
   */
  async download(actor: Actor, id: string, ticket: string): Promise<LostPupilDownload> {
    const la = this.laOf(actor, 'lost-pupils.search');
    const { row, transfer, forward } = await this.load(this.deps.db, id);
    if (!this.ticketIsValid(actor, id, ticket)) {
      throw new Forbidden(
        'Confirm that the pupil is on roll at a school in your LEA to download the file',
        'lost-pupils.download.forbidden',
        undefined,
        { byRole: false },
      );
    }
    const unavailable = fileStateOf(transfer, forward, row.source_la, this.deps.clock.now()).unavailableKey;
    if (unavailable || !transfer.storage_key || !transfer.wrapped_key) {
      throw new Invalid([keyedError(ATTEST_FIELD, unavailable ?? 'lost-pupils.file.not-held')]);
    }
    // Opened before anything is recorded, so a store that cannot be read records nothing.
    let stream: Readable;
    try {
      stream = await this.deps.files.get({
        storageKey: transfer.storage_key,
        wrappedKey: transfer.wrapped_key,
        masterKeyId: transfer.master_key_id,
        sha256: transfer.sha256,
      });
    } catch (error) {
      // Its school (View / Remove Files) or its LA (Lost Pupils Past Leaving Age) removed it since it was
      // read, and deleted its content; or the purge job let it go (a forwarded file, 7 days after its
      // school collected the copy). Content that failed with its file unchanged is a fault.
      throw (await this.lostSince(transfer, forward, row.source_la)) ?? error;
    }
    // By id only: no pupil data in the logs.
    stream.once('error', (error: Error) =>
      this.deps.logger.error({ lostPupilId: row.id, error: error.name }, 'lost pupil file broken off'),
    );
    const at = this.deps.clock.now();
    try {
      const recorded = await this.deps.db.transaction().execute(async (tx) => {
        if (!(await recordDownload(tx, transfer, at.toISOString(), actor.userId))) return false;
        await recordLostPupilDownload(tx, row.id, actor.userId, at.toISOString());
        await this.audit(tx, actor, la, 'lost-pupil-downloaded', row, transfer, { attested: true });
        return true;
      });
      // Removed since the opening, or its content let go by the purge job at the end of its 7 days (it
      // records that before it deletes): refused as the opening would have been a moment later.
      if (!recorded) throw (await this.lostSince(transfer, forward, row.source_la)) ?? justChanged(transfer);
    } catch (error) {
      stream.destroy();
      throw error;
    }
    return { filename: transfer.filename, size: transfer.size, stream, id: row.id };
  }

  /** "Was the file downloaded correctly?" Yes: the record is found by the user's LA. */
  async confirmFound(actor: Actor, id: string): Promise<LostPupilRecord> {
    return (await this.confirmFoundOnce(actor, id)).record;
  }

  /**
   * confirmFound, and whether the record was found by the user already (`already`): the same answer
   * posted again, or at once after the other, which changes and audits nothing more.
   */
  async confirmFoundOnce(actor: Actor, id: string): Promise<{ record: LostPupilRecord; already: boolean }> {
    const la = this.laOf(actor, 'lost-pupils.search');
    const { row, transfer, forward } = await this.load(this.deps.db, id);
    // Any download of theirs, whoever downloaded it since (another LA, a colleague); the file's last
    // downloader also for a download made before migration 057 (by a node of the previous version).
    const downloaded =
      transfer.last_downloaded_at !== null &&
      (transfer.downloaded_by === actor.userId ||
        (await hasDownloadedLostPupil(this.deps.db, row.id, actor.userId)));
    if (!downloaded) throw new Invalid([keyedError('answer', 'lost-pupils.check.not-downloaded')]);
    const found = await this.deps.db.transaction().execute(async (tx) => {
      await serialiseFindingOf(tx, row.id);
      const now = await getLostPupil(tx, row.id);
      if (now?.status === 'found' && now.found_by === actor.userId && now.found_by_la === la) {
        return { row: now, already: true };
      }
      const at = this.deps.clock.now();
      if (
        !(await markLostPupilFound(tx, row.id, { at: at.toISOString(), laNumber: la, userId: actor.userId }))
      ) {
        throw new NotFound(WHAT);
      }
      await this.audit(tx, actor, la, 'lost-pupil-found', row, transfer, { how: 'downloaded' });
      // Another LA found it: the LA that uploaded it is told, as of a forward (LA notes §1.4), unless this
      // LA had found it already (a colleague's answer).
      if (row.source_la !== la && now?.found_by_la !== la) {
        await this.tellRecordsLaFound(tx, row, transfer, la, at);
      }
      return { row: (await getLostPupil(tx, row.id)) as LostPupilRow, already: false };
    });
    return { record: await this.describe(actor, found.row, transfer, forward), already: found.already };
  }

  /**
   * Forward to school, step one: the attestation, the file, and the school (a school of the user's LA,
   * using s2s); the new file's name and destination to confirm. Every problem at once, per field.
   */
  async forwardPlan(
    actor: Actor,
    id: string,
    input: { school: string; attested: boolean },
  ): Promise<{ record: LostPupilRecord; plan: ForwardPlan }> {
    const la = this.laOf(actor, 'lost-pupils.forward');
    const { row, transfer, forward } = await this.load(this.deps.db, id);
    const errors: FieldError[] = [];
    let plan: ForwardPlan | undefined;
    try {
      const state = fileStateOf(transfer, forward, row.source_la, this.deps.clock.now());
      if (state.state !== 'available') {
        throw new Invalid([
          keyedError(
            SCHOOL_FIELD,
            state.state === 'removed-by-sender'
              ? (state.unavailableKey ?? 'lost-pupils.file.removed-by-sender')
              : 'lost-pupils.file.already-forwarded',
          ),
        ]);
      }
      plan = await this.forwarding.plan(transfer, input.school, { onlyLa: la });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      errors.push(...error.errors);
    }
    if (!input.attested) errors.push(keyedError(ATTEST_FIELD, ATTEST_KEY));
    if (errors.length > 0 || !plan) throw new Invalid(errors);
    return { record: await this.describe(actor, row, transfer, forward), plan };
  }

  /**
   * forward, once: a file the actor forwarded already, its copy on its way (the same confirmation posted
   * again, or the API's request sent again, or either at once after the other), is not forwarded again,
   * and `already` says so; `forwarded` is the copy either way (the first's, the second time). Another
   * user's forward of a file forwarded already is refused, by forward.
   */
  async forwardOnce(
    actor: Actor,
    id: string,
    input: { school: string; attested: boolean },
  ): Promise<{
    record: LostPupilRecord;
    forwarded: ForwardedFile;
    result: ForwardResult | null;
    already: boolean;
  }> {
    this.laOf(actor, 'lost-pupils.forward');
    const forwardedAlready = async () => {
      const { row, transfer, forward } = await this.load(this.deps.db, id);
      const copy = await copyForwardedBy(this.deps.db, transfer.id, actor.userId);
      if (!copy) return undefined;
      const names = await organisationNames(this.deps.db, [copy]);
      return {
        record: await this.describe(actor, row, transfer, forward),
        forwarded: { id: copy.id, filename: copy.filename, destination: destinationLabel(copy, names) },
        result: null,
        already: true,
      };
    };
    const earlier = await forwardedAlready();
    if (earlier) return earlier;
    try {
      const done = await this.forward(actor, id, input);
      const { forwarded, plan } = done.result;
      return {
        ...done,
        forwarded: { id: forwarded.id, filename: forwarded.filename, destination: plan.destination },
        already: false,
      };
    } catch (error) {
      const meanwhile = error instanceof Invalid ? await forwardedAlready() : undefined;
      if (meanwhile) return meanwhile;
      throw error;
    }
  }

  /**
   * Forward to school, step two: the new file waits for the school (which is emailed), the record is
   * found by the user's LA, and the lost pupil file stays as it was until the school collects or rejects
   * the new file; another LA's record's LA is emailed (see the top of this file).
   */
  async forward(
    actor: Actor,
    id: string,
    input: { school: string; attested: boolean },
  ): Promise<{ record: LostPupilRecord; result: ForwardResult }> {
    const la = this.laOf(actor, 'lost-pupils.forward');
    await this.forwardPlan(actor, id, input);
    const { row, transfer } = await this.load(this.deps.db, id);
    const ownRecord = row.source_la === la;
    // The pupil is found in the forward's own transaction: the file passed on and the record found, or
    // neither.
    const result = await this.forwarding.forward({
      actor,
      original: transfer,
      school: input.school,
      // The file stays as it was while the school's copy waits (decision 38): if the school rejects the
      // copy, the record is lost again and its file is here to forward again. The LA's own record's file
      // becomes collected when the school collects the copy (download-service.ts), its content deleted 7
      // days later; another LA's stays for that LA to remove (decision 36). The record stays, found.
      originalBecomes: 'kept',
      onlyLa: la,
      alongside: async (tx, forwarded, plan) => {
        if (!ownRecord) await this.tellRecordsLa(tx, row, transfer, forwarded, plan);
        const marked = await markLostPupilFound(tx, row.id, {
          // The forward's own time: a rejection of the copy finds its finding by it (markLostPupilLostAgain).
          at: forwarded.uploaded_at,
          laNumber: la,
          userId: actor.userId,
        });
        if (!marked) {
          this.deps.logger.warn(
            { lostPupilId: row.id },
            'a forwarded lost pupil record was removed meanwhile',
          );
          return;
        }
        await this.audit(tx, actor, la, 'lost-pupil-found', row, transfer, {
          how: 'forwarded',
          forwardedTo: forwarded.id,
          newFilename: forwarded.filename,
          destination: plan.destination.code,
        });
      },
    });
    const found = (await getLostPupil(this.deps.db, row.id)) ?? row;
    const forward = (await forwardedFiles(this.deps.db, [transfer.id])).get(transfer.id);
    return { record: await this.describe(actor, found, result.original, forward), result };
  }

  /**
   * Emails the lost-pupil users of the record's LA (or the LA) that another LA forwarded its file, so
   * that they can close their case and remove the record: file names and organisations, never the pupil.
   */
  private async tellRecordsLa(
    tx: Executor,
    row: LostPupilRow,
    transfer: TransferRow,
    forwarded: TransferRow,
    plan: ForwardPlan,
  ): Promise<void> {
    const uploadedBy = await uploaderOf(tx, row);
    const payload: Payload<'lost-pupil-forwarded'> = {
      lostFilename: transfer.filename,
      uploadedBy: uploadedBy.name,
      uploadedByCode: uploadedBy.code,
      uploadedAt: row.uploaded_at,
      forwardedBy: plan.source.name,
      forwardedByCode: plan.source.code,
      school: plan.destination.name,
      schoolCode: plan.destination.code,
      forwardedAt: forwarded.uploaded_at,
      path: REVIEW_PATH,
    };
    for (const to of await lostPupilRecipients(tx, row.source_la)) {
      await enqueueNotification(tx, {
        at: this.deps.clock.now(),
        template: 'lost-pupil-forwarded',
        ...to,
        payload,
      });
    }
  }

  /**
   * Emails the lost-pupil users of the record's LA (or the LA), the recipients of a forward's email, that
   * another LA downloaded its file and said the pupil is on roll at one of its schools, so that they can
   * close their case and remove the record: file names and organisations, never the pupil.
   */
  private async tellRecordsLaFound(
    tx: Executor,
    row: LostPupilRow,
    transfer: TransferRow,
    la: string,
    at: Date,
  ): Promise<void> {
    const uploadedBy = await uploaderOf(tx, row);
    const finder = await organisationNames(tx, [
      { source_la: la, source_school: null, dest_la: null, dest_school: null },
    ]);
    const payload: Payload<'lost-pupil-found'> = {
      lostFilename: transfer.filename,
      uploadedBy: uploadedBy.name,
      uploadedByCode: uploadedBy.code,
      uploadedAt: row.uploaded_at,
      foundBy: laName(la, finder.las.get(la) ?? null),
      foundByCode: `${la}LLLL`,
      foundAt: at.toISOString(),
      path: REVIEW_PATH,
    };
    for (const to of await lostPupilRecipients(tx, row.source_la)) {
      await enqueueNotification(tx, { at, template: 'lost-pupil-found', ...to, payload });
    }
  }

  // -------------------------------------------------------------------------------------------------

  /** The actor's LA, for an LA role with the capability; Forbidden for anyone else. */
  private laOf(actor: Actor, capability: Capability): string {
    if (!can(actor.role, capability) || scopeOf(actor.role) !== 'la' || !actor.laNumber) {
      throw new Forbidden();
    }
    return actor.laNumber;
  }

  /**
   * Why the content of a record's file read a moment ago as held is gone, by its row now, as the record
   * would then say: removed or forwarded since ("just changed"), or let go by the purge job. Null when
   * neither: a fault.
   */
  private async lostSince(
    transfer: TransferRow,
    forward: Forwarded | undefined,
    recordLa: string,
  ): Promise<Invalid | null> {
    const lost = await contentLostSince(this.deps.db, transfer);
    if (lost === 'changed') return justChanged(transfer);
    if (lost !== 'purged') return null;
    const purged = { ...transfer, storage_key: null, wrapped_key: null };
    const now = this.deps.clock.now();
    return new Invalid([
      keyedError(
        ATTEST_FIELD,
        fileStateOf(purged, forward, recordLa, now).unavailableKey ?? 'lost-pupils.file.not-held',
      ),
    ]);
  }

  /** A record still in the database, with its file and its forward; NotFound for anything else. */
  private async load(
    db: Executor,
    id: string,
  ): Promise<{ row: LostPupilRow; transfer: TransferRow; forward: Forwarded | undefined }> {
    const row = isId(id) ? await getLostPupil(db, id) : undefined;
    if (!row || row.status === 'removed') throw new NotFound(WHAT);
    const transfer = await getTransfer(db, row.transfer_id);
    if (transfer?.dest_kind !== 'lost-pupils') throw new NotFound(WHAT);
    return { row, transfer, forward: (await forwardedFiles(db, [transfer.id])).get(transfer.id) };
  }

  private async describe(
    actor: Actor,
    row: LostPupilRow,
    transfer: TransferRow,
    forward: Forwarded | undefined,
  ): Promise<LostPupilRecord> {
    const names = await organisationNames(this.deps.db, [namesOf(row)]);
    const summary = summaryOf(row, names, forward);
    if (summary.found && row.found_by) {
      const user = await getUser(this.deps.db, row.found_by);
      summary.found.by = user ? `${user.full_name} (${user.username})` : null;
    }
    const file = fileStateOf(transfer, forward, row.source_la, this.deps.clock.now());
    const forwards = can(actor.role, 'lost-pupils.forward');
    return {
      ...summary,
      formerUpn: row.former_upn,
      formerSurname: row.former_surname,
      reason: row.reason,
      reasonText: reasonText(row.reason),
      filename: transfer.filename,
      file,
      canDownload: file.unavailable === null,
      canForward: forwards && file.state === 'available' && file.unavailable === null,
      forwards,
    };
  }

  private audit(
    db: Executor,
    actor: Actor,
    la: string,
    action: 'lost-pupil-downloaded' | 'lost-pupil-found',
    row: LostPupilRow,
    transfer: TransferRow,
    extra: Record<string, unknown>,
  ): Promise<void> {
    // Never the pupil's details: the record's id, its file's name and where it came from.
    return recordAudit(db, {
      at: this.deps.clock.now(),
      actorUserId: actor.userId,
      actorUsername: actor.username,
      organisation: la,
      action,
      subjectType: 'lost-pupil',
      subjectId: row.id,
      detail: {
        filename: transfer.filename,
        reason: row.reason,
        sourceLa: row.source_la,
        sourceSchool: row.source_school,
        ...extra,
      },
    });
  }
}
