// What an uploaded file holds (step 6 of upload-service.ts): CTFs through the CTF reader, census returns
// through the census reader, admissions files through the hardened XML reader, other files by the look of
// their first bytes. Domain code: no HTTP, no database, nothing but the file's name and bytes, so the
// parsing can run on a worker thread (./content-check-worker.ts) as well as here.
import { compareFilenameWithHeader } from '../collect/census-filename.ts';
import { CensusFormatError, readCensusReturn } from '../collect/census-reader.ts';
import { checkCtfAgainstFilename, readCtf } from '../ctf/reader.ts';
import type { IncomingPupil } from '../lost-pupils/matching.ts';
import { readXml, XmlError } from '../platform/xml/reader.ts';
import { fileTypeProblem } from './file-types.ts';
import type { ClassifiedFilename } from './filenames.ts';
import type { NewTransferPupil } from './repository.ts';

/** Bytes of a generic file's start compared with its extension. */
const SNIFF_BYTES = 4096;
/** Warnings listed on a confirmation at most; the rest are counted. */
const MAX_WARNINGS = 50;

export interface ContentCheck {
  reasons: string[];
  warnings: string[];
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

/** Checks a file's content: in this thread, or handed to worker threads (see deps.ts). */
export interface ContentChecker {
  check(file: ClassifiedFilename, data: Buffer): Promise<ContentCheck>;
}

/** A reason as a sentence: capital first letter, full stop at the end. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function fitOrNull(value: string | null, max: number): string | null {
  return value !== null && Array.from(value).length <= max ? value : null;
}

function cut(value: string | null, max: number): string | null {
  return value === null ? null : Array.from(value).slice(0, max).join('');
}

function refusedContent(...reasons: string[]): ContentCheck {
  return { reasons, warnings: [], pupils: [], pupilCount: 0 };
}

function unreadable(error: unknown, what: string): ContentCheck {
  if (error instanceof XmlError) return refusedContent(`${what}: ${sentence(error.message)}`);
  throw error;
}

async function checkCtf(file: ClassifiedFilename, data: Buffer): Promise<ContentCheck> {
  let doc: Awaited<ReturnType<typeof readCtf>>;
  try {
    doc = await readCtf(data);
  } catch (error) {
    return unreadable(error, 'The file cannot be read as a CTF');
  }
  const findings = [...doc.findings, ...checkCtfAgainstFilename(doc, file)];
  const reasons = findings.filter((f) => f.severity === 'error').map((f) => f.message);
  const allWarnings = findings.filter((f) => f.severity === 'warning').map((f) => f.message);
  const warnings = allWarnings.slice(0, MAX_WARNINGS);
  const more = allWarnings.length - warnings.length + doc.findingsOmitted;
  if (more > 0) warnings.push(`And ${more} more warning${more === 1 ? '' : 's'}.`);
  const pupils: NewTransferPupil[] = doc.pupils.map((p) => ({
    // Identifiers that do not fit their column are not cut short (a wrong UPN is worse than none):
    // the warnings already say what is wrong with them, and the file itself keeps them.
    upn: fitOrNull(p.upn, 13),
    former_upn: fitOrNull(p.formerUpn, 13),
    surname: cut(p.surname, 100),
    former_surname: cut(p.formerSurname, 100),
    forename: cut(p.forename, 100),
    middle_names: cut(p.middleNames, 100),
    date_of_birth: fitOrNull(p.dob, 10),
    sex: fitOrNull(p.sex, 1),
  }));
  return {
    reasons,
    warnings,
    pupils,
    pupilCount: doc.pupilCount,
    firstPupilTown: cut(doc.pupils[0]?.town ?? null, 100),
  };
}

async function checkCensus(file: ClassifiedFilename, data: Buffer): Promise<ContentCheck> {
  let census: Awaited<ReturnType<typeof readCensusReturn>>;
  try {
    census = await readCensusReturn(data);
  } catch (error) {
    if (error instanceof CensusFormatError) return refusedContent(error.message);
    return unreadable(error, 'The file cannot be read as a census return');
  }
  const { header } = census;
  const reasons: string[] = [];
  if (header.laNumber === null || header.establishment === null) {
    reasons.push(
      "The return's header does not say which school it is from (<Source> needs <LEA> and <Estab>). Make the return again in your MIS.",
    );
  }
  for (const mismatch of compareFilenameWithHeader(file.name, header).mismatches) {
    reasons.push(`The file name and the return do not agree: ${mismatch}.`);
  }
  const pupilCount = census.pupilsOnRoll.length + census.pupilsNoLongerOnRoll.length;
  // Pupils on roll are where they are now: the ones a lost pupil may turn up as.
  const censusPupils = census.pupilsOnRoll.map((p) => ({
    upn: p.upn,
    formerUpn: p.formerUpn,
    surname: p.surname,
    forename: p.forename,
    dateOfBirth: p.dob,
  }));
  return { reasons, warnings: [], pupils: [], pupilCount, censusPupils };
}

async function checkAdmissions(data: Buffer): Promise<ContentCheck> {
  try {
    await readXml(data, {});
  } catch (error) {
    return unreadable(error, 'The file cannot be read as an admissions file');
  }
  return { reasons: [], warnings: [], pupils: [], pupilCount: 0 };
}

function checkFileType(file: ClassifiedFilename, data: Buffer): ContentCheck {
  const problem = fileTypeProblem(file.extension, data.subarray(0, SNIFF_BYTES));
  return problem
    ? refusedContent(sentence(problem))
    : { reasons: [], warnings: [], pupils: [], pupilCount: 0 };
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
export const inlineContentChecks: ContentChecker = { check: checkContent };
