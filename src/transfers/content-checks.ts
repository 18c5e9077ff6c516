// What an uploaded file holds (step 7 of upload-service.ts): CTFs through the CTF reader, census returns
// through the census reader, admissions files through the hardened XML reader, other files by the look of
// their first bytes. Domain code: no HTTP, no database, nothing but the file's name and bytes, so the
// parsing can run on a worker thread (./content-check-worker.ts) as well as here. Reasons and warnings
// are messages of the catalogue (plain data, so they cross to and from a worker as they are), written
// in the reader's language where they are shown.
import { compareFilenameWithHeader } from '../collect/census-filename.ts';
import { CensusFormatError, pupilsToMatch, readCensusReturn } from '../collect/census-reader.ts';
import { checkCtfAgainstFilename, readCtf } from '../ctf/reader.ts';
import type { IncomingPupil } from '../lost-pupils/matching.ts';
import { type Message, message } from '../platform/i18n/catalogue.ts';
import { shortened } from '../platform/words.ts';
import { readXml, XmlError } from '../platform/xml/reader.ts';
import { inspectZip, ZIP_LIMITS, type ZipFinding } from '../platform/zip/inspect.ts';
import { fileTypeProblem, isZipContent } from './file-types.ts';
import { type ClassifiedFilename, printableFilename } from './filenames.ts';
import type { NewTransferPupil } from './repository.ts';

/** Bytes of a generic file's start compared with its extension. */
const SNIFF_BYTES = 4096;
/** Warnings listed on a confirmation at most; the rest are counted. */
const MAX_WARNINGS = 50;

export interface ContentCheck {
  reasons: Message[];
  /**
   * What to do, when the reasons need their own advice (a file in another encoding, which the MIS would
   * make the same again; a file that is not XML); else the upload's advice for refused content.
   */
  whatToDo?: Message;
  warnings: Message[];
  /** A CTF's pupils, as recorded with the transfer (shown before a file is accepted). */
  pupils: NewTransferPupil[];
  pupilCount: number;
  /** The town of a CTF's first pupil: the Lost Pupils Database searches by it. */
  firstPupilTown?: string | null;
  /**
   * A census return's pupils, for matching with the Lost Pupils Database only (census pupils are not
   * recorded with the transfer).
   */
  censusPupils?: IncomingPupil[];
}

/** A file's content checked, and its bytes. */
export interface CheckedContent {
  check: ContentCheck;
  /** The bytes checked, to be used from now on in place of the Buffer given (see handOver). */
  data: Buffer;
}

/** Checks a file's content: in this thread, or handed to worker threads (see deps.ts). */
export interface ContentChecker {
  /**
   * Checks bytes that the caller gives up: a worker thread may take them without a copy (copying 4 MB
   * to a worker costs about a third of reading it there) and give them back. The Buffer given may be
   * left empty; the same bytes come back as the result's `data`.
   */
  handOver(file: ClassifiedFilename, data: Buffer): Promise<CheckedContent>;
}

function fitOrNull(value: string | null, max: number): string | null {
  return value !== null && Array.from(value).length <= max ? value : null;
}

function refusedContent(...reasons: Message[]): ContentCheck {
  return { reasons, warnings: [], pupils: [], pupilCount: 0 };
}

/** A refusal for XML the reader could not read: `key` says what the file was read as, the error why not. */
function unreadable(error: unknown, key: string): ContentCheck {
  if (error instanceof XmlError) {
    const refused = refusedContent(message(key, { problem: error.text }));
    return error.advice ? { ...refused, whatToDo: error.advice } : refused;
  }
  throw error;
}

async function checkCtf(file: ClassifiedFilename, data: Buffer): Promise<ContentCheck> {
  let doc: Awaited<ReturnType<typeof readCtf>>;
  try {
    doc = await readCtf(data, { countSections: false });
  } catch (error) {
    return unreadable(error, 'transfer.content.unreadable.ctf');
  }
  const findings = [...doc.findings, ...checkCtfAgainstFilename(doc, file)];
  const reasons = findings.filter((f) => f.severity === 'error').map((f) => f.text);
  const allWarnings = findings.filter((f) => f.severity === 'warning').map((f) => f.text);
  const warnings = allWarnings.slice(0, MAX_WARNINGS);
  const more = allWarnings.length - warnings.length + doc.findingsOmitted;
  if (more > 0) warnings.push(message('transfer.content.more-warnings', { count: more }));
  const pupils: NewTransferPupil[] = doc.pupils.map((p) => ({
    // Identifiers that do not fit their column are not cut short (a wrong UPN is worse than none):
    // the warnings already say what is wrong with them, and the file itself keeps them.
    upn: fitOrNull(p.upn, 13),
    former_upn: fitOrNull(p.formerUpn, 13),
    surname: shortened(p.surname, 100),
    former_surname: shortened(p.formerSurname, 100),
    forename: shortened(p.forename, 100),
    middle_names: shortened(p.middleNames, 100),
    date_of_birth: fitOrNull(p.dob, 10),
    sex: fitOrNull(p.sex, 1),
  }));
  return {
    reasons,
    warnings,
    pupils,
    pupilCount: doc.pupilCount,
    firstPupilTown: shortened(doc.pupils[0]?.town ?? null, 100),
  };
}

async function checkCensus(file: ClassifiedFilename, data: Buffer): Promise<ContentCheck> {
  let census: Awaited<ReturnType<typeof readCensusReturn>>;
  try {
    census = await readCensusReturn(data);
  } catch (error) {
    if (error instanceof CensusFormatError) return refusedContent(error.text);
    return unreadable(error, 'transfer.content.unreadable.census');
  }
  const { header } = census;
  const reasons: Message[] = [];
  if (header.laNumber === null || header.establishment === null) {
    reasons.push(message('transfer.content.census.no-school'));
  }
  for (const mismatch of compareFilenameWithHeader(file.name, header).messages) {
    reasons.push(message('transfer.content.census.mismatch', { mismatch }));
  }
  const pupilCount = census.pupilsOnRoll.length + census.pupilsNoLongerOnRoll.length;
  return { reasons, warnings: [], pupils: [], pupilCount, censusPupils: pupilsToMatch(census) };
}

async function checkAdmissions(data: Buffer): Promise<ContentCheck> {
  try {
    await readXml(data, {});
  } catch (error) {
    return unreadable(error, 'transfer.content.unreadable.admissions');
  }
  return { reasons: [], warnings: [], pupils: [], pupilCount: 0 };
}

async function checkFileType(file: ClassifiedFilename, data: Buffer): Promise<ContentCheck> {
  const problem = fileTypeProblem(file.extension, data.subarray(0, SNIFF_BYTES));
  if (problem) return refusedContent(problem);
  // What the virus scan cannot read in a zip, at any depth, and names that unzip outside their folder.
  if (isZipContent(file.extension)) {
    const found = await inspectZip(data);
    if (found) return zipRefusal(file, found);
  }
  return { reasons: [], warnings: [], pupils: [], pupilCount: 0 };
}

const MB = 1024 * 1024;

/** Where in the zip a finding is: the zips within it and the entry, outermost first, shown harmlessly. */
function zipPath(path: readonly string[]): string {
  return printableFilename(path.join('/'));
}

/** Why a zip (or an Office file, which is one) is refused, and what to do: decision 83. */
function zipRefusal(file: ClassifiedFilename, found: ZipFinding): ContentCheck {
  const advice = message('transfer.upload.what-to-do.zip');
  const refused = (reason: Message, whatToDo: Message = advice): ContentCheck => ({
    ...refusedContent(reason),
    whatToDo,
  });
  const name = zipPath(found.path);
  switch (found.kind) {
    case 'encrypted':
      // The upload's own entries, as decision 73 worded it; an entry of a zip inside it is named.
      return found.path.length <= 1
        ? refused(message('transfer.upload.reason.encrypted-zip'))
        : refused(message('transfer.upload.reason.zip.encrypted-inside', { name }));
    case 'unsafe-name':
      return refused(message('transfer.upload.reason.zip.unsafe-name', { name }));
    case 'symlink':
      return refused(message('transfer.upload.reason.zip.symlink', { name }));
    case 'unlisted':
      return found.path.length === 0
        ? refused(message('transfer.upload.reason.zip.unlisted'))
        : refused(message('transfer.upload.reason.zip.unlisted-inside', { name }));
    case 'too-large':
      return refused(
        message('transfer.upload.reason.zip.too-large', { limit: `${ZIP_LIMITS.uncompressedBytes / MB} MB` }),
        message('transfer.upload.what-to-do.zip.split'),
      );
    case 'too-many':
      return refused(
        message('transfer.upload.reason.zip.too-many', { max: ZIP_LIMITS.entries.toLocaleString('en-GB') }),
        message('transfer.upload.what-to-do.zip.split'),
      );
    case 'too-deep':
      return refused(message('transfer.upload.reason.zip.too-deep', { name, depth: ZIP_LIMITS.depth - 1 }));
    case 'nested-too-large':
      return refused(
        message('transfer.upload.reason.zip.nested-too-large', {
          name,
          limit: `${ZIP_LIMITS.nestedZipBytes / MB} MB`,
        }),
      );
    case 'unsupported':
      return refused(message('transfer.upload.reason.zip.unsupported', { name }));
    case 'damaged':
      return found.path.length === 0
        ? refused(
            message('transfer.upload.reason.zip.damaged', { extension: file.extension.toUpperCase() }),
            message('transfer.upload.what-to-do.zip.damaged'),
          )
        : refused(message('transfer.upload.reason.zip.damaged-inside', { name }));
  }
}

/** True when checking this kind of file means parsing all of it (worth a worker thread). */
export function parsesContent(file: ClassifiedFilename): boolean {
  return file.kind === 'ctf' || file.kind === 'census' || file.kind === 'admissions';
}

/** Checks a file's content in this thread. */
export async function checkContent(file: ClassifiedFilename, data: Buffer): Promise<ContentCheck> {
  switch (file.kind) {
    case 'ctf':
      return checkCtf(file, data);
    case 'census':
      return checkCensus(file, data);
    case 'admissions':
      return checkAdmissions(data);
    case 'generic':
    case 'other':
      return checkFileType(file, data);
  }
}

/** Checks every file in this thread (no workers): what the upload service does unless given others. */
export const inlineContentChecks: ContentChecker = {
  handOver: async (file, data) => ({ check: await checkContent(file, data), data }),
};
