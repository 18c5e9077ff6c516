// Census returns (census guide: Upload Return from File, Submit Return, Re-Submissions). A school loads the
// return its MIS made: the name and header are checked against the collection, the rules run, and the
// file is stored encrypted with its findings as a new version (nothing is overwritten: earlier versions,
// notes and history stay). Two loads of a school's return at once (two tabs, the MIS and a user, two app
// nodes) are recorded one after the other: the later one becomes the next version when its uploader
// confirmed it replaces the current one, and is otherwise refused, saying that another upload loaded one
// meanwhile. The school answers the queries and, with its headteacher's approval, submits it to its LA,
// which adds notes and returns it to the school or approves it. Only an approved version is visible to
// the collector.
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { Transaction } from 'kysely';
import { type AuditAction, recordAudit, recordAuditOnce } from '../audit/repository.ts';
import type { Actor } from '../auth/actor.ts';
import { organisationOf } from '../auth/actor.ts';
import { can, scopeOf } from '../auth/permissions.ts';
import { laName, type OrganisationName, schoolName } from '../directory/organisation-names.ts';
import {
  getEstablishment,
  getLocalAuthority,
  listEstablishmentsOfLa,
  listLocalAuthorities,
} from '../directory/repository.ts';
import { type IncomingPupil, matchLostPupils } from '../lost-pupils/matching.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { type BoundedRead, discard, readBounded } from '../platform/bounded-read.ts';
import type { Clock } from '../platform/clock.ts';
import { londonDate } from '../platform/dates.ts';
import { formPartId, insertOnce } from '../platform/db/insert-once.ts';
import type {
  CensusReturnEventRow,
  CensusReturnRow,
  CensusReturnStatus,
  Database,
  DataCollectionRow,
  Db,
  Executor,
} from '../platform/db/schema.ts';
import { type FieldError, Forbidden, Invalid, NotFound } from '../platform/errors.ts';
import {
  asSentence,
  dateParam,
  keyedError,
  type Message,
  message,
  translateMessage,
} from '../platform/i18n/catalogue.ts';
import type { Logger } from '../platform/logger.ts';
import type { EncryptedFileStore } from '../platform/storage/encrypted-store.ts';
import { classifyFilename, printableFilename } from '../transfers/filenames.ts';
import { schoolOf } from '../transfers/upload-examples.ts';
import { LA_UPLOAD_LIMIT, withoutFolder } from '../transfers/upload-service.ts';
import {
  type CensusChecker,
  type CensusPupilsPage,
  censusPupilsPage,
  censusSummary,
  checkCensusReturn,
  type ReturnDetails,
} from './census-check.ts';
import { isoDate, TERM_KEYS } from './census-dates.ts';
import { censusReturnExample, compareFilenameWithHeader, TERM_OF_TYPE_CODE } from './census-filename.ts';
import type { ReturnSummary } from './census-summary.ts';
import { findCollectionHeld } from './collections-repository.ts';
import { type CollectionDetails, collectionStatus, DataCollectionsService } from './collections-service.ts';
import { actsAsSource, isAgentOf, mayOpen } from './policy.ts';
import {
  answerFinding,
  approvedReturns,
  currentReturn,
  eventsOf,
  findEvent,
  findFinding,
  findingsOf,
  findReturn,
  insertVersion,
  liveReturnsOfLa,
  lockSchoolReturn,
  moveStatus,
  recordEvent,
  replaceEarlierApproved,
  unansweredQueries,
  versionBefore,
  versionsOf,
} from './returns-repository.ts';
import type { FindingMessages, PupilRef } from './validate.ts';

/** A census return for a large secondary school is a few MB: the LA's upload limit leaves room. */
export const RETURN_SIZE_LIMIT = LA_UPLOAD_LIMIT;
export const ANSWER_MAX = 1000;
export const NOTE_MAX = 2000;
export const PUPILS_PER_PAGE = 100;

export const STATUS_LABELS: Record<CensusReturnStatus, string> = {
  loaded: 'Loaded',
  submitted: 'Submitted',
  returned: 'Returned to school',
  approved: 'Approved',
  replaced: 'Replaced',
};

/**
 * The school an example census return name names for the actor: a school its own; an LA the school the
 * file's name gave, when it has the LA's number, otherwise one made up from that number (schoolOf).
 */
export function exampleSchool(
  actor: Pick<Actor, 'establishmentNumber' | 'laNumber'>,
  named?: string,
): string {
  if (actor.establishmentNumber) return actor.establishmentNumber;
  const la = actor.laNumber ?? '916';
  return named?.startsWith(la) ? named : schoolOf(la);
}

/** What to do about a refused name: upload the collection's return, named as the MIS names it (an example). */
function nameAdvice(actor: Actor, collection: DataCollectionRow, named?: string): Message {
  return message('collect.refused.name-advice', {
    example: censusReturnExample(exampleSchool(actor, named), collection),
  });
}
const CONTENT_ADVICE = message('collect.refused.content-advice');

/**
 * The collection as it is now, held until `tx` commits (findCollectionHeld: a close waits for the
 * transaction, or the transaction sees it closed), with its status today.
 */
async function detailsHeld(
  tx: Transaction<Database>,
  details: CollectionDetails,
  clock: Clock,
): Promise<CollectionDetails> {
  const collection = (await findCollectionHeld(tx, details.collection.id)) ?? details.collection;
  return { ...details, collection, status: collectionStatus(collection, londonDate(clock.now())) };
}

/** Why a return is refused by a collection not open for loading (closed, or not yet open), and what to do. */
function notLiveRefusal({ collection, status }: CollectionDetails): [Message[], Message] {
  return [
    [
      status === 'Closed'
        ? message('collect.closed-no-more', { name: collection.name })
        : message('collect.opens-on', { name: collection.name, date: dateParam(collection.open_date) }),
    ],
    message('collect.refused.contact-la'),
  ];
}

/** A return's status in a sentence: "version 2, submitted". */
const STATUS_WORD_KEYS: Record<CensusReturnStatus, string> = {
  loaded: 'collect.refused.status.loaded',
  submitted: 'collect.refused.status.submitted',
  returned: 'collect.refused.status.returned',
  approved: 'collect.refused.status.approved',
  replaced: 'collect.refused.status.replaced',
};

export interface LoadedReturn {
  status: 'loaded';
  filename: string;
  returnId: string;
  establishment: string;
  version: number;
  errors: number;
  queries: number;
  pupils: number;
  /** The version this one replaced, if any. */
  replacedVersion: number | null;
  /** Loaded already, by the same form posted before (or at once): nothing was loaded again. */
  already?: boolean;
}

export interface RefusedReturn {
  status: 'refused';
  filename: string;
  /** In English (the REST API, the audit log); `messages` are the same for pages in the reader's language. */
  reasons: string[];
  whatToDo: string;
  messages: { reasons: Message[]; whatToDo: Message };
}

export type LoadOutcome = LoadedReturn | RefusedReturn;

/**
 * One attempt to load a file: the form that sent it (its id, or one made from it for a file of a zip)
 * and what identifies the file's content (its SHA-256; for one too large to load, TooLarge's `file`).
 */
export interface RefusalAttempt {
  formId: string;
  file: string | null;
}

/**
 * A file larger than a return may be, not loaded, and what identifies it: the SHA-256 of its first
 * bytes, all that was read of it (returnContent), or a zip's directory's CRC-32 and sizes of it; null when
 * nothing of it reached s2s (cut before it was read: then its name alone tells it).
 */
export interface TooLarge {
  tooLarge: true;
  file: string | null;
}

/** A return's bytes as read within RETURN_SIZE_LIMIT, or the file known as too large (TooLarge). */
export type ReturnContent = Buffer | TooLarge;

/**
 * The form's attempt to load this file (RefusalAttempt): refused for the same reasons again, it is not
 * audited again. Made only as a file is refused: hashing a loaded return's bytes would cost every load.
 */
function refusalAttempt(formId: string | undefined, content: ReturnContent): RefusalAttempt | undefined {
  if (formId === undefined) return undefined;
  return {
    formId,
    file: Buffer.isBuffer(content) ? createHash('sha256').update(content).digest('hex') : content.file,
  };
}

/** What a read within the limit gives loadFile: the bytes, or a too large file by its first bytes. */
export function returnContent(read: BoundedRead): ReturnContent {
  if (read.ok) return read.data;
  return { tooLarge: true, file: read.head ? `first:${read.head.bytes}:${read.head.sha256}` : null };
}

/** A decision (submit, approve, return to school) made now, or found made `already`: nothing changed. */
export interface Decided {
  already: boolean;
}

/**
 * An LA's note added now (`emailed` to the school when the version is with it, returned), or found added
 * `already` (nothing more done).
 */
export interface Noted extends Decided {
  emailed: boolean;
}

/**
 * A return to school; when it was returned `already` with another note than this one (Back, the note
 * changed, and Return again), that note is `added` to the return's notes (and `emailed` to the school,
 * unless the school has loaded a later version meanwhile), or found `added-already`.
 */
export interface Returned extends Decided {
  note?: 'added' | 'added-already';
  emailed?: boolean;
}

export interface FindingView {
  id: string;
  rule: string;
  kind: 'error' | 'query';
  level: string;
  /** In English (the REST API); `messages` say the same in the reader's language on a page. */
  message: string;
  guidance: string;
  detail: string | null;
  /** Null for a finding stored before they were kept: its page shows the English. */
  messages: FindingMessages | null;
  pupils: PupilRef[];
  answer: string | null;
  answeredAt: string | null;
}

export interface EventView {
  returnId: string;
  version: number;
  at: string;
  userName: string;
  actorScope: string;
  action: string;
  note: string | null;
}

export interface ReturnView {
  version: CensusReturnRow;
  /** What the return says of itself and its school. */
  returnDetails: ReturnDetails;
  details: CollectionDetails;
  school: { number: string; name: string };
  findings: FindingView[];
  /** The versions the actor may open, the latest first. */
  versions: CensusReturnRow[];
  /** The history of those versions, oldest first. */
  events: EventView[];
  isCurrent: boolean;
  /**
   * While the version is returned to the school, for the school: the LA's note saying what to correct,
   * with its other notes on the version.
   */
  returnedNote: ReturnedNote | null;
  /**
   * A later version the school is preparing while this approved one stays with the DfE (never told to
   * the collector).
   */
  later: { id: string; version: number; status: CensusReturnStatus; openable: boolean } | null;
  may: { answer: boolean; submit: boolean; decide: boolean; note: boolean };
}

/** A note by the LA on a version: what it says, when, and who wrote it. */
export interface LaNote {
  note: string;
  at: string;
  userName: string;
}

/**
 * The LA's note when it returned a version to its school, and every other note it wrote on the version
 * (`notes`, oldest first: while it checked it, and added since the return).
 */
export interface ReturnedNote extends LaNote {
  notes: LaNote[];
}

export interface SchoolReturnRow {
  number: string;
  name: string;
  /**
   * The version the row is about: the current one, or the approved one while the school prepares a later
   * version (loaded, or returned to it) that the DfE does not have yet.
   */
  version: CensusReturnRow | null;
  /** Whether the viewer may open `version`. */
  openable: boolean;
  /** The later version being prepared, when `version` is the approved one. */
  later: CensusReturnRow | null;
  /** Whether the viewer may open `later` (the LA loaded it). */
  laterOpenable: boolean;
  /** The version still approved, when `version` is a later one waiting for the LA's decision. */
  approved: CensusReturnRow | null;
}

export interface ReturnsDeps {
  db: Db;
  files: Pick<EncryptedFileStore, 'put' | 'get' | 'remove'>;
  clock: Clock;
  logger?: Logger;
  /** Where a return's content is read and checked: the app's worker threads, or this thread. */
  censusChecks?: CensusChecker;
}

const INLINE_CENSUS_CHECKS: CensusChecker = { checkCensusReturn, censusPupilsPage, censusSummary };

export class CensusReturnsService {
  private readonly collections: DataCollectionsService;

  constructor(private readonly deps: ReturnsDeps) {
    this.collections = new DataCollectionsService(deps);
  }

  /** The collection with the actor's part in it (NotFound when it has none). */
  open(actor: Actor, collectionId: string): Promise<CollectionDetails> {
    return this.collections.open(actor, collectionId);
  }

  /** The collection a school loads its own return into: Forbidden for others, NotFound if it has no part. */
  async openForLoad(actor: Actor, collectionId: string): Promise<CollectionDetails> {
    if (
      !can(actor.role, 'collect.return') ||
      scopeOf(actor.role) !== 'school' ||
      !actor.establishmentNumber
    ) {
      // A return is its school's own (an LA loads its schools' from a zip): no role of another
      // organisation's would help.
      throw new Forbidden(
        'Only a school loads its census return here',
        'collect.forbidden.school-only',
        undefined,
        {
          byRole: false,
        },
      );
    }
    return this.open(actor, collectionId);
  }

  /** Upload Return from File: a school loads its own return. The stream is always consumed. */
  async load(
    actor: Actor,
    collectionId: string,
    originalName: string,
    content: Readable,
    replace: boolean,
    formId?: string,
  ): Promise<LoadOutcome> {
    return this.loadStream(
      actor,
      () => this.openForLoad(actor, collectionId),
      originalName,
      content,
      replace,
      formId,
    );
  }

  /**
   * A return read from `content` into the collection `open` finds (Forbidden, NotFound...: the stream is
   * then drained unread), then checked and recorded by loadFile (with `formId`, once only). The stream is
   * always consumed.
   */
  async loadStream(
    actor: Actor,
    open: () => Promise<CollectionDetails>,
    originalName: string,
    content: Readable,
    replace: boolean,
    formId?: string,
  ): Promise<LoadOutcome> {
    let details: CollectionDetails;
    try {
      details = await open();
    } catch (error) {
      discard(content);
      throw error;
    }
    const read = await readBounded(content, RETURN_SIZE_LIMIT);
    return this.loadFile(actor, details, withoutFolder(originalName), returnContent(read), replace, formId);
  }

  /**
   * Checks and records one return for a collection: for a school its own, for an LA agent (loading its
   * schools' returns) a school of the LA taking part. `content` is the file's bytes, or TooLarge.
   * With `formId` (the id of the upload form, which the version takes), once only: the same form posted
   * again, one after the other or at once (waiting for the first's load to commit), gets the version it
   * loaded, `already`, and nothing is loaded, audited or matched again.
   */
  async loadFile(
    actor: Actor,
    details: CollectionDetails,
    filename: string,
    content: ReturnContent,
    replace: boolean,
    formId?: string,
  ): Promise<LoadOutcome> {
    const data = Buffer.isBuffer(content) ? content : null;
    const earlier = formId ? await this.loadedAlready(this.deps.db, actor, details, formId, data) : undefined;
    if (earlier) return earlier;
    // The name as it is shown and audited: invisible characters made visible.
    const shown = printableFilename(filename);
    const refuse = (reasons: Message[], whatToDo: Message) =>
      this.refuse(actor, details, shown, reasons, whatToDo, refusalAttempt(formId, content));
    const { collection } = details;
    if (details.status !== 'Live') return refuse(...notLiveRefusal(details));
    // Before the name gives a school: the example names the uploader's own (an LA's, one made up).
    const renameAdvice = nameAdvice(actor, collection);

    // 1. The name: a termly census return of this collection's term and year, from the right school.
    // Spaces after .XML are invisible where the name is shown: the name rules say to remove them.
    if (!/\.xml\p{Zs}*$/iu.test(filename)) {
      return refuse([message('collect.refused.not-xml', { filename: shown })], renameAdvice);
    }
    const classified = classifyFilename(filename);
    if (!classified.ok) return refuse(classified.messages.map(asSentence), renameAdvice);
    const file = classified.file;
    const term = file.typeCode ? TERM_OF_TYPE_CODE[file.typeCode] : undefined;
    if (file.kind !== 'census' || file.source.kind !== 'school' || term === undefined) {
      return refuse([message('collect.refused.not-census', { filename: shown })], renameAdvice);
    }
    const school = file.source.establishmentNumber;
    const nameProblems: Message[] = [];
    if (term !== collection.term) {
      nameProblems.push(
        message('collect.refused.wrong-term', {
          fileTerm: message(TERM_KEYS[term]),
          code: file.typeCode ?? '',
          name: collection.name,
          term: message(TERM_KEYS[collection.term]),
        }),
      );
    }
    if (file.censusYear !== collection.year.slice(-2)) {
      nameProblems.push(
        message('collect.refused.wrong-year', {
          fileYear: file.censusYear ?? '',
          name: collection.name,
          year: collection.year,
        }),
      );
    }
    const establishment = await getEstablishment(this.deps.db, school);
    if (scopeOf(actor.role) === 'school') {
      if (school !== actor.establishmentNumber)
        nameProblems.push(
          message('collect.refused.not-your-school', { school, yours: actor.establishmentNumber ?? '' }),
        );
    } else if (!establishment || establishment.la_number !== actor.laNumber) {
      nameProblems.push(message('collect.refused.not-la-school', { school }));
    }
    if (nameProblems.length > 0) return refuse(nameProblems, nameAdvice(actor, collection, school));
    if (!establishment) {
      return refuse(
        [message('collect.refused.not-in-directory', { school })],
        nameAdvice(actor, collection, school),
      );
    }

    // 2. The size: a file too large is never loaded, so it is refused as such before asking to confirm a
    // replacement.
    if (data === null) {
      return refuse(
        [message('collect.refused.too-large', { mb: RETURN_SIZE_LIMIT / 1024 / 1024 })],
        message('collect.refused.too-large-advice'),
      );
    }

    // 3. The content: a file that could never be loaded is refused as such before asking to confirm a
    // replacement.
    if (data.length === 0) return refuse([message('collect.refused.empty')], CONTENT_ADVICE);
    // The LAs a return may come from are the directory's: it is what this service knows to be current.
    const las = await listLocalAuthorities(this.deps.db);
    const checked = await this.censusChecks.checkCensusReturn({
      data,
      schoolLaNumber: establishment.la_number,
      currentLaNumbers: las.map((la) => la.number),
    });
    if (!checked.readable) {
      return refuse(
        [message('collect.refused.unreadable', { problem: checked.problem })],
        checked.whatToDo ?? CONTENT_ADVICE,
      );
    }
    const { header } = checked;
    const mismatches = compareFilenameWithHeader(filename, header).messages;
    if (header.term !== null && header.term !== collection.term) {
      mismatches.push(
        message('collect.refused.return-term', { header: header.term, collection: collection.term }),
      );
    }
    if (header.year !== null && header.year !== collection.year) {
      mismatches.push(
        message('collect.refused.return-year', { header: header.year, collection: collection.year }),
      );
    }
    // A return of another census day would give the DfE pupils counted on the wrong day: its MIS must
    // make it again. A missing or unreal date is rule 100's error instead.
    const censusDay = isoDate(header.referenceDate);
    const otherDay = censusDay !== null && censusDay !== collection.reference_date;
    if (otherDay) {
      mismatches.push(
        message('collect.refused.return-census-day', {
          header: dateParam(censusDay),
          collection: dateParam(collection.reference_date),
        }),
      );
    }
    const [first, ...more] = mismatches;
    if (first) {
      const listed = more.reduce(
        (list, mismatch) => message('collect.refused.mismatch-list', { first: list, rest: mismatch }),
        first,
      );
      return refuse(
        [message('collect.refused.mismatch', { mismatches: listed })],
        // Only its census day wrong: the right return, made for another day. Anything more: another file.
        otherDay && more.length === 0
          ? message('collect.refused.census-day-advice', { date: dateParam(collection.reference_date) })
          : message('collect.refused.mismatch-advice'),
      );
    }

    // 4. Replacing a return needs the uploader's say-so (census guide: "Please take care").
    const current = await currentReturn(this.deps.db, collection.id, school);
    if (current && !replace) {
      return refuse(
        [
          message('collect.refused.already', {
            school: establishment.name,
            name: collection.name,
            version: current.version,
            status: message(STATUS_WORD_KEYS[current.status]),
          }),
        ],
        message('collect.refused.replace-advice'),
      );
    }

    // 5. The rules' findings (checked above), then the file stored and the version recorded in one
    // transaction.
    return this.store(actor, details, {
      formId,
      filename,
      replace,
      establishment: school,
      laNumber: establishment.la_number,
      data,
      findings: checked.findings,
      errors: checked.errors,
      queries: checked.queries,
      pupils: checked.pupils,
      details: checked.details,
      schoolName: establishment.name,
      pupilsToMatch: checked.pupilsToMatch,
    });
  }

  /**
   * A return refused (nothing stored), audited with its reasons: never with pupil data. With `attempt`
   * (the form that sent the file, and what identifies the file: RefusalAttempt), once only:
   * the same form posted again with the same file, and refused for the same reasons (one after the other,
   * or at once on two nodes), is the same attempt, answered with the same refusal and not audited again.
   * Another file, another form, or other reasons (the collection closed meanwhile) are a new refusal.
   */
  async refuse(
    actor: Actor,
    details: CollectionDetails,
    filename: string,
    reasonMessages: Message[],
    whatToDoMessage: Message,
    attempt?: RefusalAttempt,
  ): Promise<RefusedReturn> {
    const reasons = reasonMessages.map((reason) => translateMessage('en', reason));
    const whatToDo = translateMessage('en', whatToDoMessage);
    const event = {
      at: this.deps.clock.now(),
      actorUserId: actor.userId,
      actorUsername: actor.username,
      organisation: organisationOf(actor),
      action: 'census-return-refused' as const,
      detail: { collection: details.collection.name, filename, reasons },
    };
    if (attempt) {
      // Its id names the attempt: whose, into which collection, which file, refused why. Hashed with the
      // form's id, so no other user's form can take it.
      const id = formPartId(
        attempt.formId,
        JSON.stringify([actor.userId, details.collection.id, filename, attempt.file, reasons, whatToDo]),
      );
      await recordAuditOnce(this.deps.db, { ...event, id });
    } else {
      await recordAudit(this.deps.db, event);
    }
    return {
      status: 'refused',
      filename,
      reasons,
      whatToDo,
      messages: { reasons: reasonMessages, whatToDo: whatToDoMessage },
    };
  }

  private async store(
    actor: Actor,
    details: CollectionDetails,
    load: {
      formId: string | undefined;
      filename: string;
      replace: boolean;
      establishment: string;
      laNumber: string;
      data: Buffer;
      findings: Parameters<typeof insertVersion>[2];
      errors: number;
      queries: number;
      pupils: number;
      details: ReturnDetails;
      schoolName: string;
      pupilsToMatch: IncomingPupil[];
    },
  ): Promise<LoadOutcome> {
    const { db, files, clock } = this.deps;
    const stored = await files.put(load.data);
    // Nothing refers to the stored file when its version is not recorded: removed, without hiding why.
    const removeStored = () =>
      files.remove(stored.storageKey).catch((removeError: unknown) => {
        this.deps.logger?.warn(
          { err: removeError, storageKey: stored.storageKey },
          'could not remove the stored file of a census return that was not recorded',
        );
      });
    let id = load.formId ?? randomUUID();
    const at = clock.now();
    const scope = scopeOf(actor.role) === 'school' ? 'school' : 'la';
    let outcome:
      | Awaited<ReturnType<typeof insertVersion>>
      | { loadedMeanwhile: CensusReturnRow }
      | { notLive: CollectionDetails }
      | { already: LoadedReturn };
    try {
      outcome = await db.transaction().execute(async (tx) => {
        // Step 2 again, once any other load of this school's return has finished: a version recorded
        // since the first check (a load at the same moment) is replaced only with the uploader's say-so.
        await lockSchoolReturn(tx, details.collection.id, load.establishment);
        // The same form posted at once: the other load, which this one waited for, recorded its version.
        if (load.formId) {
          const mine = await this.loadedAlready(tx, actor, details, load.formId, load.data);
          if (mine) return { already: mine };
          // Another version has that id: another file sent with the same form (Back, and another file
          // chosen), or one of another's, as only a hand-made form could give. A new id, then.
          if (await findReturn(tx, load.formId)) id = randomUUID();
        }
        // And the collection still open: the LA or the DfE may have closed it while this file was checked.
        // Read held until this transaction commits, so that a close cannot commit in between and let
        // this version in after it (a close waits for this load, or this load sees it closed).
        const held = await detailsHeld(tx, details, clock);
        if (held.status !== 'Live') return { notLive: held };
        const current = await currentReturn(tx, details.collection.id, load.establishment);
        if (current && !load.replace) return { loadedMeanwhile: current };
        const recorded = await insertVersion(
          tx,
          {
            id,
            collection_id: details.collection.id,
            establishment_number: load.establishment,
            la_number: load.laNumber,
            filename: load.filename,
            error_count: load.errors,
            query_count: load.queries,
            pupil_count: load.pupils,
            school_details: JSON.stringify(load.details),
            size: stored.size,
            sha256: stored.sha256,
            storage_key: stored.storageKey,
            wrapped_key: stored.wrappedKey,
            master_key_id: stored.masterKeyId,
            uploaded_by: actor.userId,
            uploaded_by_scope: scope,
            uploaded_at: at.toISOString(),
          },
          load.findings,
        );
        await this.event(tx, actor, at, id, 'loaded', null);
        // Its pupils on roll compared with the Lost Pupils Database, like a census return sent as a file.
        const earlier = await versionsOf(tx, details.collection.id, load.establishment);
        await matchLostPupils(
          tx,
          {
            censusReturnId: id,
            earlierVersions: earlier.map((v) => v.id).filter((earlierId) => earlierId !== id),
            filename: load.filename,
            kind: 'school census return',
            seenAt: {
              la: load.laNumber,
              school: load.establishment,
              name: schoolName(load.establishment, load.schoolName),
              code: load.establishment,
            },
            at,
          },
          load.pupilsToMatch,
        );
        // The LA approved the version this one follows: the LA is told that a new one is on its way, as
        // the DfE keeps the approved one until the LA approves another.
        if (recorded.replaced?.status === 'approved' && scope === 'school') {
          await enqueueNotification(tx, {
            at,
            template: 'census-return-reloaded',
            recipientKind: 'la',
            recipient: load.laNumber,
            payload: {
              collectionName: details.collection.name,
              schoolName: load.schoolName,
              schoolCode: load.establishment,
              version: recorded.version,
              filename: load.filename,
              byName: load.schoolName,
              at: at.toISOString(),
              path: `/collect/collections/${details.collection.id}`,
              approvedVersion: recorded.replaced.version,
            },
          });
        }
        await this.audit(tx, actor, at, 'census-return-loaded', id, {
          collection: details.collection.name,
          school: load.establishment,
          filename: load.filename,
          version: recorded.version,
          errors: load.errors,
          queries: load.queries,
          // The version's pupil count (on roll and no longer on roll), as a CTF's upload records its pupils.
          pupils: load.pupils,
          replacedVersion: recorded.replaced?.version ?? null,
        });
        return recorded;
      });
    } catch (error) {
      await removeStored();
      throw error;
    }
    if ('notLive' in outcome) {
      await removeStored();
      return this.refuse(
        actor,
        details,
        printableFilename(load.filename),
        ...notLiveRefusal(outcome.notLive),
        refusalAttempt(load.formId, load.data),
      );
    }
    if ('already' in outcome) {
      await removeStored();
      return outcome.already;
    }
    if ('loadedMeanwhile' in outcome) {
      await removeStored();
      const current = outcome.loadedMeanwhile;
      return this.refuse(
        actor,
        details,
        printableFilename(load.filename),
        [
          message('collect.refused.loaded-meanwhile', {
            school: load.schoolName,
            name: details.collection.name,
            version: current.version,
            status: message(STATUS_WORD_KEYS[current.status]),
          }),
        ],
        message('collect.refused.loaded-meanwhile-advice'),
        refusalAttempt(load.formId, load.data),
      );
    }
    return {
      status: 'loaded',
      filename: load.filename,
      returnId: id,
      establishment: load.establishment,
      version: outcome.version,
      errors: load.errors,
      queries: load.queries,
      pupils: load.pupils,
      replacedVersion: outcome.replaced?.version ?? null,
    };
  }

  /**
   * The version the actor loaded into the collection with the form `formId`, as its load said it, when it
   * is of the same file (`data`): another file sent with the form (Back, and another chosen) is another
   * upload.
   */
  private async loadedAlready(
    db: Executor,
    actor: Actor,
    details: CollectionDetails,
    formId: string,
    data: Buffer | null,
  ): Promise<LoadedReturn | undefined> {
    const version = await findReturn(db, formId);
    if (
      !version ||
      data === null ||
      version.uploaded_by !== actor.userId ||
      version.collection_id !== details.collection.id ||
      version.sha256 !== createHash('sha256').update(data).digest('hex')
    )
      return undefined;
    const before = await versionBefore(db, version);
    return {
      status: 'loaded',
      filename: version.filename,
      returnId: version.id,
      establishment: version.establishment_number,
      version: version.version,
      errors: version.error_count,
      queries: version.query_count,
      pupils: version.pupil_count,
      replacedVersion: before?.version ?? null,
      already: true,
    };
  }

  /** The school's own page for a collection: its current return and every version. */
  async schoolOverview(
    actor: Actor,
    collectionId: string,
  ): Promise<{ details: CollectionDetails; versions: CensusReturnRow[]; returnedNote: ReturnedNote | null }> {
    const details = await this.open(actor, collectionId);
    if (scopeOf(actor.role) !== 'school' || !actor.establishmentNumber) throw new Forbidden();
    const versions = await versionsOf(this.deps.db, collectionId, actor.establishmentNumber);
    const current = versions[0];
    const returnedNote =
      current?.status === 'returned'
        ? latestReturnedNote(await eventsOf(this.deps.db, [current.id]), current.id)
        : null;
    return { details, versions, returnedNote };
  }

  /** The LA's dashboard: every school of the LA (open, or with a return) and its current return. */
  async dashboard(
    actor: Actor,
    collectionId: string,
  ): Promise<{ details: CollectionDetails; schools: SchoolReturnRow[]; counts: Record<string, number> }> {
    if (!can(actor.role, 'collect.agent') || !actor.laNumber)
      throw new Forbidden('Only an LA sees its schools’ returns', 'collect.forbidden.la-only');
    const details = await this.open(actor, collectionId);
    const { db } = this.deps;
    const [schools, versions] = await Promise.all([
      listEstablishmentsOfLa(db, actor.laNumber),
      liveReturnsOfLa(db, collectionId, actor.laNumber),
    ]);
    // Each school's versions not replaced, the latest first: its current one and any approved before it.
    const bySchool = new Map<string, CensusReturnRow[]>();
    for (const v of [...versions].sort((a, b) => b.version - a.version)) {
      bySchool.set(v.establishment_number, [...(bySchool.get(v.establishment_number) ?? []), v]);
    }
    const rows: SchoolReturnRow[] = schools
      .filter((s) => s.status === 'open' || bySchool.has(s.number))
      .map((s) => {
        const [current = null, approved = null] = bySchool.get(s.number) ?? [];
        // While the school prepares a later version, the LA's part is the approved one the DfE has.
        const preparing =
          approved !== null && current !== null && ['loaded', 'returned'].includes(current.status);
        const version = preparing ? approved : current;
        return {
          number: s.number,
          name: s.name,
          version,
          openable: version !== null && mayOpen(actor, version),
          later: preparing ? current : null,
          laterOpenable: preparing && mayOpen(actor, current),
          approved: preparing ? null : approved,
        };
      });
    const counts: Record<string, number> = { 'Not loaded': 0 };
    for (const row of rows) {
      const label = row.version ? STATUS_LABELS[row.version.status] : 'Not loaded';
      counts[label] = (counts[label] ?? 0) + 1;
    }
    return { details, schools: rows, counts };
  }

  /** The collector's list: each school's latest approved version, and the name of each LA by number. */
  async approvedList(
    actor: Actor,
    collectionId: string,
  ): Promise<{ details: CollectionDetails; schools: SchoolReturnRow[]; laNames: Record<string, string> }> {
    if (scopeOf(actor.role) !== 'national' || !can(actor.role, 'collect.use')) throw new Forbidden();
    const details = await this.open(actor, collectionId);
    const versions = await approvedReturns(this.deps.db, collectionId);
    const [names, las] = await Promise.all([
      this.schoolNames(versions.map((v) => v.establishment_number)),
      listLocalAuthorities(this.deps.db),
    ]);
    return {
      details,
      laNames: Object.fromEntries(las.map((la) => [la.number, la.name])),
      schools: versions.map((v) => ({
        number: v.establishment_number,
        name: names.get(v.establishment_number) ?? v.establishment_number,
        version: v,
        openable: true,
        later: null,
        laterOpenable: false,
        approved: null,
      })),
    };
  }

  /** One version with its findings, notes and history, for whoever may open it (NotFound otherwise). */
  async view(actor: Actor, returnId: string): Promise<ReturnView> {
    const { db } = this.deps;
    const version = await this.visible(actor, returnId);
    const details = await this.open(actor, version.collection_id);
    const [findings, all, school] = await Promise.all([
      findingsOf(db, version.id),
      versionsOf(db, version.collection_id, version.establishment_number),
      getEstablishment(db, version.establishment_number),
    ]);
    const versions = all.filter((v) => mayOpen(actor, v));
    const events = await eventsOf(
      db,
      versions.map((v) => v.id),
    );
    const numbers = new Map(versions.map((v) => [v.id, v.version]));
    // The collector knows of the approved versions only: what the school prepares after is not its to see.
    const latest = scopeOf(actor.role) === 'national' ? versions[0] : all[0];
    const isCurrent = latest?.id === version.id;
    const later = version.status === 'approved' && !isCurrent && latest ? latest : null;
    const live = details.status === 'Live';
    // A returned version is not submitted again: its data is corrected in the MIS and a new file made
    // and loaded (census guide: "a new file will need to be created within the school MIS").
    const sourceMay = isCurrent && live && actsAsSource(actor, version) && version.status === 'loaded';
    const agent = isAgentOf(actor, version);
    return {
      version,
      returnDetails: JSON.parse(version.school_details) as ReturnDetails,
      details,
      school: { number: version.establishment_number, name: school?.name ?? version.establishment_number },
      findings: findings.map((f) => ({
        id: f.id,
        rule: f.rule,
        kind: f.kind,
        level: f.level,
        message: f.message,
        guidance: f.guidance,
        detail: f.detail,
        messages: f.messages === null ? null : (JSON.parse(f.messages) as FindingMessages),
        pupils: JSON.parse(f.pupils) as PupilRef[],
        answer: f.answer,
        answeredAt: f.answered_at,
      })),
      versions,
      events: events.map((e) => ({
        returnId: e.return_id,
        version: numbers.get(e.return_id) ?? 0,
        at: e.at,
        userName: e.user_name,
        actorScope: e.actor_scope,
        action: e.action,
        note: e.note,
      })),
      isCurrent,
      returnedNote:
        version.status === 'returned' && actsAsSource(actor, version)
          ? latestReturnedNote(events, version.id)
          : null,
      later: later && {
        id: later.id,
        version: later.version,
        status: later.status,
        openable: mayOpen(actor, later),
      },
      may: {
        answer: sourceMay,
        submit: sourceMay,
        decide: agent && isCurrent && version.status === 'submitted',
        note: agent && version.submitted_at !== null,
      },
    };
  }

  /** The pupils of a version, read again from its stored file, a page at a time. */
  async pupils(
    actor: Actor,
    returnId: string,
    page: number,
  ): Promise<{ version: CensusReturnRow } & CensusPupilsPage> {
    const version = await this.visible(actor, returnId);
    const pupils = await this.censusChecks.censusPupilsPage({
      data: await this.storedFile(version),
      page,
      perPage: PUPILS_PER_PAGE,
    });
    return { version, ...pupils };
  }

  /**
   * A version's summary, counted from its stored file, for whoever may open the version (NotFound
   * otherwise), with its LA's name (null when the directory has none).
   */
  async summary(
    actor: Actor,
    returnId: string,
  ): Promise<{
    version: CensusReturnRow;
    la: { number: string; name: string | null };
    summary: ReturnSummary;
  }> {
    const version = await this.visible(actor, returnId);
    const [data, la] = await Promise.all([
      this.storedFile(version),
      getLocalAuthority(this.deps.db, version.la_number),
    ]);
    const summary = await this.censusChecks.censusSummary({ data });
    return { version, la: { number: version.la_number, name: la?.name ?? null }, summary };
  }

  private get censusChecks(): CensusChecker {
    return this.deps.censusChecks ?? INLINE_CENSUS_CHECKS;
  }

  /** A version's file, read whole (and checked against its SHA-256) before a worker reads it. */
  private async storedFile(version: CensusReturnRow): Promise<Buffer> {
    const stream = await this.deps.files.get({
      storageKey: version.storage_key,
      wrappedKey: version.wrapped_key,
      masterKeyId: version.master_key_id,
      sha256: version.sha256,
    });
    return buffer(stream);
  }

  /** A query explained by the school (errors cannot be answered: they are fixed at source). */
  async answerQuery(actor: Actor, returnId: string, findingId: string, answer: string): Promise<void> {
    const view = await this.view(actor, returnId);
    if (!view.may.answer) throw new Invalid([notNow('answer', view, 'collect.not-now.answer')]);
    const finding = await findFinding(this.deps.db, returnId, findingId);
    if (!finding) throw new NotFound(message('collect.not-found.query'));
    if (finding.kind !== 'query') throw new Invalid([keyedError('answer', 'collect.answer.not-a-query')]);
    const text = answer.trim();
    if (text === '') throw new Invalid([keyedError('answer', 'collect.answer.enter')]);
    if (text.length > ANSWER_MAX) {
      throw new Invalid([keyedError('answer', 'collect.answer.too-long', { max: ANSWER_MAX })]);
    }
    const at = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (tx) => {
      await this.stillLive(tx, view, 'answer', 'collect.not-now.answer');
      // Still loaded, as it was when checked above (and held so, on PostgreSQL, until this commits): a
      // submission or decision meanwhile would otherwise see its explanations change after it.
      if (!(await moveStatus(tx, returnId, ['loaded'], 'loaded'))) {
        throw new Invalid([keyedError('answer', 'collect.return.changed')]);
      }
      // The same explanation saved already (the form posted again, or at once: read once the other's
      // commit, which this transaction's update waited for): nothing more to record.
      const saved = await findFinding(tx, returnId, finding.id);
      if (saved?.answer === text) return;
      await answerFinding(tx, finding.id, text, actor.userId, at.toISOString());
      await this.event(tx, actor, at, returnId, 'query-answered', `${finding.rule}: ${text}`);
      await this.audit(tx, actor, at, 'census-query-answered', returnId, { rule: finding.rule });
    });
  }

  /**
   * Submit Return: only with no errors, every query answered, and the headteacher's approval. One
   * submitted already (the form posted again, or at once) is `already` so, and nothing changes.
   */
  async submit(actor: Actor, returnId: string, headteacherApproved: boolean): Promise<Decided> {
    const view = await this.view(actor, returnId);
    if (!view.may.submit) {
      if (actsAsSource(actor, view.version) && view.version.status === 'submitted') return { already: true };
      throw new Invalid([notNow('submit', view, 'collect.not-now.submit')]);
    }
    const { version } = view;
    const problems: FieldError[] = [];
    if (version.error_count > 0) {
      problems.push(keyedError('errors', 'collect.submit.has-errors', { count: version.error_count }));
    }
    const unanswered = await unansweredQueries(this.deps.db, returnId);
    if (unanswered > 0) {
      problems.push(keyedError('queries', 'collect.submit.unanswered', { count: unanswered }));
    }
    if (!headteacherApproved) {
      problems.push(keyedError('headteacher', 'collect.submit.headteacher-required'));
    }
    if (problems.length > 0) throw new Invalid(problems);
    const at = this.deps.clock.now();
    return this.decide(
      actor,
      view,
      ['loaded', 'returned'],
      'submitted',
      { submitted_at: at.toISOString() },
      at,
      {
        refusal: ['submit', 'collect.not-now.submit'],
        event: 'submitted',
        note: null,
        audit: 'census-return-submitted',
        notify: { template: 'census-return-submitted', recipientKind: 'la', recipient: version.la_number },
      },
    );
  }

  /**
   * A note on a version by its LA. With `formId` (the id of the note form, which the note takes), once
   * only: the same form posted again, one after the other or at once (its insert waiting for the
   * first's), finds the note added `already`, and nothing is added or audited again.
   */
  async addNote(actor: Actor, returnId: string, note: string, formId?: string): Promise<Noted> {
    const view = await this.view(actor, returnId);
    if (!view.may.note) throw new Invalid([keyedError('note', 'collect.note.only-la')]);
    return this.noteOnce(actor, view, noteText(note, 'note', 'collect.note.enter'), formId);
  }

  /**
   * The actor's note `text` added to the version of `view`, once with `formId` (addNote). While the
   * version is returned to its school, the school is emailed the note as the return's own note was: it
   * is correcting the return, and the note adds to what to correct. The status is read held until the
   * note commits (a school's load of a later version, replacing this one, waits for it or is seen).
   */
  private async noteOnce(actor: Actor, view: ReturnView, text: string, formId?: string): Promise<Noted> {
    const { db } = this.deps;
    const { version } = view;
    if (formId && (await this.noteAddedAlready(db, actor, version.id, formId, text))) {
      return { already: true, emailed: false };
    }
    const at = this.deps.clock.now();
    const byName = await this.actorName(actor);
    return db.transaction().execute(async (tx) => {
      // Another event with the form's id that is not this note (Back, and the note changed) leaves it a new id.
      const inserted = await insertOnce(
        formId,
        (id) => this.event(tx, actor, at, version.id, 'note', text, id),
        async (id) => ((await this.noteAddedAlready(tx, actor, version.id, id, text)) ? true : undefined),
      );
      if ('already' in inserted) return { already: true, emailed: false };
      await this.audit(tx, actor, at, 'census-return-note-added', version.id, {});
      const withSchool = await moveStatus(tx, version.id, ['returned'], 'returned');
      if (withSchool) {
        await enqueueNotification(tx, {
          at,
          template: 'census-return-returned',
          recipientKind: 'school',
          recipient: view.school.number,
          payload: { ...this.returnPayload(view, byName, at), note: text, how: 'note-added' },
        });
      }
      return { already: false, emailed: withSchool };
    });
  }

  /** Whether the actor's note `text` with the id `formId` is on the return. */
  private async noteAddedAlready(db: Executor, actor: Actor, returnId: string, formId: string, text: string) {
    const event = await findEvent(db, formId);
    return (
      event?.return_id === returnId &&
      event.user_id === actor.userId &&
      event.action === 'note' &&
      event.note === text
    );
  }

  /**
   * The LA returns a submitted return to its school, saying what to correct. One returned already (the
   * form posted again, or at once) is `already` so, and nothing changes: with the note it was returned
   * with, nothing more is recorded; with another (Back, the note changed, and Return again; or a
   * colleague's return at the same moment), that note is added to the return's notes as the note form
   * adds one, once with `formId` (the form's id and the note make the note's id), so that it is not lost.
   */
  async returnToSchool(actor: Actor, returnId: string, note: string, formId?: string): Promise<Returned> {
    const view = await this.view(actor, returnId);
    if (!view.may.decide) {
      if (isAgentOf(actor, view.version) && view.version.status === 'returned') {
        return this.returnedAlready(actor, view, note, formId);
      }
      throw new Invalid([notNow('decision', view, 'collect.not-now.return')]);
    }
    const text = noteText(note, 'note', 'collect.note.enter-correction');
    const at = this.deps.clock.now();
    const decided = await this.decide(actor, view, ['submitted'], 'returned', {}, at, {
      refusal: ['decision', 'collect.not-now.return'],
      event: 'returned',
      note: text,
      audit: 'census-return-returned',
      notify: { template: 'census-return-returned', recipientKind: 'school', recipient: view.school.number },
    });
    return decided.already ? this.returnedAlready(actor, view, text, formId) : decided;
  }

  /**
   * A return to school of a version returned already: `note` is added to its notes unless it is empty or
   * the note the version was last returned with (a plain second post: nothing more to record).
   */
  private async returnedAlready(
    actor: Actor,
    view: ReturnView,
    note: string,
    formId: string | undefined,
  ): Promise<Returned> {
    const returnId = view.version.id;
    const returnedWith = latestReturnedNote(await eventsOf(this.deps.db, [returnId]), returnId);
    const trimmed = note.trim();
    if (trimmed === '' || trimmed === returnedWith?.note) return { already: true };
    const text = noteText(note, 'note', 'collect.note.enter-correction');
    const added = await this.noteOnce(
      actor,
      view,
      text,
      formId === undefined ? undefined : formPartId(formId, `note\n${text}`),
    );
    return added.already
      ? { already: true, note: 'added-already' }
      : { already: true, note: 'added', emailed: added.emailed };
  }

  /**
   * The LA approves a submitted return: from now on the collector sees it. One approved already (the form
   * posted again, or at once) is `already` so, and nothing changes.
   */
  async approve(actor: Actor, returnId: string): Promise<Decided> {
    const view = await this.view(actor, returnId);
    if (!view.may.decide) {
      if (isAgentOf(actor, view.version) && view.version.status === 'approved') return { already: true };
      throw new Invalid([notNow('decision', view, 'collect.not-now.approve')]);
    }
    const at = this.deps.clock.now();
    return this.decide(actor, view, ['submitted'], 'approved', { approved_at: at.toISOString() }, at, {
      refusal: ['decision', 'collect.not-now.approve'],
      event: 'approved',
      note: null,
      audit: 'census-return-approved',
      notify: { template: 'census-return-approved', recipientKind: 'school', recipient: view.school.number },
    });
  }

  /**
   * Refuses, as notNow does, when the collection is no longer live: read held until `tx` commits
   * (findCollectionHeld), so that a close committing while the school acts cannot let the act in after it.
   */
  private async stillLive(tx: Transaction<Database>, view: ReturnView, field: string, otherwise: string) {
    const details = await detailsHeld(tx, view.details, this.deps.clock);
    if (details.status !== 'Live') {
      throw new Invalid([notNow(field, { ...view, details }, otherwise)]);
    }
  }

  /**
   * A change of status with its history, audit and email in one transaction. Overtaken by the same change
   * (the same form posted at once: this update waited for the other's), it is `already` done and nothing
   * more is recorded; by another (an approval and a return to school at once), refused with the status
   * the return has now.
   */
  private async decide(
    actor: Actor,
    view: ReturnView,
    from: CensusReturnStatus[],
    to: CensusReturnStatus,
    stamps: Parameters<typeof moveStatus>[4],
    at: Date,
    effects: {
      /** The refusal's field and what cannot be done (notNow), when another change overtook this one. */
      refusal: [field: string, otherwise: string];
      event: string;
      note: string | null;
      audit: AuditAction;
      notify: {
        template: 'census-return-submitted' | 'census-return-returned' | 'census-return-approved';
        recipientKind: 'la' | 'school';
        recipient: string;
      };
    },
  ): Promise<Decided> {
    const { version } = view;
    const byName = await this.actorName(actor);
    return this.deps.db.transaction().execute(async (tx) => {
      // The school's submission needs the collection live until it commits, as a load does; the LA
      // decides on submitted returns whether or not it is still live (notNow).
      if (to === 'submitted') await this.stillLive(tx, view, 'submit', 'collect.not-now.submit');
      if (!(await moveStatus(tx, version.id, from, to, stamps))) {
        // Read after the change that overtook this one has committed (the update waited for it).
        const now = await findReturn(tx, version.id);
        if (now?.status === to) return { already: true };
        const [field, otherwise] = effects.refusal;
        throw new Invalid([notNow(field, { ...view, version: now ?? version }, otherwise)]);
      }
      if (to === 'approved') await replaceEarlierApproved(tx, version, at.toISOString());
      await this.event(tx, actor, at, version.id, effects.event, effects.note);
      await this.audit(tx, actor, at, effects.audit, version.id, {
        collection: view.details.collection.name,
        school: version.establishment_number,
        version: version.version,
      });
      await enqueueNotification(tx, {
        at,
        template: effects.notify.template,
        recipientKind: effects.notify.recipientKind,
        recipient: effects.notify.recipient,
        payload: {
          ...this.returnPayload(view, byName, at),
          ...(effects.note === null ? {} : { note: effects.note }),
        },
      });
      return { already: false };
    });
  }

  /** What every email about the version of `view` says of it: whose, which, who acted and when. */
  private returnPayload(view: ReturnView, byName: OrganisationName, at: Date) {
    return {
      collectionName: view.details.collection.name,
      schoolName: view.school.name,
      schoolCode: view.school.number,
      version: view.version.version,
      filename: view.version.filename,
      byName,
      at: at.toISOString(),
      path: `/collect/returns/${view.version.id}`,
    };
  }

  private async visible(actor: Actor, returnId: string): Promise<CensusReturnRow> {
    const version = await findReturn(this.deps.db, returnId);
    if (!version || !mayOpen(actor, version)) throw new NotFound(message('collect.not-found.census-return'));
    return version;
  }

  private async schoolNames(numbers: string[]): Promise<Map<string, string>> {
    if (numbers.length === 0) return new Map();
    const rows = await this.deps.db
      .selectFrom('establishments')
      .select(['number', 'name'])
      .where('number', 'in', numbers)
      .execute();
    return new Map(rows.map((r) => [r.number, r.name]));
  }

  /** The actor's organisation as an email names it: the school, the LA, or the DfE. */
  private async actorName(actor: Actor): Promise<OrganisationName> {
    if (scopeOf(actor.role) === 'school' && actor.establishmentNumber) {
      return (
        (await getEstablishment(this.deps.db, actor.establishmentNumber))?.name ?? actor.establishmentNumber
      );
    }
    if (actor.laNumber) {
      const la = await getLocalAuthority(this.deps.db, actor.laNumber);
      return laName(actor.laNumber, la?.name);
    }
    return message('collect.email.by-dfe');
  }

  private async event(
    tx: Executor,
    actor: Actor,
    at: Date,
    returnId: string,
    action: string,
    note: string | null,
    id?: string,
  ): Promise<boolean> {
    const user = await tx
      .selectFrom('users')
      .select('full_name')
      .where('id', '=', actor.userId)
      .executeTakeFirst();
    return recordEvent(
      tx,
      {
        return_id: returnId,
        at: at.toISOString(),
        user_id: actor.userId,
        user_name: user?.full_name ?? actor.username,
        actor_scope: scopeOf(actor.role),
        action,
        note,
      },
      id,
    );
  }

  private async audit(
    tx: Executor,
    actor: Actor,
    at: Date,
    action: AuditAction,
    returnId: string | null,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await recordAudit(tx, {
      at,
      actorUserId: actor.userId,
      actorUsername: actor.username,
      organisation: organisationOf(actor),
      action,
      ...(returnId ? { subjectType: 'census-return', subjectId: returnId } : {}),
      detail,
    });
  }
}

/**
 * The note of the last time the LA returned the version, with the LA's other notes on it (events oldest
 * first).
 */
function latestReturnedNote(events: CensusReturnEventRow[], returnId: string): ReturnedNote | null {
  const mine = events.filter((e) => e.return_id === returnId);
  const last = mine.filter((e) => e.action === 'returned').at(-1);
  if (!last || last.note === null) return null;
  const notes = mine.flatMap((e) =>
    e.action === 'note' && e.note !== null ? [{ note: e.note, at: e.at, userName: e.user_name }] : [],
  );
  return { note: last.note, at: last.at, userName: last.user_name, notes };
}

/** `missing`: the key of the error when the note is empty. */
function noteText(note: string, field: string, missing: string): string {
  const text = note.trim();
  if (text === '') throw new Invalid([keyedError(field, missing)]);
  if (text.length > NOTE_MAX)
    throw new Invalid([keyedError(field, 'collect.note.too-long', { max: NOTE_MAX })]);
  return text;
}

/** "the return is submitted": a return's status, as a refusal says it. */
const STATE_KEYS: Record<CensusReturnStatus, string> = {
  loaded: 'collect.not-now.state.loaded',
  submitted: 'collect.not-now.state.submitted',
  returned: 'collect.not-now.state.returned',
  approved: 'collect.not-now.state.approved',
  replaced: 'collect.not-now.state.replaced',
};

/**
 * Why an action is not open on a version now (a refusal of the action, not of the actor: the page is
 * shown again with it). An earlier version, or a closed collection, says so. `otherwise`: the key of
 * what cannot be done.
 */
function notNow(field: string, view: ReturnView, otherwise: string): FieldError {
  if (!view.isCurrent) return keyedError(field, 'collect.not-now.earlier', { version: view.version.version });
  // The LA decides on submitted returns whether or not the collection is still live: its decision is
  // refused for the return's status, not the collection's.
  if (view.details.status !== 'Live' && field !== 'decision') {
    return keyedError(
      field,
      view.details.status === 'Closed' ? 'collect.not-now.closed' : 'collect.not-now.not-yet-open',
      { name: view.details.collection.name },
    );
  }
  // The school corrects a returned return at source: a new file, not this one again.
  if (view.version.status === 'returned' && field !== 'decision') {
    return keyedError(field, 'collect.not-now.returned');
  }
  return keyedError(field, 'collect.not-now.status', {
    action: message(otherwise),
    state: message(STATE_KEYS[view.version.status]),
  });
}
