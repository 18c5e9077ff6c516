// Bulk upload (census guide: an LA "being an agent" may load its schools' returns): an LA loads many of
// its schools' census returns at once, as one zip. Each file in the zip goes through the checks of a
// single upload (CensusReturnsService.loadFile: the name, the school of the LA, the collection's term and
// year, the content and the rules) and an accepted one is stored as a new version loaded by the LA.
// The files are independent: each accepted one is its own transaction, and a refused one does not stop
// the others.
//
// A zip is untrusted. It is read in memory, never unpacked to disk; each file keeps only its base name;
// each is read only up to the size of one return, counting the bytes as they are inflated; and a zip
// with too many files, or more bytes uncompressed than BULK_UNCOMPRESSED_LIMIT (a zip bomb), is refused
// as a whole before anything is loaded.
import type { Readable } from 'node:stream';
import type { Entry, ZipFile } from 'yauzl';
import type { Actor } from '../auth/actor.ts';
import { can } from '../auth/permissions.ts';
import { listEstablishmentsOfLa } from '../directory/repository.ts';
import { formPartId } from '../platform/db/insert-once.ts';
import { Forbidden, Invalid } from '../platform/errors.ts';
import { keyedError, message } from '../platform/i18n/catalogue.ts';
import { PoolBusy } from '../platform/workers/pool.ts';
import {
  nextEntry as nextZipEntry,
  openZip as openZipFile,
  readEntryBounded,
} from '../platform/zip/entries.ts';
import { classifyFilename } from '../transfers/filenames.ts';
import { LA_UPLOAD_LIMIT, withoutFolder } from '../transfers/upload-service.ts';
import type { CollectionDetails } from './collections-service.ts';
import {
  CensusReturnsService,
  type LoadOutcome,
  RETURN_SIZE_LIMIT,
  type RefusalAttempt,
  type ReturnContent,
  type ReturnsDeps,
  returnContent,
} from './returns-service.ts';

const MB = 1024 * 1024;
/** The zip is one upload by an LA: the LA's upload limit (LA notes §5.5). */
export const BULK_ZIP_LIMIT = LA_UPLOAD_LIMIT;
/** Files in one zip at most: more than the schools of most LAs, few enough to answer on one page. */
export const MAX_BULK_FILES = 500;
/** Bytes inflated from one zip at most: far more than a zip of real returns, far less than a zip bomb. */
export const BULK_UNCOMPRESSED_LIMIT = 200 * MB;
/** The form's field for the zip: the domain's refusals of the whole zip name it. */
export const ZIP_FIELD = 'zip';

export interface BulkEntry {
  outcome: LoadOutcome;
  /** The school the file's name is for, when the name says (with its name when it is of the LA). */
  school: { number: string; name: string | null } | null;
}

export interface BulkLoadResult {
  details: CollectionDetails;
  /** One per file of the zip, in the zip's order. */
  entries: BulkEntry[];
  loaded: number;
  refused: number;
}

export class BulkReturnsLoader {
  private readonly returns: CensusReturnsService;

  constructor(private readonly deps: ReturnsDeps) {
    this.returns = new CensusReturnsService(deps);
  }

  /** The collection, for an LA agent taking part in it: Forbidden for others, NotFound if it has no part. */
  async open(actor: Actor, collectionId: string): Promise<CollectionDetails> {
    if (!can(actor.role, 'collect.agent') || !actor.laNumber)
      throw new Forbidden(
        'Only an LA loads its schools’ census returns from a zip',
        'collect.forbidden.bulk-la-only',
      );
    return this.returns.open(actor, collectionId);
  }

  /**
   * Loads each census return in the zip for the LA's schools. `zip` null means the upload was larger
   * than BULK_ZIP_LIMIT. `replace` is the LA's confirmation that a file replaces its school's current
   * return, for every file. A zip that cannot be loaded at all is Invalid, naming ZIP_FIELD. With
   * `formId` (the id of the form that sent the zip), each file is loaded once only: its version takes an
   * id made from the form's and the file's name (formPartId), so the same form posted again, or at once,
   * gets the versions loaded the first time, `already`, and loads nothing again.
   */
  async load(
    actor: Actor,
    collectionId: string,
    zip: Buffer | null,
    replace: boolean,
    formId?: string,
  ): Promise<BulkLoadResult> {
    const details = await this.open(actor, collectionId);
    if (zip === null) {
      throw new Invalid([keyedError(ZIP_FIELD, 'collect.bulk.error.too-large', { mb: BULK_ZIP_LIMIT / MB })]);
    }
    const archive = await openZip(zip);
    try {
      const files = await filesOf(archive);
      const schoolNames = new Map(
        (await listEstablishmentsOfLa(this.deps.db, actor.laNumber ?? '')).map((s) => [s.number, s.name]),
      );
      // One return per school: of two in a zip, which is meant cannot be known, so only the first is checked.
      const firstFileOf = new Map<string, string>();
      const entries: BulkEntry[] = [];
      for (const entry of files) {
        const filename = withoutFolder(entry.fileName);
        const school = schoolOfName(filename);
        const first = school ? firstFileOf.get(school) : undefined;
        const outcome =
          first === undefined
            ? await this.loadEntry(actor, details, archive, entry, filename, replace, formId)
            : await this.returns.refuse(
                actor,
                details,
                filename,
                [message('collect.refused.two-for-school', { school: school ?? '', first })],
                message('collect.refused.two-advice'),
                entryAttempt(formId, entry),
              );
        if (school && first === undefined) firstFileOf.set(school, filename);
        entries.push({
          outcome,
          school: school ? { number: school, name: schoolNames.get(school) ?? null } : null,
        });
      }
      const loaded = entries.filter((e) => e.outcome.status === 'loaded').length;
      return { details, entries, loaded, refused: entries.length - loaded };
    } finally {
      archive.close();
    }
  }

  /**
   * One return for one of the LA's schools, checked as each file of a zip is (the REST API's upload by
   * an LA agent). The stream is always consumed.
   */
  async loadOne(
    actor: Actor,
    collectionId: string,
    originalName: string,
    content: Readable,
    replace: boolean,
    formId?: string,
  ): Promise<LoadOutcome> {
    return this.returns.loadStream(
      actor,
      () => this.open(actor, collectionId),
      originalName,
      content,
      replace,
      formId,
    );
  }

  private async loadEntry(
    actor: Actor,
    details: CollectionDetails,
    archive: ZipFile,
    entry: Entry,
    filename: string,
    replace: boolean,
    formId: string | undefined,
  ): Promise<LoadOutcome> {
    if (entry.isEncrypted()) {
      return this.returns.refuse(
        actor,
        details,
        filename,
        [message('collect.refused.password')],
        message('collect.refused.password-advice'),
        entryAttempt(formId, entry),
      );
    }
    // Larger than a return by its header: refused by loadFile without reading it, known by the header's
    // CRC-32 and sizes (the whole file's).
    let content: ReturnContent = { tooLarge: true, file: entryFile(entry) };
    if (entry.uncompressedSize <= RETURN_SIZE_LIMIT) {
      try {
        content = await readEntry(archive, entry);
      } catch {
        return this.returns.refuse(
          actor,
          details,
          filename,
          [message('collect.refused.unreadable-in-zip')],
          message('collect.refused.unreadable-in-zip-advice'),
          entryAttempt(formId, entry),
        );
      }
    }
    try {
      const versionId = formId === undefined ? undefined : formPartId(formId, entry.fileName);
      return await this.returns.loadFile(actor, details, filename, content, replace, versionId);
    } catch (error) {
      // Too many files waiting to be read (census day): this one is not loaded, and the others of the
      // zip keep their outcomes, loaded or not, rather than the whole page failing.
      if (!(error instanceof PoolBusy)) throw error;
      return this.returns.refuse(
        actor,
        details,
        filename,
        [message('collect.refused.busy')],
        message('collect.refused.busy-advice'),
        entryAttempt(formId, entry),
      );
    }
  }
}

/**
 * The attempt to load a file of the zip sent by the form `formId`, for a refusal made before its content
 * is read (or read whole): the file is known by what the zip's directory says of it (its CRC-32 and
 * sizes), its id by the form's and the file's name, as its version's would be. None without a form id.
 */
function entryAttempt(formId: string | undefined, entry: Entry): RefusalAttempt | undefined {
  if (formId === undefined) return undefined;
  return { formId: formPartId(formId, entry.fileName), file: entryFile(entry) };
}

/** A file of a zip as the zip's directory knows it, unread: its CRC-32 and sizes. */
function entryFile(entry: Entry): string {
  return `zip:${entry.crc32}:${entry.compressedSize}:${entry.uncompressedSize}`;
}

/** The school a file's name is from, if it is named like a school's file. */
function schoolOfName(filename: string): string | null {
  const classified = classifyFilename(filename);
  return classified.ok && classified.file.source.kind === 'school'
    ? classified.file.source.establishmentNumber
    : null;
}

async function openZip(data: Buffer): Promise<ZipFile> {
  try {
    return await openZipFile(data);
  } catch {
    throw new Invalid([keyedError(ZIP_FIELD, 'collect.bulk.error.not-zip')]);
  }
}

/**
 * The zip's files in its order, from its directory alone (nothing is inflated): folders and the files
 * an operating system adds for itself are skipped. Refuses a zip with no files, too many, or more bytes
 * uncompressed than BULK_UNCOMPRESSED_LIMIT (a file larger than one return is not read, so not counted).
 */
async function filesOf(archive: ZipFile): Promise<Entry[]> {
  const files: Entry[] = [];
  let bytes = 0;
  for (let entry = await nextEntry(archive); entry; entry = await nextEntry(archive)) {
    if (entry.fileName.endsWith('/') || isSystemFile(entry.fileName)) continue;
    files.push(entry);
    if (files.length > MAX_BULK_FILES) {
      throw new Invalid([keyedError(ZIP_FIELD, 'collect.bulk.error.too-many', { max: MAX_BULK_FILES })]);
    }
    if (entry.uncompressedSize <= RETURN_SIZE_LIMIT) bytes += entry.uncompressedSize;
  }
  if (files.length === 0) throw new Invalid([keyedError(ZIP_FIELD, 'collect.bulk.error.empty')]);
  if (bytes > BULK_UNCOMPRESSED_LIMIT) {
    throw new Invalid([
      keyedError(ZIP_FIELD, 'collect.bulk.error.too-large-uncompressed', {
        mb: BULK_UNCOMPRESSED_LIMIT / MB,
      }),
    ]);
  }
  return files;
}

/** macOS adds __MACOSX/ copies and .DS_Store files to the zips it makes: they are not returns. */
function isSystemFile(path: string): boolean {
  return path.startsWith('__MACOSX/') || withoutFolder(path).startsWith('.');
}

async function nextEntry(archive: ZipFile): Promise<Entry | null> {
  try {
    return await nextZipEntry(archive);
  } catch {
    throw new Invalid([keyedError(ZIP_FIELD, 'collect.bulk.error.unreadable')]);
  }
}

/** The entry's bytes, counted as they are inflated: past the size of one return, TooLarge. */
async function readEntry(archive: ZipFile, entry: Entry): Promise<ReturnContent> {
  return returnContent(await readEntryBounded(archive, entry, RETURN_SIZE_LIMIT));
}
