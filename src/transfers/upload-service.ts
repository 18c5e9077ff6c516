// Upload: a file arrives through one of the Upload menu items (handbook §3, LA notes §4.2, §5.1, §5.6) and
// is either accepted -- checked, stored encrypted and recorded -- or refused with every reason and what
// to do next. Domain code: no HTTP. The checks, in order (each stage stops at its first refusal):
//
//   1. the name (filenames.ts), after dropping any folder path an old browser sent (H:\s2s downloads\...);
//   2. the kind of name must be one the menu item takes (a CTF name under Upload Generic File is refused,
//      naming the menu item to use);
//   3. the source in the name must be the uploader's own organisation (parties.ts actorParty): a school
//      sends as itself, an LA role as LEALLLL, or as its LEAPLAS / LEAADMS inbox for those two roles;
//   4. the directory (routing.ts): destination exists, uses s2s (else MMMMMMMM, handbook §9), is open and
//      active; and someone there can collect what this menu item sends (parties.ts collectable): CFR and
//      exclusion files go to an LA (only the LA's Download menu has "Download CFR Files" and "Download
//      Exclusion Files", schools handbook §4), so one addressed to a school or an LA inbox is refused,
//      pointing to the LA's LEALLLL code or to Upload Generic File;
//   5. no file of the same name, whatever its case, from the same sender is still waiting: 'available' or
//      'pending-scan', for its recipient or in the Lost Pupils Database (handbook §8: NUM "increments each
//      time a file is created for this destination"; a second file of one name would sit beside the first
//      in the destination's list, and a zip of both would rename one). Collected, rejected, removed and
//      quarantined files do not hold their name. The files of a multi-file upload are taken one after
//      another, so the second of one name is refused here. Asked again in step 8's transaction, after
//      waiting for any other upload of that name to finish (database.ts serialiseOn), so two uploads
//      racing cannot both be recorded: the later is refused and its stored blob removed.
//      One exception: the very file waiting, sent again (a program that lost the answer to its upload
//      and repeats it). When the bytes' SHA-256 is the waiting file's, the upload is answered as already
//      received: accepted, with the waiting file's id and `alreadyReceived`, and nothing recorded,
//      audited or emailed, so the destination never gets the pupils twice. The bytes are read and hashed
//      for this only when the name is taken (before step 6: a file too large for the sender is not that
//      file), and the name asked again once they have arrived: a waiting file removed, collected or
//      rejected meanwhile is not named as received, and the upload goes on as a new one; in step 8 the
//      store's own SHA-256 is compared. A different file of that name is refused, naming the waiting
//      file (`waitingTransferId`);
//   6. the size, counted while the file arrives: at most 4 MB from school users and 10 MB from LA users,
//      for every kind of file (handbook §1 and §8C: 4Mb for schools; LA notes §5.5: 10Mb for LAs). The
//      upload is held in memory up to that limit; past it, what was kept is released at once and the
//      rest of the stream is discarded as it arrives (never kept), so the next file of a multi-file
//      upload can still be read;
//   7. the content:
//      - CTF: read by the CTF reader (hardened XML: no DOCTYPE, UTF-8, caps); its errors refuse the
//        file (not a CTF, no header, no pupils, header disagreeing with the name, a lost-pupil file
//        holding more than one pupil); its warnings (UPN check letters, missing details...) are shown
//        on the confirmation but do not refuse it;
//      - census (ASC, SC1-3): read by the census reader; the school, term and year of the return's header
//        must agree with the name, and the header must say which school it is from. The census rules
//        themselves (collect/validate.ts) are COLLECT's job, not the transfer's;
//      - generic, other typed files (KS1...), CFR and exclusion files: the extension must be a safe type
//        whose first 4 KiB look like that type (file-types.ts);
//      - admissions (ATF, APT, ADT, AOT, ASL, ALT): safe, well-formed UTF-8 XML through the hardened
//        reader (no DOCTYPE or entities, size/depth/count caps). Their element structure is not checked:
//        the admissions formats are not described in the handbooks, and the files go between LA teams
//        and schools' MIS, which read them;
//   8. stored encrypted (the file store writes a temporary name, fsyncs, renames), and only then ONE
//      transaction: the transfer and its pupils, the audit record, the notifications, and for the Lost
//      Pupils Database either the record (a file sent to it) or the matches of the file's pupils;
//   9. with malware scanning on (CLAMD_SOCKET or CLAMD_HOST; scan-service.ts), the transfer is recorded
//      'pending-scan', offered to nobody, and its notifications wait for the scan's clean verdict. It
//      is scanned at once from the bytes in memory: clean, it is offered before this returns; infected,
//      it is quarantined and the upload answers as refused (a virus was found); no verdict (clamd down),
//      it is accepted and waits for the scan-files job.
//
// A crash between 8's store and its commit leaves an unreferenced blob and no record: the upload did
// not happen and can simply be repeated. When the transaction itself fails, the blob is removed (best
// effort). Blobs a crash left behind are removed by the daily sweep-files job (jobs.ts) once they are
// a day old and no transfer refers to them.
//
// Notifications (outbox), decided here:
// - CTF (handbook §6, LA notes §4.2): 'ctf-uploaded' to the destination school or LA, and
//   'upload-confirmed' to the sending school or LA. A lost-pupil CTF (XXXXXXXX / MMMMMMMM) has no
//   destination organisation: only the sender's confirmation is sent.
// - Generic and other typed files: none (LA notes §5.7: "you will NOT receive an automatic email").
// - Census, CFR, exclusion and admissions files: none. The handbooks describe emails for CTFs only; the
//   LA teams that receive these returns work from their Download lists, and the sender sees the
//   outcome on screen at once.
// - A refused upload: 'upload-refused' to the uploading user (handbook §3: "If the file is rejected at
//   this stage then a notification email is sent"), with the reasons.
// - A file already received (step 5's exception): none; the first upload of it sent them.
//
// Not done here: forwarding a CTF to the right school (an LA's, or a lost pupil's from the database).
// It keeps the original's content and pupils and is recorded as a forward of the transfer it came
// from: forward-service.ts.
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { recordAudit } from '../audit/repository.ts';
import type { Actor } from '../auth/actor.ts';
import { organisationOf } from '../auth/actor.ts';
import { menuLabelKey } from '../auth/menu.ts';
import { can, scopeOf } from '../auth/permissions.ts';
import { laInboxName, laName, nameAndCode, type OrganisationName } from '../directory/organisation-names.ts';
import { getEstablishment, getLocalAuthority } from '../directory/repository.ts';
import { type HeldLostPupilFile, lostPupilAlreadyHeld, recordLostPupil } from '../lost-pupils/ingest.ts';
import { matchLostPupils } from '../lost-pupils/matching.ts';
import { enqueueNotification, type Notification } from '../notifications/outbox.ts';
import { type BoundedRead, discard, readBounded } from '../platform/bounded-read.ts';
import { BufferPool } from '../platform/buffer-pool.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Executor } from '../platform/db/schema.ts';
import { Forbidden } from '../platform/errors.ts';
import {
  asSentence,
  dateParam,
  type Language,
  type Message,
  message,
  translateMessage,
} from '../platform/i18n/catalogue.ts';
import type { UploadMetric } from '../platform/metrics.ts';
import type { MalwareScanner } from '../platform/scanning/clamd.ts';
import type { EncryptedFileStore, StoredFile } from '../platform/storage/encrypted-store.ts';
import { sentence } from '../platform/words.ts';
import { PoolBusy } from '../platform/workers/pool.ts';
import { CATEGORIES, CATEGORY_INFO, type Category, uploadCapability } from './categories.ts';
import { type ContentCheck, type ContentChecker, inlineContentChecks } from './content-checks.ts';
import { isCompressed } from './file-types.ts';
import {
  type ClassifiedFilename,
  classifyFilename,
  fileDescription,
  type Party,
  partyCode,
  partyWords,
  printableFilename,
} from './filenames.ts';
import { type ActorParty, actorParty, collectable, isSender } from './parties.ts';
import {
  getTransfer,
  insertTransfer,
  lockFilename,
  type WaitingTransfer,
  waitingTransfersNamed,
} from './repository.ts';
import { partyMessages } from './routing.ts';
import { ScanService } from './scan-service.ts';
import { uploadExamples } from './upload-examples.ts';

const MB = 1024 * 1024;
/** Handbook §1 and §8C: "For schools there is a file size limit of 4Mb". */
export const SCHOOL_UPLOAD_LIMIT = 4 * MB;
/** LA notes §5.5: "The maximum size ... is 10Mb for files transferred by an LA". */
export const LA_UPLOAD_LIMIT = 10 * MB;
/** The largest file anyone may upload: what the HTTP edge lets through at most. */
export const MAX_UPLOAD_LIMIT = Math.max(SCHOOL_UPLOAD_LIMIT, LA_UPLOAD_LIMIT);

/**
 * The memory uploads are read into, used again by the next ones (platform/buffer-pool.ts): joining a
 * 4 MB upload's pieces in fresh memory was a seventh of the main thread's work on it. Each upload gives
 * its buffer back when it is stored and recorded, or refused; a few dozen MB are kept for the next.
 */
const uploadBuffers = new BufferPool(64 * MB);

/** The most this actor may upload in one file, in bytes. */
export function uploadLimit(actor: Pick<Actor, 'role'>): number {
  return scopeOf(actor.role) === 'school' ? SCHOOL_UPLOAD_LIMIT : LA_UPLOAD_LIMIT;
}

export interface AcceptedUpload {
  status: 'accepted';
  filename: string;
  transferId: string;
  /** The file in words: "CTF from school 9165402 to school 8171234, file number 003". */
  description: Message;
  /** Where it went, with the organisation's name. */
  destination: OrganisationName;
  /** Pupils the file holds (CTF and census files; 0 for the others). */
  pupils: number;
  /** Things a person should check that did not stop the upload (UPN check letters...), in English. */
  warnings: string[];
  /**
   * What else to do, in English: for a school's census return sent while its LA takes part in a Live
   * COLLECT collection of that term and year, that the return is not in COLLECT and where to load it.
   */
  advice?: string;
  [ACCEPTED_TEXTS]?: AcceptedTexts;
  /**
   * The malware scan: clean (offered now), pending (clamd gave no verdict yet: offered once it does), or
   * not-scanned (scanning is off).
   */
  scan: 'clean' | 'pending' | 'not-scanned';
  /**
   * The same file (name and bytes) from the same sender was already waiting (step 5): transferId is that
   * file's, and nothing new was recorded, audited or emailed.
   */
  alreadyReceived?: true;
}

/**
 * A refusal's reasons and what to do as keys, for pages in the reader's language. Under a symbol, so the
 * REST API, which sends the outcome as it is, keeps its English `reasons` and `whatToDo` only.
 */
export const REFUSAL_TEXTS = Symbol('refusal texts');
export interface RefusalTexts {
  reasons: Message[];
  whatToDo: Message;
}

/** An accepted file's warnings as keys, for pages in the reader's language (under a symbol, as above). */
export const ACCEPTED_TEXTS = Symbol('accepted texts');
export interface AcceptedTexts {
  warnings: Message[];
  /** The COLLECT collection a census return should be loaded into (see AcceptedUpload.advice). */
  loadInto?: CensusCollection;
}

/** A COLLECT data collection as an upload's advice names it: its name, and its Upload Return from File. */
export interface CensusCollection {
  name: string;
  uploadHref: string;
}

/**
 * The Live COLLECT collection a school's termly census return (SC1, SC2, SC3 and its census year yy)
 * belongs to, when the school's LA takes part; null when there is none. Built by the composition root
 * (app.ts) from COLLECT's own service and pages, so transfers reads neither COLLECT's tables nor its
 * routes.
 */
export type CensusCollectionFinder = (file: {
  school: string;
  typeCode: string;
  censusYear: string;
}) => Promise<CensusCollection | null>;

export interface RefusedUpload {
  status: 'refused';
  filename: string;
  /** In English: for the REST API, the audit log and the email. */
  reasons: string[];
  whatToDo: string;
  [REFUSAL_TEXTS]?: RefusalTexts;
  /** Set when the file was stored, then quarantined by the malware scan (its transfer's id). */
  quarantinedTransferId?: string;
  /** Set when another file of its name from the sender is still waiting (step 5): that file's id. */
  waitingTransferId?: string;
  /**
   * Set when the sender's earlier file to the Lost Pupils Database holds the same pupil, still lost (step
   * 8, decision 79): that file's id.
   */
  lostPupilTransferId?: string;
}

export type UploadOutcome = AcceptedUpload | RefusedUpload;

/** Where uploaded files are kept: the encrypted file store (deps.files). */
export interface UploadBlobStore {
  put(content: Readable | Buffer): Promise<StoredFile>;
  remove(storageKey: string): Promise<void>;
  /** To read a file back for its malware scan. */
  get?: EncryptedFileStore['get'];
}

export interface UploadDeps {
  db: Db;
  files: UploadBlobStore;
  clock: Clock;
  logger?: { warn(object: object, message: string): void; error(object: object, message: string): void };
  /** Where file contents are read (step 7): worker threads in the service, this thread by default. */
  contentChecks?: ContentChecker;
  /** The malware scanner (step 9); null or absent when scanning is off. */
  scanner?: MalwareScanner | null;
  /** Counts each upload's outcome for /metrics (platform/metrics.ts); null or absent when off. */
  metrics?: { upload(outcome: UploadMetric): void } | null;
  /** COLLECT, for the advice on a census return (see AcceptedUpload.advice); absent: no advice. */
  censusCollection?: CensusCollectionFinder;
}

// ---------------------------------------------------------------------------------------------------
// Helpers

/** The file's own name: browsers of the 2000s sent the whole path (H:\s2s downloads\681LLLL_CTF...). */
export function withoutFolder(name: string): string {
  return name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
}

/** A refused name as it is shown, audited and emailed: invisible characters made visible, cut short. */
function shownName(name: string): string {
  return printableFilename(name);
}

function megabytes(bytes: number): string {
  return `${Math.round((bytes / MB) * 10) / 10} MB`;
}

/** "a CTF", "a PLASC or School Census file"...: the kind of name in a sentence. */
function kindWords(file: ClassifiedFilename): Message {
  switch (file.kind) {
    case 'ctf':
      return message('transfer.kind.ctf');
    case 'census':
      return message('transfer.kind.census');
    case 'admissions':
      return message('transfer.kind.admissions', { code: file.typeCode ?? '' });
    case 'other':
      return message('transfer.kind.other', { code: file.typeCode ?? '' });
    case 'generic':
      return message('transfer.kind.generic');
  }
}

/** "CTFs", "PLASC or School Census files"...: the kind of name, more than one. */
function kindsWords(file: ClassifiedFilename): Message {
  switch (file.kind) {
    case 'ctf':
      return message('transfer.kinds.ctf');
    case 'census':
      return message('transfer.kinds.census');
    case 'admissions':
      return message('transfer.kinds.admissions', { code: file.typeCode ?? '' });
    case 'other':
      return message('transfer.kinds.other', { code: file.typeCode ?? '' });
    case 'generic':
      return message('transfer.kinds.generic');
  }
}

/** "A, B or C" from texts that are messages. */
function orList(items: Message[]): Message {
  const [first, ...rest] = items;
  if (!first) throw new Error('orList needs at least one item');
  if (rest.length === 0) return first;
  if (rest.length === 1) return message('transfer.list.or', { first, last: rest[0] as Message });
  return message('transfer.list.comma', { first, rest: orList(rest) });
}

function sameParty(a: Party, b: Party): boolean {
  return partyCode(a) === partyCode(b);
}

/** The LA a file comes from (a source is never the lost pupils database: the name rules refuse it). */
function sourceLa(source: Party): string {
  if (source.kind === 'lost-pupils') throw new Error('The lost pupils database is never a source');
  return source.laNumber;
}

// ---------------------------------------------------------------------------------------------------
// What to do, per stage

const NAME_ADVICE = message('transfer.upload.what-to-do.name');
/** Generic files are named by hand (LA notes §5.4), not by an MIS: the name rule is the advice. */
const GENERIC_NAME_ADVICE = message('transfer.upload.what-to-do.name.generic');
const SOURCE_ADVICE = message('transfer.upload.what-to-do.source');
const ROUTING_ADVICE = message('transfer.upload.what-to-do.routing');
const CONTENT_ADVICE = message('transfer.upload.what-to-do.content');

/** What to do about a file whose content is refused: a generic file was chosen and named by hand. */
function contentAdvice(file: ClassifiedFilename, empty = false): Message {
  if (file.kind !== 'generic') return CONTENT_ADVICE;
  return message(
    empty ? 'transfer.upload.what-to-do.empty.generic' : 'transfer.upload.what-to-do.content.generic',
  );
}

function sizeAdvice(file: ClassifiedFilename): Message {
  switch (file.kind) {
    case 'ctf':
      return message('transfer.upload.what-to-do.size.ctf');
    case 'generic':
    case 'other':
      // A .ZIP, the office formats that are zips inside (.XLSX, .DOCX...) and images are already
      // compressed: zipping them would not make them smaller.
      if (file.extension === 'ZIP') return message('transfer.upload.what-to-do.size.split-zip');
      if (isCompressed(file.extension)) {
        return message('transfer.upload.what-to-do.size.split-compressed', { extension: file.extension });
      }
      return message('transfer.upload.what-to-do.size.zip');
    default:
      return message('transfer.upload.what-to-do.size.other');
  }
}

/** A reason in a language, as a sentence (the file name's and the directory's reasons are clauses). */
export function reasonIn(language: Language, reason: Message): string {
  return sentence(translateMessage(language, reason));
}

/** A refusal: its texts in English, and as keys for pages. */
function refusal(
  filename: string,
  reasons: Message[],
  whatToDo: Message,
  ids: Pick<RefusedUpload, 'quarantinedTransferId' | 'waitingTransferId' | 'lostPupilTransferId'> = {},
): RefusedUpload {
  return {
    status: 'refused',
    filename,
    reasons: reasons.map((reason) => reasonIn('en', reason)),
    whatToDo: translateMessage('en', whatToDo),
    ...ids,
    [REFUSAL_TEXTS]: { reasons, whatToDo },
  };
}

/** An accepted file's outcome: its English texts, and its keys for pages. */
function acceptance(
  file: ClassifiedFilename,
  facts: Pick<AcceptedUpload, 'transferId' | 'destination' | 'pupils' | 'scan' | 'alreadyReceived'> & {
    warnings: Message[];
    loadInto: CensusCollection | null;
  },
): AcceptedUpload {
  const { warnings, loadInto, ...rest } = facts;
  return {
    status: 'accepted',
    filename: file.name,
    description: fileDescription(file),
    ...rest,
    warnings: warnings.map((warning) => translateMessage('en', warning)),
    ...(loadInto
      ? {
          advice: translateMessage(
            'en',
            message('transfer.upload.advice.load-into-collect', {
              collection: loadInto.name,
              href: loadInto.uploadHref,
            }),
          ),
        }
      : {}),
    [ACCEPTED_TEXTS]: { warnings, ...(loadInto ? { loadInto } : {}) },
  };
}

// ---------------------------------------------------------------------------------------------------

export class UploadService {
  constructor(private readonly deps: UploadDeps) {}

  /**
   * Checks, stores and records one uploaded file, or refuses it with its reasons (the refusal is audited
   * and the uploader notified; nothing is stored). The content stream is always consumed (or drained)
   * by the time this resolves. Throws Forbidden when the actor may not use this Upload menu item.
   */
  /**
   * `chosen: false` when nobody chose the menu item (the REST API without `category`, for a name the rules
   * refuse): a refusal then does not name what that item takes, which would mislead.
   */
  async upload(
    actor: Actor,
    category: Category,
    originalName: string,
    content: Readable,
    { chosen = true }: { chosen?: boolean } = {},
  ): Promise<UploadOutcome> {
    let outcome: UploadOutcome;
    try {
      outcome = await this.receive(actor, category, originalName, content, chosen);
    } catch (error) {
      // Turned away unread (too many files waiting to be read): counted, for the operators, as busy.
      if (error instanceof PoolBusy) this.deps.metrics?.upload('busy');
      throw error;
    }
    this.deps.metrics?.upload(
      outcome.status === 'accepted'
        ? outcome.alreadyReceived
          ? 'already-received'
          : 'stored'
        : outcome.quarantinedTransferId
          ? 'quarantined'
          : 'refused',
    );
    return outcome;
  }

  private async receive(
    actor: Actor,
    category: Category,
    originalName: string,
    content: Readable,
    chosen: boolean,
  ): Promise<UploadOutcome> {
    if (!can(actor.role, uploadCapability(category))) {
      discard(content);
      throw new Forbidden(`You cannot use ${CATEGORY_INFO[category].uploadLabel}`);
    }
    const filename = withoutFolder(originalName);
    const refuse = async (
      reasons: Message[],
      whatToDo: Message,
      ids?: Pick<RefusedUpload, 'waitingTransferId'>,
      pupils?: number,
    ): Promise<RefusedUpload> => {
      discard(content);
      const outcome = refusal(shownName(filename), reasons, whatToDo, ids);
      await this.recordRefusal(actor, category, outcome, pupils);
      return outcome;
    };

    // 1. The name.
    const classified = classifyFilename(filename);
    if (!classified.ok) {
      const problems = nameProblems(category, classified.messages);
      return refuse(
        chosen ? this.withNamesTaken(actor, category, problems) : problems,
        category === 'generic' ? GENERIC_NAME_ADVICE : NAME_ADVICE,
      );
    }
    const file = classified.file;

    // 2. The menu item.
    if (!CATEGORY_INFO[category].kinds.includes(file.kind)) {
      const { reason, whatToDo } = wrongCategory(actor, category, file);
      return refuse(this.withNamesTaken(actor, category, [reason]), whatToDo);
    }

    // 3. The sender, and 4. the parties in the directory.
    const own = actorParty(actor);
    const reasons: Message[] = [];
    const sourceProblem =
      own === null ? message('transfer.upload.reason.account-does-not-send') : wrongSource(own, file);
    if (sourceProblem) reasons.push(sourceProblem);
    const partyProblems = await partyMessages(this.deps.db, file);
    reasons.push(...partyProblems);
    // Nobody at the destination could download it (a CFR file to a school): it would wait for ever.
    if (!collectable(category, file.kind, file.destination)) {
      reasons.push(
        message('transfer.upload.reason.not-collectable', {
          destination: partyWords(file.destination),
          item: message(menuLabelKey(`/upload/${category}`)),
        }),
      );
    }
    if (reasons.length > 0) {
      const whatToDo =
        sourceProblem || own === null
          ? SOURCE_ADVICE
          : partyProblems.length > 0
            ? ROUTING_ADVICE
            : collectableAdvice(actor, own, category, file);
      return refuse(reasons, whatToDo);
    }

    // 5. No file of this name from the sender still waiting, unless it is this very file sent again.
    const limit = uploadLimit(actor);
    let arrived: BoundedRead | undefined;
    const taken = await nameWaiting(this.deps.db, file, own);
    if (taken) {
      // Read only to compare: a file larger than the sender may send is not the one waiting.
      arrived = await readBounded(content, limit, uploadBuffers);
      const sha256 = arrived.ok ? createHash('sha256').update(arrived.data).digest('hex') : null;
      // The very file waiting, sent again, is answered as received only if it still waits once the bytes
      // have arrived (seconds, for a large file on a slow line). Removed, collected or rejected meanwhile,
      // its name is free: this goes on as a new upload, as it would have had it come a moment later.
      const now =
        sha256 !== null && sameContent(taken, sha256, category)
          ? await nameWaiting(this.deps.db, file, own)
          : taken;
      if (now) {
        if (arrived.ok) uploadBuffers.give(arrived.data);
        const original = sha256 === null ? undefined : sameContent(now, sha256, category);
        if (original) return this.alreadyReceived(file, original);
        return refuse(now.reasons, now.whatToDo, { waitingTransferId: now.waitingTransferId });
      }
    }

    // 6. The size, while it arrives.
    const read = arrived ?? (await readBounded(content, limit, uploadBuffers));
    if (!read.ok) {
      const tooLarge =
        scopeOf(actor.role) === 'school'
          ? 'transfer.upload.reason.too-large.school'
          : 'transfer.upload.reason.too-large.la';
      return refuse([message(tooLarge, { limit: megabytes(limit) })], sizeAdvice(file));
    }
    if (read.data.length === 0)
      return refuse([message('transfer.upload.reason.empty')], contentAdvice(file, true));

    // The bytes are read from the pool's memory until this ends, and nowhere after it.
    let data = read.data;
    try {
      // 7. The content.
      const checked = await (this.deps.contentChecks ?? inlineContentChecks).handOver(file, data);
      data = checked.data;
      if (checked.check.reasons.length > 0) {
        const whatToDo = checked.check.whatToDo ?? contentAdvice(file);
        return await refuse(checked.check.reasons, whatToDo, undefined, checked.check.pupilCount);
      }

      // 8. Stored, then recorded (step 5 asked again in its transaction).
      return await this.store(actor, category, file, data, checked.check);
    } finally {
      uploadBuffers.give(data);
    }
  }

  /** A name's reasons, then the names this menu item takes from the uploader (upload-examples.ts). */
  private withNamesTaken(actor: Actor, category: Category, reasons: Message[]): Message[] {
    const party = actorParty(actor);
    const examples = party ? uploadExamples(party, category, this.deps.clock.now()) : [];
    if (examples.length === 0) return reasons;
    return [
      ...reasons,
      message('transfer.upload.reason.names-taken', {
        item: message(menuLabelKey(`/upload/${category}`)),
        examples: examples.join(', '),
      }),
    ];
  }

  private async store(
    actor: Actor,
    category: Category,
    file: ClassifiedFilename,
    data: Buffer,
    checked: ContentCheck,
  ): Promise<UploadOutcome> {
    const { db, files, clock } = this.deps;
    const [senderName, destinationName] = await Promise.all([
      partyName(db, file.source),
      partyName(db, file.destination),
    ]);
    const stored = await files.put(data);
    const id = randomUUID();
    const at = clock.now();
    const { source, destination } = file;
    const scanning = Boolean(this.deps.scanner);
    // Nothing refers to the blob: remove it, but a failure to do so must not hide why.
    const removeBlob = () =>
      files.remove(stored.storageKey).catch((removeError: unknown) => {
        this.deps.logger?.warn(
          { err: removeError, storageKey: stored.storageKey },
          'could not remove the stored file of an upload that was not recorded',
        );
      });
    let taken: NameTaken | null;
    let held: HeldLostPupilFile | null = null;
    // What the upload's confirmation says beside the content's warnings.
    const warnings = [...checked.warnings];
    try {
      taken = await db.transaction().execute(async (tx) => {
        // Step 5 again, once any other upload of this name has finished: a file of this name recorded
        // since the first check (another upload racing this one) refuses this one.
        await lockFilename(tx, file.name);
        const clash = await nameWaiting(tx, file, actorParty(actor));
        if (clash) return clash;
        // A second file to the Lost Pupils Database for a pupil it holds as lost (decision 79; LA notes
        // §4.2): refused from the same sender, whose first file keeps the pupil "lost"; from another,
        // taken (it may hold newer details), saying when the database had the pupil, never from whom.
        const pupil = destination.kind === 'lost-pupils' ? checked.pupils[0] : undefined;
        if (pupil) {
          const already = await lostPupilAlreadyHeld(
            tx,
            { la: sourceLa(source), school: source.kind === 'school' ? source.establishmentNumber : null },
            {
              upn: pupil.upn,
              formerUpn: pupil.former_upn,
              surname: pupil.surname,
              forename: pupil.forename,
              dateOfBirth: pupil.date_of_birth,
            },
          );
          if (already.own) {
            held = already.own;
            return null;
          }
          if (already.other) {
            warnings.push(
              message('transfer.upload.warning.lost-pupil-held-elsewhere', {
                date: dateParam(already.other.uploadedAt),
              }),
            );
          }
        }
        await insertTransfer(
          tx,
          {
            id,
            filename: file.name,
            category,
            kind: file.kind,
            type_code: file.typeCode,
            source_la: sourceLa(source),
            source_school: source.kind === 'school' ? source.establishmentNumber : null,
            source_inbox: source.kind === 'la-inbox' ? source.inbox : null,
            dest_kind: destination.kind,
            dest_la: destination.kind === 'lost-pupils' ? null : destination.laNumber,
            dest_school: destination.kind === 'school' ? destination.establishmentNumber : null,
            dest_inbox: destination.kind === 'la-inbox' ? destination.inbox : null,
            lost_reason: destination.kind === 'lost-pupils' ? destination.reason : null,
            uploaded_by: actor.userId,
            uploaded_at: at.toISOString(),
            size: stored.size,
            sha256: stored.sha256,
            storage_key: stored.storageKey,
            wrapped_key: stored.wrappedKey,
            master_key_id: stored.masterKeyId,
            pupil_count: checked.pupilCount,
            status: scanning ? 'pending-scan' : 'available',
            scan_status: scanning ? 'pending' : 'not-scanned',
          },
          checked.pupils,
        );
        await recordAudit(tx, {
          at,
          actorUserId: actor.userId,
          actorUsername: actor.username,
          organisation: organisationOf(actor),
          action: 'file-uploaded',
          subjectType: 'transfer',
          subjectId: id,
          detail: {
            filename: file.name,
            category,
            kind: file.kind,
            destination: partyCode(destination),
            pupils: checked.pupilCount,
            size: stored.size,
          },
        });
        // With scanning on, the scan's clean verdict writes these (scan-service.ts).
        const notifications = scanning
          ? []
          : notificationsFor(file, at, {
              transferId: id,
              senderName,
              destinationName,
              pupils: checked.pupilCount,
            });
        for (const notification of notifications) await enqueueNotification(tx, notification);
        await this.lostPupils(tx, id, file, checked, at, { senderName, destinationName });
        return null;
      });
    } catch (error) {
      await removeBlob();
      throw error;
    }
    if (held !== null) {
      await removeBlob();
      const earlier: HeldLostPupilFile = held;
      const outcome = refusal(
        shownName(file.name),
        [
          message('transfer.upload.reason.lost-pupil-held', {
            filename: earlier.filename,
            date: dateParam(earlier.uploadedAt),
          }),
        ],
        message('transfer.upload.what-to-do.lost-pupil-held', { page: message(menuLabelKey('/sent')) }),
        { lostPupilTransferId: earlier.transferId },
      );
      await this.recordRefusal(actor, category, outcome, checked.pupilCount);
      return outcome;
    }
    if (taken) {
      await removeBlob();
      // The racing upload was this very file, sent twice at once (a retry while the first was arriving).
      const original = sameContent(taken, stored.sha256, category);
      if (original) return this.alreadyReceived(file, original);
      const outcome = refusal(shownName(file.name), taken.reasons, taken.whatToDo, {
        waitingTransferId: taken.waitingTransferId,
      });
      await this.recordRefusal(actor, category, outcome, checked.pupilCount);
      return outcome;
    }
    const accepted = acceptance(file, {
      transferId: id,
      destination: destinationName,
      pupils: checked.pupilCount,
      warnings,
      loadInto: await this.censusCollectionOf(file),
      scan: 'not-scanned',
    });
    return scanning ? this.scan(accepted, data) : accepted;
  }

  /**
   * Step 5's exception: the answer to a file sent again while the same file is waiting. Its warnings were
   * given when it arrived first, and it is not read again for them; it is counted, not recorded.
   */
  private async alreadyReceived(
    file: ClassifiedFilename,
    original: WaitingTransfer,
  ): Promise<AcceptedUpload> {
    return acceptance(file, {
      transferId: original.id,
      alreadyReceived: true,
      destination: await partyName(this.deps.db, file.destination),
      pupils: original.pupil_count,
      warnings: [],
      loadInto: await this.censusCollectionOf(file),
      scan:
        original.status === 'pending-scan'
          ? 'pending'
          : original.scan_status === 'clean'
            ? 'clean'
            : 'not-scanned',
    });
  }

  /**
   * The handbook's Upload > DAZ/PLASC/School Census File sends a school's census return to its LA as a
   * file; it does not load it into COLLECT, where the census is made (census guide). When the school's LA
   * takes part in a Live collection of the return's term and year, the school is told where to load it.
   */
  private async censusCollectionOf(file: ClassifiedFilename): Promise<CensusCollection | null> {
    const find = this.deps.censusCollection;
    if (!find || file.kind !== 'census' || file.source.kind !== 'school') return null;
    if (!file.typeCode || !file.censusYear) return null;
    try {
      return await find({
        school: file.source.establishmentNumber,
        typeCode: file.typeCode,
        censusYear: file.censusYear,
      });
    } catch (error) {
      // The file is sent: a failure to find the advice must not make the upload look failed.
      this.deps.logger?.warn(
        { err: error, filename: file.name },
        'could not look up the COLLECT collection of an uploaded census return',
      );
      return null;
    }
  }

  /** Step 9: the scan at once, from the bytes in memory. */
  private async scan(accepted: AcceptedUpload, data: Buffer): Promise<UploadOutcome> {
    const { db, files, clock, logger, scanner } = this.deps;
    const get = files.get?.bind(files);
    const scans = new ScanService({
      db,
      clock,
      logger,
      scanner: scanner ?? null,
      files: {
        get: get ?? (() => Promise.reject(new Error('this store cannot read files back'))),
        remove: (key) => files.remove(key),
      },
    });
    let result: Awaited<ReturnType<ScanService['scan']>>;
    try {
      result = await scans.scan(accepted.transferId, data);
      if (result.outcome === 'not-waiting') {
        // The scan job got there first: its verdict is on the row.
        const row = await getTransfer(db, accepted.transferId);
        if (row?.status === 'available') result = { outcome: 'clean' };
        else if (row?.status === 'quarantined')
          result = { outcome: 'infected', signature: row.scan_signature ?? 'unknown' };
      }
    } catch (error) {
      // The file is stored and recorded as waiting: the job scans it. The upload itself succeeded.
      logger?.warn(
        { transferId: accepted.transferId, error: error instanceof Error ? error.message : String(error) },
        'the malware scan of an upload could not be recorded; the scan job will scan it',
      );
      return { ...accepted, scan: 'pending' };
    }
    switch (result.outcome) {
      case 'clean':
        return { ...accepted, scan: 'clean' };
      case 'infected':
        return refusal(
          accepted.filename,
          [message('transfer.upload.reason.virus', { signature: result.signature })],
          message('transfer.upload.what-to-do.virus'),
          { quarantinedTransferId: accepted.transferId },
        );
      default:
        return { ...accepted, scan: 'pending' };
    }
  }

  /**
   * The Lost Pupils Database, in the upload's transaction: a file sent to it is recorded there (one
   * pupil, checked in step 7); any other CTF or census return is compared with it (lost-pupils/
   * matching.ts).
   */
  private async lostPupils(
    tx: Executor,
    transferId: string,
    file: ClassifiedFilename,
    checked: ContentCheck,
    at: Date,
    names: { senderName: OrganisationName; destinationName: OrganisationName },
  ): Promise<void> {
    const { source, destination } = file;
    if (destination.kind === 'lost-pupils') {
      const pupil = checked.pupils[0];
      if (!pupil) return;
      await recordLostPupil(tx, {
        transferId,
        reason: destination.reason,
        sourceLa: sourceLa(source),
        sourceSchool: source.kind === 'school' ? source.establishmentNumber : null,
        uploadedAt: at,
        pupil: {
          upn: pupil.upn,
          formerUpn: pupil.former_upn,
          surname: pupil.surname,
          formerSurname: pupil.former_surname,
          forename: pupil.forename,
          middleNames: pupil.middle_names,
          dateOfBirth: pupil.date_of_birth,
          gender: pupil.sex,
          town: checked.firstPupilTown ?? null,
        },
      });
      return;
    }
    // Where the pupils are (going): a CTF's destination, a census return's school.
    const census = file.kind === 'census';
    const seenAt = census ? source : destination;
    const pupils = census
      ? (checked.censusPupils ?? [])
      : file.kind === 'ctf'
        ? checked.pupils.map((p) => ({
            upn: p.upn,
            formerUpn: p.former_upn,
            surname: p.surname,
            forename: p.forename,
            dateOfBirth: p.date_of_birth,
          }))
        : [];
    if (pupils.length === 0 || seenAt.kind === 'lost-pupils') return;
    await matchLostPupils(
      tx,
      {
        transferId,
        filename: file.name,
        kind: census ? 'school census return' : 'CTF',
        seenAt: {
          la: seenAt.laNumber,
          school: seenAt.kind === 'school' ? seenAt.establishmentNumber : null,
          name: census ? names.senderName : names.destinationName,
          code: partyCode(seenAt),
        },
        at,
      },
      pupils,
    );
  }

  /**
   * The refusal's audit record and the uploader's email, in one transaction. `pupils`: how many the
   * content check counted (0 when it could read none), given once the content was read: issue 4 asks
   * for the count, and the refused file is not kept.
   */
  private async recordRefusal(
    actor: Actor,
    category: Category,
    outcome: RefusedUpload,
    pupils?: number,
  ): Promise<void> {
    const at = this.deps.clock.now();
    const texts = outcome[REFUSAL_TEXTS];
    await this.deps.db.transaction().execute(async (tx) => {
      await recordAudit(tx, {
        at,
        actorUserId: actor.userId,
        actorUsername: actor.username,
        organisation: organisationOf(actor),
        action: 'upload-refused',
        detail: {
          filename: outcome.filename,
          category,
          reasons: outcome.reasons,
          ...(pupils === undefined ? {} : { pupils }),
        },
      });
      await enqueueNotification(tx, {
        at,
        template: 'upload-refused',
        recipientKind: 'user',
        recipient: actor.userId,
        payload: {
          filename: outcome.filename,
          menuItem: CATEGORY_INFO[category].uploadLabel,
          reasons: outcome.reasons.join('\n'),
          whatToDo: outcome.whatToDo,
          // The same as keys, so the email is written in the recipient's language (decision 30); each
          // reason a sentence, as on the page.
          ...(texts
            ? { reasonMessages: texts.reasons.map(asSentence), whatToDoMessage: texts.whatToDo }
            : {}),
        },
      });
    });
  }
}

/** Why the name's source is not the uploader's own organisation, or null when it is. */
/**
 * A name's problems as this menu item gives them: one that takes no generic names (CTF, census,
 * admissions) leaves out what a generic name would lack, since the name it suggests would be refused here.
 */
function nameProblems(category: Category, problems: Message[]): Message[] {
  if (CATEGORY_INFO[category].kinds.includes('generic')) return problems;
  return problems.filter((problem) => problem.key !== 'transfer.filename.description.missing');
}

function wrongSource(own: ActorParty, file: ClassifiedFilename): Message | null {
  if (sameParty(own, file.source)) return null;
  if (file.kind === 'census' && own.kind !== 'school') {
    return message('transfer.upload.reason.census-from-school', { party: partyWords(file.source) });
  }
  return message('transfer.upload.reason.wrong-source', {
    source: partyWords(file.source),
    own: partyWords(own),
    code: partyCode(own),
  });
}

/** A name held by the sender's files still waiting (step 5): why, what to do, and those files. */
interface NameTaken {
  reasons: Message[];
  whatToDo: Message;
  waiting: WaitingTransfer[];
  /** The waiting file a refusal names (the first, should there be more). */
  waitingTransferId: string;
}

/**
 * Step 5: why the name cannot be used while a file of that name (whatever its case) from the same sender
 * is still waiting, or null when none is. Its destination is the new file's, since the name says where
 * a file goes.
 */
async function nameWaiting(
  db: Executor,
  file: ClassifiedFilename,
  sender: ActorParty | null,
): Promise<NameTaken | null> {
  // The name starts with its sender's code, so a file of that name has that sender: said all the same.
  const waiting = (await waitingTransfersNamed(db, file.name)).filter((row) => isSender(sender, row));
  const [first] = waiting;
  if (!first) return null;
  // The waiting file named as it is stored, which may differ in case from the one uploaded.
  const reason =
    file.destination.kind === 'lost-pupils'
      ? message('transfer.upload.reason.name-waiting.lost-pupils', { filename: first.filename })
      : message('transfer.upload.reason.name-waiting.destination', {
          filename: first.filename,
          destination: await partyName(db, file.destination),
        });
  const page = message(menuLabelKey('/sent'));
  const whatToDo =
    file.kind === 'generic'
      ? message('transfer.upload.what-to-do.name-waiting.description', { page })
      : message('transfer.upload.what-to-do.name-waiting.number', { page });
  return { reasons: [reason], whatToDo, waiting, waitingTransferId: first.id };
}

/** The waiting file of the taken name whose content has this SHA-256 (hex), if there is one. */
/**
 * The waiting file this upload is, sent again: the same bytes through the same Upload menu item (the same
 * bytes as a CFR file and as a generic one are two files, collected from two lists).
 */
function sameContent(taken: NameTaken, sha256: string, category: Category): WaitingTransfer | undefined {
  return taken.waiting.find((row) => row.sha256 === sha256 && row.category === category);
}

/** The file's name with another destination: "9165402_CFR_916LLLL_001.XLS" for "9165402_CFR_8171234_001.XLS". */
function addressedTo(file: ClassifiedFilename, destination: string): string {
  const source = partyCode(file.source);
  return file.kind === 'generic'
    ? `${source}_${destination}_${file.description}.${file.extension}`
    : `${source}_${file.typeCode}_${destination}_${file.sequence}.${file.extension}`;
}

/**
 * What to do with a file nobody at its destination could collect (a CFR or exclusion file to a school
 * or an LA inbox): send it to an LA, which collects every category (a school names its own LA, handbook
 * §8: "LLLL as the destination 'school number'"), or, to reach that destination, use Upload Generic
 * File when the uploader may and someone there collects generic files.
 */
function collectableAdvice(
  actor: Actor,
  own: ActorParty,
  category: Category,
  file: ClassifiedFilename,
): Message {
  const item = message(menuLabelKey(`/upload/${category}`));
  const ownLa = { kind: 'la', laNumber: own.laNumber } as const;
  const toLa = !collectable(category, file.kind, ownLa)
    ? ROUTING_ADVICE
    : own.kind === 'school'
      ? message('transfer.upload.what-to-do.to-your-la', {
          item,
          code: partyCode(ownLa),
          example: addressedTo(file, partyCode(ownLa)),
        })
      : message('transfer.upload.what-to-do.to-an-la', { item });
  if (!can(actor.role, uploadCapability('generic')) || !collectable('generic', file.kind, file.destination))
    return toLa;
  const generic = message('transfer.upload.what-to-do.use-generic', {
    destination: partyWords(file.destination),
    item: message(menuLabelKey('/upload/generic')),
  });
  return message('transfer.sentences.two', { first: toLa, second: generic });
}

/** The Upload menu items that take this kind of name, and what to say. */
function wrongCategory(
  actor: Actor,
  category: Category,
  file: ClassifiedFilename,
): { reason: Message; whatToDo: Message } {
  const reason = message('transfer.upload.reason.wrong-category', {
    filename: file.name,
    kind: kindWords(file),
    item: message(menuLabelKey(`/upload/${category}`)),
  });
  const usable = CATEGORIES.filter(
    (c) => CATEGORY_INFO[c].kinds.includes(file.kind) && can(actor.role, uploadCapability(c)),
  ).map((c) => message(menuLabelKey(`/upload/${c}`)));
  const whatToDo =
    usable.length > 0
      ? message('transfer.upload.what-to-do.use-item', { items: orList(usable) })
      : message('transfer.upload.what-to-do.cannot-send-kind', { kinds: kindsWords(file) });
  return { reason, whatToDo };
}

/**
 * A party with its name from the directory: "St Martha Primary School (8171234)", "Ashire LA (916LLLL)".
 * The words s2s adds or makes up make it a message, written in the reader's language.
 */
export async function partyName(db: Executor, party: Party): Promise<OrganisationName> {
  switch (party.kind) {
    case 'school': {
      const school = await getEstablishment(db, party.establishmentNumber);
      return school ? nameAndCode(school.name, party.establishmentNumber) : partyWords(party);
    }
    case 'la':
    case 'la-inbox': {
      const la = await getLocalAuthority(db, party.laNumber);
      if (!la) return partyWords(party);
      const name =
        party.kind === 'la-inbox'
          ? laInboxName(party.laNumber, party.inbox, la.name)
          : laName(party.laNumber, la.name);
      return nameAndCode(name, partyCode(party));
    }
    case 'lost-pupils':
      return partyWords(party);
  }
}

export interface NotificationFacts {
  transferId: string;
  senderName: OrganisationName;
  destinationName: OrganisationName;
  pupils: number;
}

/** The outbox rows an accepted upload writes (see the top of this file). */
export function notificationsFor(
  file: ClassifiedFilename,
  at: Date,
  facts: NotificationFacts,
): Notification[] {
  if (file.kind !== 'ctf') return [];
  const payload = {
    filename: file.name,
    transferId: facts.transferId,
    sender: partyCode(file.source),
    senderName: facts.senderName,
    destination: partyCode(file.destination),
    destinationName: facts.destinationName,
    pupils: facts.pupils,
  };
  const out: Notification[] = [];
  const to = (party: Party): Pick<Notification, 'recipientKind' | 'recipient'> | null => {
    if (party.kind === 'school') return { recipientKind: 'school', recipient: party.establishmentNumber };
    if (party.kind === 'la' || party.kind === 'la-inbox')
      return { recipientKind: 'la', recipient: party.laNumber };
    return null;
  };
  const destination = to(file.destination);
  if (destination) out.push({ at, template: 'ctf-uploaded', ...destination, payload });
  const sender = to(file.source);
  if (sender) out.push({ at, template: 'upload-confirmed', ...sender, payload });
  return out;
}
