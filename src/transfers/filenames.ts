// The names of files moved through s2s: who sends a file, who receives it and what kind of file it is are
// all read from its name (schools handbook §8 and §9; LA notes §1.6, §5 and Appendix 2). Pure domain
// rules: no HTTP, no database. Whether the parties exist is checked separately (routing.ts).
//
// The forms accepted (letters in codes, type codes and extensions in any case):
//   CTF          SOURCE_CTF_DESTINATION_NNN.XML   source: school or LA (LEALLLL); destination: school, LA,
//                                                 XXXXXXXX / XXXXXXX (destination unknown) or
//                                                 MMMMMMMM / MMMMMMM (left the maintained sector)
//   census       LEASSSS_ASC|SC1|SC2|SC3_LEALLyy_NNN.XML   from a school to its own LA for census year yy
//   admissions   SOURCE_ATF_DESTINATION_NNN.XML (and APT, ADT, AOT, ASL, ALT) between schools, LAs and LA
//                admissions inboxes (LEAADMS); NNN may also be yyNNN
//   other        SOURCE_KS1_DESTINATION_NNN.ext   any other three letters or digits in place of CTF
//   generic      SOURCE_DESTINATION_DESCRIPTION.ext   a description of 1 to 15 letters, digits or _
//
// Decisions where the handbooks are silent or disagree (each is also noted where it is applied):
// - Appendix 2 of the LA notes lists the LA-to-school CTF as `333LLLL_CTF1112222_NNN.XML`, with no
//   underscore after CTF. Every other CTF row of that table, the schools handbook and the file names in
//   both handbooks' screenshots have the underscore, so it is read as a typing error: such a name is
//   refused with the corrected name, never accepted as a second spelling of the same route. Accepting it
//   would give one route two names, in reports and in the CTF reader's check of name against contents.
// - `NNN` is exactly 3 digits for CTFs, census and other typed files (every example in both handbooks);
//   admissions files may also use 5 (the 2-digit year and 3 digits, as MIS software names them today,
//   e.g. 999LLLL_ADT_1114999_26001.XML).
// - A renamed file (schools handbook §8: "any three letters or numbers can be used in place of CTF",
//   e.g. 9165402_KS1_916LLLL_005.XLS) is kind 'other': it is not a CTF (s2s never reads its contents,
//   it cannot go to the lost pupils database) and it may have any safe extension. The name follows the
//   "Generic / Other file movements" report. ASC, SC1-3 and the admissions codes are reserved for
//   their own kinds, so they cannot be used as free type codes.
// - Generic and other typed files: the schools handbook allows "any safe filetype", the later LA notes
//   say .zip. The extension must be one of the safe types of file-types.ts (ALLOWED_EXTENSIONS, which
//   the upload also checks against the content), so the name and the content are judged by one list.
// - LEAPLAS / LEAADMS (LA notes §1.6) are written with the LA's number, like 916PLAS and 916ADMS. They
//   can send and receive generic and other typed files; LEAADMS also admissions files. CTFs go to and
//   come from the LA as LEALLLL, and census files go to LEALLyy (which the LA PLASC role collects).
// - Files from one LA to another (LEALLLL to LEALLLL) are accepted: LAs forward CTFs for pupils who have
//   moved to another authority (LA notes §5). Admissions files never go from one school to another.
// - A census file goes to the school's own LA (the agent of the collection): its LEALLyy must start
//   with the first 3 digits of the school's number.
// - Names are produced by software, so nothing is tidied up: spaces (inside or around the name), folder
//   paths, control characters and anything outside A-Z, 0-9, _ and the one dot are refused with a reason.
import { isEstablishmentNumber } from '../directory/numbers.ts';
import { ALLOWED_EXTENSIONS } from './file-types.ts';

export type Party =
  | { kind: 'school'; establishmentNumber: string; laNumber: string }
  | { kind: 'la'; laNumber: string } // LEALLLL
  | { kind: 'la-inbox'; laNumber: string; inbox: 'PLAS' | 'ADMS' } // LEAPLAS / LEAADMS
  | { kind: 'lost-pupils'; reason: 'destination-unknown' | 'left-maintained-sector' }; // XXXXXXXX / MMMMMMMM

/**
 * 'other' is a file renamed with any other three letters or digits in place of CTF (handbook §8, like
 * 9165402_KS1_916LLLL_005.XLS): it is carried like a generic file and never read as a CTF.
 */
export type FileKind = 'ctf' | 'census' | 'generic' | 'admissions' | 'other';

export interface ClassifiedFilename {
  name: string;
  kind: FileKind;
  /** 'CTF', 'KS1', 'ASC', 'SC1', 'ATF'... upper-cased; null for generic files. */
  typeCode: string | null;
  source: Party;
  destination: Party;
  /** NUM / NNN: 3 digits (admissions files may also have 5); null for generic files. */
  sequence: string | null;
  /** Generic files' DESC (1-15 letters, digits and _), as written; null for other kinds. */
  description: string | null;
  /** yy of LEALLyy for census files; null for other kinds. */
  censusYear: string | null;
  /** Upper-cased, without the dot. */
  extension: string;
}

export type FilenameResult = { ok: true; file: ClassifiedFilename } | { ok: false; problems: string[] };

export const CTF_TYPE_CODE = 'CTF';
/** ASC = PLASC (the annual census); SC1, SC2, SC3 = the termly School Censuses (handbook §8 B). */
export const CENSUS_TYPE_CODES: readonly string[] = ['ASC', 'SC1', 'SC2', 'SC3'];
/**
 * The co-ordinated admissions files: ATF (Admissions Transfer File, LA to school) and the admissions
 * message files APT, ADT, AOT, ASL and ALT exchanged between LAs and own-admission-authority schools.
 */
export const ADMISSIONS_TYPE_CODES: readonly string[] = ['ATF', 'APT', 'ADT', 'AOT', 'ASL', 'ALT'];
export const MAX_DESCRIPTION_LENGTH = 15;
/** Far longer than any valid name (37 characters at most): a sanity limit, not a rule of the handbook. */
export const MAX_NAME_LENGTH = 100;

const ALLOWED = 'only the letters A to Z, the digits 0 to 9, _ and one dot before the extension can be used';

// ---------------------------------------------------------------------------------------------------
// Codes: the source and destination parts of a name

type Code =
  | { type: 'party'; party: Party }
  /** LEALLyy: only ever the destination of a census file. */
  | { type: 'census'; laNumber: string; year: string }
  | { type: 'invalid'; hint: string | null };

function readCode(token: string): Code {
  if (isEstablishmentNumber(token)) {
    return {
      type: 'party',
      party: { kind: 'school', establishmentNumber: token, laNumber: token.slice(0, 3) },
    };
  }
  let m = /^(\d{3})LLLL$/i.exec(token);
  if (m?.[1]) return { type: 'party', party: { kind: 'la', laNumber: m[1] } };
  m = /^(\d{3})(PLAS|ADMS)$/i.exec(token);
  if (m?.[1] && m[2]) {
    const inbox = m[2].toUpperCase() === 'PLAS' ? 'PLAS' : 'ADMS';
    return { type: 'party', party: { kind: 'la-inbox', laNumber: m[1], inbox } };
  }
  if (/^X{7,8}$/i.test(token)) {
    return { type: 'party', party: { kind: 'lost-pupils', reason: 'destination-unknown' } };
  }
  if (/^M{7,8}$/i.test(token)) {
    return { type: 'party', party: { kind: 'lost-pupils', reason: 'left-maintained-sector' } };
  }
  m = /^(\d{3})LL([A-Z0-9]{2})$/i.exec(token);
  if (m?.[1] && m[2]) return { type: 'census', laNumber: m[1], year: m[2] };
  return { type: 'invalid', hint: hintFor(token) };
}

/** A nudge for the near misses people make when typing a code by hand. */
function hintFor(token: string): string | null {
  const la = /^(\d{3})L+$/i.exec(token)?.[1];
  if (la) return `an LA is written as its 3-digit number followed by four Ls, like ${la}LLLL`;
  if (/^X+$/i.test(token)) return 'an unknown destination is written as eight Xs: XXXXXXXX';
  if (/^M+$/i.test(token))
    return 'a destination outside the maintained sector is written as eight Ms: MMMMMMMM';
  if (/^[0-9O]{7}$/i.test(token) && /O/i.test(token))
    return 'it has the letter O where the digit 0 should be';
  return null;
}

/** The code written in a file name for a party (lost pupils in their 8-character form). */
export function partyCode(party: Party): string {
  switch (party.kind) {
    case 'school':
      return party.establishmentNumber;
    case 'la':
      return `${party.laNumber}LLLL`;
    case 'la-inbox':
      return `${party.laNumber}${party.inbox}`;
    case 'lost-pupils':
      return party.reason === 'destination-unknown' ? 'XXXXXXXX' : 'MMMMMMMM';
  }
}

/** A party in words, for messages and listings: "school 9165402", "LA 916"... */
export function describeParty(party: Party): string {
  switch (party.kind) {
    case 'school':
      return `school ${party.establishmentNumber}`;
    case 'la':
      return `LA ${party.laNumber}`;
    case 'la-inbox':
      return `the ${party.inbox === 'PLAS' ? 'PLASC' : 'admissions'} inbox of LA ${party.laNumber} (${partyCode(party)})`;
    case 'lost-pupils':
      return party.reason === 'destination-unknown'
        ? 'the lost pupils database (destination unknown)'
        : 'the lost pupils database (left the maintained sector)';
  }
}

/** A file's classification in words: "CTF from school 9165402 to school 8171234, file number 003". */
export function describeFile(file: ClassifiedFilename): string {
  const route = `from ${describeParty(file.source)} to ${describeParty(file.destination)}`;
  switch (file.kind) {
    case 'ctf':
      return `CTF ${route}, file number ${file.sequence}`;
    case 'census': {
      const census = file.typeCode === 'ASC' ? 'PLASC' : 'School Census';
      return `${census} file (${file.typeCode}) ${route}, census year ${file.censusYear}, file number ${file.sequence}`;
    }
    case 'admissions':
      return `admissions file (${file.typeCode}) ${route}, file number ${file.sequence}`;
    case 'other':
      return `${file.typeCode} file (not a CTF) ${route}, file number ${file.sequence}, type .${file.extension}`;
    case 'generic':
      return `generic file ${route}, description ${file.description}, type .${file.extension}`;
  }
}

// ---------------------------------------------------------------------------------------------------
// Characters

function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A character for a message: shown itself only when it is visible. */
function showChar(ch: string): string {
  return /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(ch) ? `'${ch}' (${codePoint(ch)})` : codePoint(ch);
}

function isControl(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0;
  return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

function characterProblems(name: string): string[] {
  if (name.length === 0) return ['the file name is empty'];
  if (name.length > MAX_NAME_LENGTH) {
    return [
      `the file name is too long (${name.length} characters): s2s file names are at most 37 characters`,
    ];
  }
  const folder = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
  if (folder >= 0) {
    // Old browsers sent the whole path (H:\s2s downloads\681LLLL_CTF_...): name the part that matters.
    const file = name.slice(folder + 1);
    const safe = /^[A-Za-z0-9_.]{1,40}$/.test(file) ? ` (${file})` : '';
    return [`the file name contains a folder path (/ or \\): give the name of the file only${safe}`];
  }
  const problems: string[] = [];
  if (/^\p{Zs}/u.test(name)) problems.push('the file name starts with a space: remove it');
  if (/\p{Zs}$/u.test(name)) problems.push('the file name ends with a space: remove it');
  if (/[^\p{Zs}]\p{Zs}+[^\p{Zs}]/u.test(name)) problems.push('spaces are not allowed in file names');
  const control = new Set<string>();
  const lookalikes = new Set<string>();
  const punctuation = new Set<string>();
  for (const ch of name) {
    if (/^[A-Za-z0-9_.]$/.test(ch) || /^\p{Zs}$/u.test(ch)) continue;
    if (isControl(ch)) control.add(ch);
    else if ((ch.codePointAt(0) ?? 0) > 0x7f) lookalikes.add(ch);
    else punctuation.add(ch);
  }
  for (const ch of [...control].slice(0, 3)) {
    problems.push(`the file name contains an invisible control character (${codePoint(ch)})`);
  }
  for (const ch of [...lookalikes].slice(0, 5)) {
    if (/^\p{Nd}$/u.test(ch)) {
      problems.push(`${showChar(ch)} looks like a digit but is not one of 0 to 9: type the number again`);
    } else if (/^\p{L}$/u.test(ch)) {
      problems.push(`${showChar(ch)} is not one of the letters A to Z: type the name again`);
    } else {
      problems.push(`the file name contains ${showChar(ch)}: ${ALLOWED}`);
    }
  }
  if (punctuation.size > 0) {
    const listed = [...punctuation].map((ch) => `'${ch}'`).join(', ');
    problems.push(`the file name contains ${listed}: ${ALLOWED}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Kinds and the parties each may have

type TypedKind = Exclude<FileKind, 'generic'>;
type Role = 'source' | 'destination';

function kindOfTypeCode(code: string): TypedKind {
  if (code === CTF_TYPE_CODE) return 'ctf';
  if (CENSUS_TYPE_CODES.includes(code)) return 'census';
  if (ADMISSIONS_TYPE_CODES.includes(code)) return 'admissions';
  return 'other';
}

/** "a CTF", "an admissions file (ATF)": the file in a sentence. */
function fileWords(kind: FileKind, code: string | null): string {
  switch (kind) {
    case 'ctf':
      return 'a CTF';
    case 'census':
      return `a census file (${code})`;
    case 'admissions':
      return `an admissions file (${code})`;
    case 'other':
      return `a ${code} file`;
    case 'generic':
      return 'a generic file';
  }
}

/** What the source or destination of a kind of file may be, in the handbooks' words. */
function expectedCodes(kind: FileKind, role: Role): string {
  switch (kind) {
    case 'ctf':
      return role === 'source'
        ? 'a 7-digit DfE number or LEALLLL'
        : 'a 7-digit DfE number, LEALLLL, XXXXXXXX or MMMMMMMM';
    case 'census':
      return role === 'source' ? 'a 7-digit DfE number' : 'LEALLyy (like 916LL06)';
    case 'admissions':
      return 'a 7-digit DfE number, LEALLLL or LEAADMS';
    case 'other':
    case 'generic':
      return 'a 7-digit DfE number, LEALLLL, LEAPLAS or LEAADMS';
  }
}

/** Long tokens are cut short in messages. */
function shown(token: string): string {
  return token.length > 20 ? `${token.slice(0, 20)}...` : token;
}

function invalidCode(kind: FileKind, role: Role, token: string, hint: string | null): string {
  if (token === '') return `the ${role} is missing (there are two underscores together)`;
  const base = `the ${role} '${shown(token)}' is not ${expectedCodes(kind, role)}`;
  return hint ? `${base}: ${hint}` : base;
}

/**
 * The party behind a source or destination code, or why it cannot be one for this kind of file. Census
 * destinations are handled by the census rules; everywhere else LEALLyy is refused here.
 */
function partyFor(kind: FileKind, code: string | null, role: Role, token: string): Party | string {
  const read = readCode(token);
  const what = fileWords(kind, code);
  if (read.type === 'invalid') return invalidCode(kind, role, token, read.hint);
  if (read.type === 'census') {
    if (role === 'source')
      return `'${token}' is where census files are collected: it can only be a destination`;
    return `'${token}' is for census files only (ASC, SC1, SC2, SC3): send ${what} to the LA as ${read.laNumber}LLLL`;
  }
  const party = read.party;
  if (party.kind === 'lost-pupils') {
    if (role === 'source') {
      return `'${token}' (the lost pupils database) can only be a destination, never the source`;
    }
    if (kind !== 'ctf') return `only a CTF can go to the lost pupils database (${token}), not ${what}`;
    return party;
  }
  if (party.kind === 'la-inbox') {
    const inboxName = party.inbox === 'PLAS' ? 'PLASC' : 'admissions';
    const direction = role === 'source' ? 'come from' : 'go to';
    if (kind === 'ctf') {
      return `a CTF cannot ${direction} ${token} (the LA ${inboxName} inbox): use ${party.laNumber}LLLL for the LA`;
    }
    if (kind === 'admissions' && party.inbox === 'PLAS') {
      return `${what} cannot ${direction} ${token} (the LA PLASC inbox): use ${party.laNumber}ADMS for the LA admissions team`;
    }
  }
  return party;
}

function sameParty(a: Party, b: Party): boolean {
  return partyCode(a) === partyCode(b);
}

// ---------------------------------------------------------------------------------------------------
// The forms

const TYPE_CODE = /^[A-Za-z0-9]{3}$/;
const PARTY_SHAPED = /^(\d{7}|\d{3}LLLL|\d{3}PLAS|\d{3}ADMS|X{7,8}|M{7,8}|\d{3}LL[A-Z0-9]{2})$/i;

function looksLikeCode(token: string): boolean {
  return PARTY_SHAPED.test(token) || readCode(token).type !== 'invalid' || hintFor(token) !== null;
}

interface Extension {
  value: string;
  /** Why the extension itself is unusable (any kind), or null. */
  problem: string | null;
}

function readExtension(raw: string): Extension {
  const value = raw.toUpperCase();
  if (raw === '') {
    return {
      value,
      problem: 'the extension is missing after the dot: end the name with the file type, like .XML',
    };
  }
  if (!/^[A-Za-z0-9]+$/.test(raw)) {
    return { value, problem: `the extension '.${shown(raw)}' may only have letters and digits` };
  }
  return { value, problem: null };
}

function extensionProblemFor(kind: FileKind, code: string | null, ext: Extension): string | null {
  if (ext.problem) return ext.problem;
  if (kind === 'ctf' || kind === 'census' || kind === 'admissions') {
    return ext.value === 'XML' ? null : `${fileWords(kind, code)} must have the extension .XML`;
  }
  if (!ALLOWED_EXTENSIONS.includes(ext.value)) {
    const allowed = ALLOWED_EXTENSIONS.map((e) => `.${e}`).join(', ');
    return `files ending .${shown(ext.value)} cannot be sent: send ${allowed} files, or put the file in a .ZIP`;
  }
  return null;
}

function sequenceProblem(kind: TypedKind, sequence: string): string | null {
  if (sequence === '') return 'the file number is missing after the last _';
  if (kind === 'admissions') {
    return /^(\d{3}|\d{5})$/.test(sequence)
      ? null
      : `the file number '${shown(sequence)}' must be 3 digits, like 001, or 5 (the year and 3 digits), like 26001`;
  }
  return /^\d{3}$/.test(sequence) ? null : `the file number '${shown(sequence)}' must be 3 digits, like 001`;
}

/** SOURCE_TYPE_DESTINATION_NNN.ext: CTF, census, admissions and other typed files. */
function classifyTyped(name: string, parts: string[], ext: Extension): FilenameResult {
  const [sourceToken = '', rawCode = '', destinationToken = '', sequence, ...extra] = parts;
  const code = rawCode.toUpperCase();
  const kind = kindOfTypeCode(code);
  const problems: string[] = [];

  const source = partyFor(kind, code, 'source', sourceToken);
  if (typeof source === 'string') problems.push(source);

  let destination: Party | string;
  let censusYear: string | null = null;
  if (kind === 'census') {
    const read = readCode(destinationToken);
    const laExample =
      typeof source === 'string' ? (/^\d{3}/.exec(sourceToken)?.[0] ?? '916') : partyLaNumber(source);
    if (read.type === 'census') {
      destination = { kind: 'la', laNumber: read.laNumber };
      censusYear = read.year;
      if (!/^\d\d$/.test(read.year))
        problems.push(`the census year '${read.year}' must be two digits, like 06`);
      else if (typeof source !== 'string' && source.kind === 'school' && source.laNumber !== read.laNumber) {
        problems.push(
          `a census file goes to the school's own LA: the destination should be ${source.laNumber}LL${read.year}, not ${destinationToken}`,
        );
      }
    } else if (read.type === 'invalid' && destinationToken === '') {
      destination = invalidCode(kind, 'destination', destinationToken, null);
    } else {
      destination = `${fileWords(kind, code)} must go to the LA as LEALLyy (the LA number, LL and the 2-digit census year), like ${laExample}LL06`;
    }
    if (typeof source !== 'string' && source.kind !== 'school') {
      problems.push(
        `a census file must come from a school: the source must be the school's 7-digit DfE number, not ${sourceToken}`,
      );
    }
  } else {
    destination = partyFor(kind, code, 'destination', destinationToken);
  }
  if (typeof destination === 'string') problems.push(destination);

  if (
    kind === 'admissions' &&
    typeof source !== 'string' &&
    typeof destination !== 'string' &&
    source.kind === 'school' &&
    destination.kind === 'school'
  ) {
    problems.push(
      'an admissions file goes between a school and an LA, or between LAs: not from one school to another',
    );
  }
  // (A census file's source is a school and its destination an LA: never the same.)
  if (
    kind !== 'census' &&
    typeof source !== 'string' &&
    typeof destination !== 'string' &&
    sameParty(source, destination)
  ) {
    problems.push('the source and destination are the same');
  }

  if (sequence === undefined) {
    const example = `${parts.join('_')}_001.${ext.value || 'XML'}`;
    problems.push(
      `the file number is missing: after the destination put _ and a 3-digit number, like ${example}`,
    );
  } else {
    const problem = sequenceProblem(kind, sequence);
    if (problem) problems.push(problem);
  }
  if (extra.length > 0) {
    const example = `${sourceToken}_${code}_${destinationToken}_${sequence}.${ext.value || 'XML'}`;
    problems.push(
      `the name has too many parts: after the file number comes the dot and the extension, like ${example}`,
    );
  }
  const extensionProblem = extensionProblemFor(kind, code, ext);
  if (extensionProblem) problems.push(extensionProblem);

  if (problems.length > 0 || typeof source === 'string' || typeof destination === 'string') {
    return { ok: false, problems };
  }
  return {
    ok: true,
    file: {
      name,
      kind,
      typeCode: code,
      source,
      destination,
      sequence: sequence ?? null,
      description: null,
      censusYear,
      extension: ext.value,
    },
  };
}

function partyLaNumber(party: Party): string {
  return party.kind === 'lost-pupils' ? '916' : party.laNumber;
}

/** SOURCE_DESTINATION_DESCRIPTION.ext */
function classifyGeneric(name: string, parts: string[], ext: Extension): FilenameResult {
  const [sourceToken = '', destinationToken = '', ...rest] = parts;
  const description = rest.join('_');
  const problems: string[] = [];
  const source = partyFor('generic', null, 'source', sourceToken);
  if (typeof source === 'string') problems.push(source);
  const destination = partyFor('generic', null, 'destination', destinationToken);
  if (typeof destination === 'string') problems.push(destination);
  if (typeof source !== 'string' && typeof destination !== 'string' && sameParty(source, destination)) {
    problems.push('the source and destination are the same');
  }
  if (rest.length === 0 || description === '') {
    problems.push(
      `the description is missing: after the destination put _ and up to ${MAX_DESCRIPTION_LENGTH} letters, digits or _, like ${sourceToken}_${destinationToken}_SENLIST.${ext.value || 'ZIP'}`,
    );
  } else if (description.length > MAX_DESCRIPTION_LENGTH) {
    problems.push(
      `the description is longer than ${MAX_DESCRIPTION_LENGTH} characters (it has ${description.length})`,
    );
  }
  const extensionProblem = extensionProblemFor('generic', null, ext);
  if (extensionProblem) problems.push(extensionProblem);
  if (problems.length > 0 || typeof source === 'string' || typeof destination === 'string') {
    return { ok: false, problems };
  }
  return {
    ok: true,
    file: {
      name,
      kind: 'generic',
      typeCode: null,
      source,
      destination,
      sequence: null,
      description,
      censusYear: null,
      extension: ext.value,
    },
  };
}

/** A name is shown (pages, emails, the audit) this long at most. */
const MAX_SHOWN_NAME = 120;

/**
 * A file name as the sender gave it, made safe to show on a page, in an email or the audit: each
 * invisible character -- controls (NUL, CR, LF, escape), format characters (a right-to-left override
 * that would show "..exe.XML" for "..LMX.exe", zero-width spaces) and line separators -- becomes U+FFFD,
 * and a long name is cut at 120 characters.
 */
export function printableFilename(name: string): string {
  const characters = [...name.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '\uFFFD')];
  return characters.length > MAX_SHOWN_NAME
    ? `${characters.slice(0, MAX_SHOWN_NAME).join('')}...`
    : characters.join('');
}

/**
 * Reads a file name: its kind, source, destination and numbers, or every reason it cannot be used, each
 * written for a school office user. Never throws.
 */
export function classifyFilename(name: string): FilenameResult {
  if (typeof name !== 'string') return { ok: false, problems: ['the file name is empty'] };
  const characters = characterProblems(name);
  if (characters.length > 0) return { ok: false, problems: characters };

  const pieces = name.split('.');
  if (pieces.length === 1) {
    return {
      ok: false,
      problems: [
        'the file name has no extension: it must end with a dot and the file type, like .XML or .ZIP',
      ],
    };
  }
  if (pieces.length > 2) {
    return {
      ok: false,
      problems: [
        `the file name has ${pieces.length - 1} dots: only one is allowed, just before the extension (like .XML)`,
      ],
    };
  }
  const [base = '', rawExtension = ''] = pieces;
  const ext = readExtension(rawExtension);
  if (base === '') return { ok: false, problems: ['the file name has nothing before the dot'] };

  const parts = base.split('_');
  const [first = '', second] = parts;
  if (second === undefined) {
    return {
      ok: false,
      problems: [
        'the file name must be in parts joined by _, like 9165402_CTF_8171234_003.XML (a CTF) or 9165402_916LLLL_SENLIST.ZIP (a generic file)',
      ],
    };
  }
  if (first === '')
    return { ok: false, problems: ['the file name starts with _: it must start with the source'] };

  if (TYPE_CODE.test(second)) return classifyTyped(name, parts, ext);
  if (looksLikeCode(second) || second === '') return classifyGeneric(name, parts, ext);

  // Appendix 2's LA-to-school row, 333LLLL_CTF1112222_NNN.XML: refused with the corrected name (see the top).
  const joined = /^([A-Za-z0-9]{3})([A-Za-z0-9]{7,8})$/.exec(second);
  if (joined?.[1] && joined[2] && looksLikeCode(joined[2])) {
    const fixed = [first, joined[1], joined[2], ...parts.slice(2)].join('_');
    return {
      ok: false,
      problems: [
        `put an underscore between ${joined[1]} and ${joined[2]}: ${fixed}${rawExtension ? `.${rawExtension}` : ''}`,
      ],
    };
  }
  // A type code of the wrong length, the destination in its place after it: SOURCE_CTFX_DEST_NNN.XML.
  const third = parts[2];
  if (third !== undefined && looksLikeCode(third)) {
    const problems = [`the type '${shown(second)}' must be 3 letters or digits, like CTF`];
    const source = partyFor('other', null, 'source', first);
    if (typeof source === 'string') problems.push(source);
    return { ok: false, problems };
  }
  return classifyGeneric(name, parts, ext);
}
