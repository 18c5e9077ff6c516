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
// - `NNN` is exactly 3 digits for CTFs, census and other typed files (as in every example of both
//   handbooks but one: the LA notes' renamed upload in §4.2, "681LLLL_CTF_6812049.xml", has none, and
//   such a name is refused: the sequence number is what keeps a school's files of one route apart);
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
//
// Each problem is a message of the catalogue (`transfer.filename.*`), so pages and emails give it in the
// reader's language; the result also carries its English, for the CLI, the REST API and the audit log.
import { isEstablishmentNumber } from '../directory/numbers.ts';
import { type Message, message, translateMessage } from '../platform/i18n/catalogue.ts';
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

export type FilenameResult =
  | { ok: true; file: ClassifiedFilename }
  | {
      ok: false;
      /** In English: for the CLI, the REST API and the audit log. */
      problems: string[];
      /** The same problems as messages, for pages and emails in the reader's language (clauses, like the English). */
      messages: Message[];
    };

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

/** Why a name is refused: its problems, in English and as messages. */
function refused(messages: Message[]): FilenameResult {
  return { ok: false, problems: messages.map((problem) => translateMessage('en', problem)), messages };
}

// ---------------------------------------------------------------------------------------------------
// Codes: the source and destination parts of a name

type Code =
  | { type: 'party'; party: Party }
  /** LEALLyy: only ever the destination of a census file. */
  | { type: 'census'; laNumber: string; year: string }
  | { type: 'invalid'; hint: Message | null };

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
function hintFor(token: string): Message | null {
  const la = /^(\d{3})L+$/i.exec(token)?.[1];
  if (la) return message('transfer.filename.hint.la', { example: `${la}LLLL` });
  if (/^X+$/i.test(token)) return message('transfer.filename.hint.unknown');
  if (/^M+$/i.test(token)) return message('transfer.filename.hint.left');
  if (/^[0-9O]{7}$/i.test(token) && /O/i.test(token)) return message('transfer.filename.hint.letter-o');
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

/** A party in words, in the reader's language: "school 9165402", "LA 916"... */
export function partyWords(party: Party): Message {
  switch (party.kind) {
    case 'school':
      return message('transfer.party.school', { number: party.establishmentNumber });
    case 'la':
      return message('transfer.party.la', { number: party.laNumber });
    case 'la-inbox':
      return message(
        party.inbox === 'PLAS' ? 'transfer.party.plasc-inbox' : 'transfer.party.admissions-inbox',
        { number: party.laNumber, code: partyCode(party) },
      );
    case 'lost-pupils':
      return message(
        party.reason === 'destination-unknown'
          ? 'transfer.party.lost-pupils.unknown'
          : 'transfer.party.lost-pupils.left',
      );
  }
}

/**
 * A file's classification in words, in the reader's language: "CTF from school 9165402 to school 8171234,
 * file number 003".
 */
export function fileDescription(file: ClassifiedFilename): Message {
  const route = { source: partyWords(file.source), destination: partyWords(file.destination) };
  // The name's parts are null only for kinds whose words do not name them (a generic file has no number).
  const number = file.sequence ?? '';
  switch (file.kind) {
    case 'ctf':
      return message('transfer.file-description.ctf', { ...route, number });
    case 'census':
      return message(
        file.typeCode === 'ASC'
          ? 'transfer.file-description.plasc'
          : 'transfer.file-description.school-census',
        { ...route, type: file.typeCode ?? '', year: file.censusYear ?? '', number },
      );
    case 'admissions':
      return message('transfer.file-description.admissions', {
        ...route,
        type: file.typeCode ?? '',
        number,
      });
    case 'other':
      return message('transfer.file-description.other', {
        ...route,
        type: file.typeCode ?? '',
        number,
        extension: file.extension,
      });
    case 'generic':
      return message('transfer.file-description.generic', {
        ...route,
        description: file.description ?? '',
        extension: file.extension,
      });
  }
}

/** A file's classification in English words, for the command line. */
export function describeFile(file: ClassifiedFilename): string {
  return translateMessage('en', fileDescription(file));
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

function characterProblems(name: string): Message[] {
  if (name.length === 0) return [message('transfer.filename.empty')];
  if (name.length > MAX_NAME_LENGTH) {
    return [message('transfer.filename.too-long', { length: name.length })];
  }
  const folder = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
  if (folder >= 0) {
    // Old browsers sent the whole path (H:\s2s downloads\681LLLL_CTF_...): name the part that matters.
    const file = name.slice(folder + 1);
    return [
      /^[A-Za-z0-9_.]{1,40}$/.test(file)
        ? message('transfer.filename.folder-named', { file })
        : message('transfer.filename.folder'),
    ];
  }
  const problems: Message[] = [];
  if (/^\p{Zs}/u.test(name)) problems.push(message('transfer.filename.leading-space'));
  if (/\p{Zs}$/u.test(name)) problems.push(message('transfer.filename.trailing-space'));
  if (/[^\p{Zs}]\p{Zs}+[^\p{Zs}]/u.test(name)) problems.push(message('transfer.filename.spaces'));
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
    problems.push(message('transfer.filename.control', { code: codePoint(ch) }));
  }
  for (const ch of [...lookalikes].slice(0, 5)) {
    if (/^\p{Nd}$/u.test(ch)) {
      problems.push(message('transfer.filename.not-digit', { char: showChar(ch) }));
    } else if (/^\p{L}$/u.test(ch)) {
      problems.push(message('transfer.filename.not-letter', { char: showChar(ch) }));
    } else {
      problems.push(message('transfer.filename.not-allowed', { chars: showChar(ch) }));
    }
  }
  if (punctuation.size > 0) {
    const listed = [...punctuation].map((ch) => `'${ch}'`).join(', ');
    problems.push(message('transfer.filename.not-allowed', { chars: listed }));
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
function fileWords(kind: FileKind, code: string | null): Message {
  switch (kind) {
    case 'ctf':
      return message('transfer.kind.ctf');
    case 'census':
      return message('transfer.filename.census-file', { code: code ?? '' });
    case 'admissions':
      return message('transfer.kind.admissions', { code: code ?? '' });
    case 'other':
      return message('transfer.kind.other', { code: code ?? '' });
    case 'generic':
      return message('transfer.kind.generic');
  }
}

/** What the source or destination of a kind of file may be, in the handbooks' words. */
function expectedCodes(kind: FileKind, role: Role): Message {
  switch (kind) {
    case 'ctf':
      return message(
        role === 'source'
          ? 'transfer.filename.expected.ctf-source'
          : 'transfer.filename.expected.ctf-destination',
      );
    case 'census':
      return message(
        role === 'source'
          ? 'transfer.filename.expected.census-source'
          : 'transfer.filename.expected.census-destination',
      );
    case 'admissions':
      return message('transfer.filename.expected.admissions');
    case 'other':
    case 'generic':
      return message('transfer.filename.expected.other');
  }
}

/** Long tokens are cut short in messages. */
function shown(token: string): string {
  return token.length > 20 ? `${token.slice(0, 20)}...` : token;
}

function invalidCode(kind: FileKind, role: Role, token: string, hint: Message | null): Message {
  if (token === '') {
    return message(
      role === 'source' ? 'transfer.filename.missing.source' : 'transfer.filename.missing.destination',
    );
  }
  const problem = message(
    role === 'source' ? 'transfer.filename.not-code.source' : 'transfer.filename.not-code.destination',
    { token: shown(token), expected: expectedCodes(kind, role) },
  );
  return hint ? message('transfer.filename.with-hint', { problem, hint }) : problem;
}

/** The LA inboxes' problems: [kind][inbox][role]. */
const INBOX_PROBLEMS = {
  ctf: {
    PLAS: {
      source: 'transfer.filename.inbox.ctf-from-plasc',
      destination: 'transfer.filename.inbox.ctf-to-plasc',
    },
    ADMS: {
      source: 'transfer.filename.inbox.ctf-from-admissions',
      destination: 'transfer.filename.inbox.ctf-to-admissions',
    },
  },
  admissions: {
    PLAS: {
      source: 'transfer.filename.inbox.admissions-from-plasc',
      destination: 'transfer.filename.inbox.admissions-to-plasc',
    },
  },
} as const;

function isProblem(value: Party | Message): value is Message {
  return 'key' in value;
}

/**
 * The party behind a source or destination code, or why it cannot be one for this kind of file. Census
 * destinations are handled by the census rules; everywhere else LEALLyy is refused here.
 */
function partyFor(kind: FileKind, code: string | null, role: Role, token: string): Party | Message {
  const read = readCode(token);
  const what = fileWords(kind, code);
  if (read.type === 'invalid') return invalidCode(kind, role, token, read.hint);
  if (read.type === 'census') {
    if (role === 'source') return message('transfer.filename.census-code.source', { token });
    return message('transfer.filename.census-code.destination', {
      token,
      what,
      code: `${read.laNumber}LLLL`,
    });
  }
  const party = read.party;
  if (party.kind === 'lost-pupils') {
    if (role === 'source') return message('transfer.filename.lost-pupils.source', { token });
    if (kind !== 'ctf') return message('transfer.filename.lost-pupils.not-ctf', { token, what });
    return party;
  }
  if (party.kind === 'la-inbox') {
    if (kind === 'ctf') {
      return message(INBOX_PROBLEMS.ctf[party.inbox][role], { token, code: `${party.laNumber}LLLL` });
    }
    if (kind === 'admissions' && party.inbox === 'PLAS') {
      return message(INBOX_PROBLEMS.admissions.PLAS[role], {
        token,
        what,
        code: `${party.laNumber}ADMS`,
      });
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
  problem: Message | null;
}

function readExtension(raw: string): Extension {
  const value = raw.toUpperCase();
  if (raw === '') return { value, problem: message('transfer.filename.extension.missing') };
  if (!/^[A-Za-z0-9]+$/.test(raw)) {
    return { value, problem: message('transfer.filename.extension.characters', { extension: shown(raw) }) };
  }
  return { value, problem: null };
}

function extensionProblemFor(kind: FileKind, code: string | null, ext: Extension): Message | null {
  if (ext.problem) return ext.problem;
  if (kind === 'ctf' || kind === 'census' || kind === 'admissions') {
    return ext.value === 'XML'
      ? null
      : message('transfer.filename.extension.xml', { what: fileWords(kind, code) });
  }
  if (!ALLOWED_EXTENSIONS.includes(ext.value)) {
    return message('transfer.filename.extension.not-allowed', {
      extension: shown(ext.value),
      allowed: ALLOWED_EXTENSIONS.map((e) => `.${e}`).join(', '),
    });
  }
  return null;
}

function sequenceProblem(kind: TypedKind, sequence: string): Message | null {
  if (sequence === '') return message('transfer.filename.sequence.empty');
  if (kind === 'admissions') {
    return /^(\d{3}|\d{5})$/.test(sequence)
      ? null
      : message('transfer.filename.sequence.admissions', { sequence: shown(sequence) });
  }
  return /^\d{3}$/.test(sequence)
    ? null
    : message('transfer.filename.sequence.digits', { sequence: shown(sequence) });
}

/** SOURCE_TYPE_DESTINATION_NNN.ext: CTF, census, admissions and other typed files. */
function classifyTyped(name: string, parts: string[], ext: Extension): FilenameResult {
  const [sourceToken = '', rawCode = '', destinationToken = '', sequence, ...extra] = parts;
  const code = rawCode.toUpperCase();
  const kind = kindOfTypeCode(code);
  const problems: Message[] = [];

  const source = partyFor(kind, code, 'source', sourceToken);
  if (isProblem(source)) problems.push(source);

  let destination: Party | Message;
  let censusYear: string | null = null;
  if (kind === 'census') {
    const read = readCode(destinationToken);
    const laExample = isProblem(source) ? (/^\d{3}/.exec(sourceToken)?.[0] ?? '916') : partyLaNumber(source);
    if (read.type === 'census') {
      destination = { kind: 'la', laNumber: read.laNumber };
      censusYear = read.year;
      if (!/^\d\d$/.test(read.year)) {
        problems.push(message('transfer.filename.census.year', { year: read.year }));
      } else if (!isProblem(source) && source.kind === 'school' && source.laNumber !== read.laNumber) {
        problems.push(
          message('transfer.filename.census.own-la', {
            expected: `${source.laNumber}LL${read.year}`,
            token: destinationToken,
          }),
        );
      }
    } else if (read.type === 'invalid' && destinationToken === '') {
      destination = invalidCode(kind, 'destination', destinationToken, null);
    } else {
      destination = message('transfer.filename.census.destination', {
        what: fileWords(kind, code),
        example: `${laExample}LL06`,
      });
    }
    if (!isProblem(source) && source.kind !== 'school') {
      problems.push(message('transfer.filename.census.from-school', { token: sourceToken }));
    }
  } else {
    destination = partyFor(kind, code, 'destination', destinationToken);
  }
  if (isProblem(destination)) problems.push(destination);

  if (
    kind === 'admissions' &&
    !isProblem(source) &&
    !isProblem(destination) &&
    source.kind === 'school' &&
    destination.kind === 'school'
  ) {
    problems.push(message('transfer.filename.admissions-between-schools'));
  }
  // (A census file's source is a school and its destination an LA: never the same.)
  if (kind !== 'census' && !isProblem(source) && !isProblem(destination) && sameParty(source, destination)) {
    problems.push(message('transfer.filename.same-party'));
  }

  if (sequence === undefined) {
    const example = `${parts.join('_')}_001.${ext.value || 'XML'}`;
    problems.push(message('transfer.filename.sequence.missing', { example }));
  } else {
    const problem = sequenceProblem(kind, sequence);
    if (problem) problems.push(problem);
  }
  if (extra.length > 0) {
    const example = `${sourceToken}_${code}_${destinationToken}_${sequence}.${ext.value || 'XML'}`;
    problems.push(message('transfer.filename.too-many-parts', { example }));
  }
  const extensionProblem = extensionProblemFor(kind, code, ext);
  if (extensionProblem) problems.push(extensionProblem);

  if (problems.length > 0 || isProblem(source) || isProblem(destination)) return refused(problems);
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
  const problems: Message[] = [];
  const source = partyFor('generic', null, 'source', sourceToken);
  if (isProblem(source)) problems.push(source);
  const destination = partyFor('generic', null, 'destination', destinationToken);
  if (isProblem(destination)) problems.push(destination);
  if (!isProblem(source) && !isProblem(destination) && sameParty(source, destination)) {
    problems.push(message('transfer.filename.same-party'));
  }
  if (rest.length === 0 || description === '') {
    problems.push(
      message('transfer.filename.description.missing', {
        max: MAX_DESCRIPTION_LENGTH,
        example: `${sourceToken}_${destinationToken}_SENLIST.${ext.value || 'ZIP'}`,
      }),
    );
  } else if (description.length > MAX_DESCRIPTION_LENGTH) {
    problems.push(
      message('transfer.filename.description.too-long', {
        max: MAX_DESCRIPTION_LENGTH,
        length: description.length,
      }),
    );
  }
  const extensionProblem = extensionProblemFor('generic', null, ext);
  if (extensionProblem) problems.push(extensionProblem);
  if (problems.length > 0 || isProblem(source) || isProblem(destination)) return refused(problems);
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
  if (typeof name !== 'string') return refused([message('transfer.filename.empty')]);
  const characters = characterProblems(name);
  if (characters.length > 0) return refused(characters);

  const pieces = name.split('.');
  if (pieces.length === 1) return refused([message('transfer.filename.no-extension')]);
  if (pieces.length > 2) return refused([message('transfer.filename.dots', { dots: pieces.length - 1 })]);
  const [base = '', rawExtension = ''] = pieces;
  const ext = readExtension(rawExtension);
  if (base === '') return refused([message('transfer.filename.nothing-before-dot')]);

  const parts = base.split('_');
  const [first = '', second] = parts;
  if (second === undefined) return refused([message('transfer.filename.no-parts')]);
  if (first === '') return refused([message('transfer.filename.starts-with-underscore')]);

  if (TYPE_CODE.test(second)) return classifyTyped(name, parts, ext);
  if (looksLikeCode(second) || second === '') return classifyGeneric(name, parts, ext);

  // Appendix 2's LA-to-school row, 333LLLL_CTF1112222_NNN.XML: refused with the corrected name (see the top).
  const joined = /^([A-Za-z0-9]{3})([A-Za-z0-9]{7,8})$/.exec(second);
  if (joined?.[1] && joined[2] && looksLikeCode(joined[2])) {
    const fixed = [first, joined[1], joined[2], ...parts.slice(2)].join('_');
    return refused([
      message('transfer.filename.underscore-between', {
        first: joined[1],
        second: joined[2],
        fixed: `${fixed}${rawExtension ? `.${rawExtension}` : ''}`,
      }),
    ]);
  }
  // A type code of the wrong length, the destination in its place after it: SOURCE_CTFX_DEST_NNN.XML.
  const third = parts[2];
  if (third !== undefined && looksLikeCode(third)) {
    const problems = [message('transfer.filename.type-length', { type: shown(second) })];
    const source = partyFor('other', null, 'source', first);
    if (isProblem(source)) problems.push(source);
    return refused(problems);
  }
  return classifyGeneric(name, parts, ext);
}
