// Loads a "Get Information about Schools" (GIAS) establishment extract, edubasealldataYYYYMMDD.csv, into the
// directory: new establishments are added, known ones get the fields GIAS owns brought up to date, and
// local authorities missing from the directory are created.
//
// How it runs. The file is read twice, streamed each time, so a 50,000-row extract never sits in memory:
//   1. the first pass checks the header, maps and checks every row, and keeps only a small note per
//      establishment number (line, URN, precedence), because GIAS lists some numbers more than once (a
//      closed school and the academy that replaced it often share an LA + establishment number);
//   2. the second pass stages the winning row of each number in `establishment_import_rows`, 500 rows a
//      statement, each its own short write, and checks the file's SHA-256 is the same as in the first pass;
//   3. ONE short transaction applies the staged rows: creates the missing LAs, updates the establishments
//      whose GIAS fields differ and inserts the new ones (one statement each, inside the database), and
//      writes the audit record. Any failure (a database error, the file changing under us) before it
//      commits leaves the directory as it was: readers never see half an import and the audit record always
//      matches what was saved. The staged rows are deleted either way (a killed import's, by an import
//      a day later), 500 a statement, each its own short write. The write lock is held for that transaction only (decision 43: 0.2-0.9 s for a national
//      extract, where writing the rows in it took 2-5 s), as SQLite's other writers (`s2s serve` beside
//      the command) wait at most 5 s for it.
//
// Only the fields GIAS owns are written to known establishments (see GIAS_OWNED); the fields s2s owns
// (uses_s2s, active, email) are set on insert only and never changed by an import. Existing LAs are never
// changed. Nothing is deleted: an establishment missing from the file is left as it is.
//
// Personal data: GIAS extracts name head teachers; those columns are never read, and nothing here logs.
import { createHash, randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import { pipeline, Transform } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import iconv from 'iconv-lite';
import { sql } from 'kysely';
import { recordAudit } from '../audit/repository.ts';
import type { Clock } from '../platform/clock.ts';
import { rowsInserted } from '../platform/db/insert-once.ts';
import type {
  Db,
  EstablishmentUpdate,
  Flag,
  LocalAuthorityRow,
  NewEstablishmentImportRow,
} from '../platform/db/schema.ts';
import { searchText } from '../platform/db/text-search.ts';
import { AppError } from '../platform/errors.ts';
import { isUtf8Pieces } from '../platform/utf8.ts';
import { shortened } from '../platform/words.ts';
import { insertLocalAuthority, listLocalAuthorities } from './repository.ts';

/** Columns without which a file is not taken for a GIAS extract. */
export const REQUIRED_COLUMNS = [
  'URN',
  'LA (code)',
  'LA (name)',
  'EstablishmentNumber',
  'EstablishmentName',
  'EstablishmentStatus (name)',
] as const;

/**
 * Read when present. When a column is absent the field it feeds is left alone on known establishments
 * (and empty on new ones), so a cut-down extract never blanks data.
 */
const OPTIONAL_COLUMNS = [
  'TypeOfEstablishment (name)',
  'EstablishmentTypeGroup (name)',
  'PhaseOfEducation (name)',
  'OpenDate',
  'CloseDate',
  'Town',
  'Postcode',
  'TelephoneNum',
  'GOR (name)',
] as const;

type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

/** Column widths of the establishments table: longer values are refused, never cut short. */
const MAX_LENGTH = {
  name: 200,
  laName: 200,
  town: 100,
  postcode: 10,
  phase: 60,
  type: 120,
  urn: 10,
  telephone: 40,
} as const;

/**
 * The most a row may hold before the file is refused ("a row is too long"), in characters (bytes of
 * UTF-8, as the parser counts them). A GIAS row is a few thousand at most: 140 columns of names, codes,
 * dates and addresses (the sample's rows 879-1,152, its header 2,505). A row 30 times that is no GIAS
 * row but a file without line ends, or a value run on past its line: refused before it is held whole in
 * memory and quoted back.
 */
const MAX_ROW_SIZE = 100_000;

/**
 * The most characters of a value from the file a message quotes: enough to recognise a mistake in any
 * value GIAS gives (a URN, a code, a date), never all of a value of any length.
 */
const SHOWN_CHARACTERS = 20;

/** A value from the file as a message quotes it: cut short, with an ellipsis, when long. */
function shown(value: string): string {
  return shortened(value, SHOWN_CHARACTERS);
}

/** Staged rows written, and deleted, a statement: each statement a short write of its own. */
export const BATCH_SIZE = 500;

export type GiasImportProblem = 'unreadable' | 'not-gias' | 'not-csv' | 'changed';

/** The file as a whole cannot be imported; nothing was written. */
export class GiasImportError extends AppError {
  constructor(
    readonly problem: GiasImportProblem,
    message: string,
  ) {
    super(message);
  }
}

export interface SkippedRow {
  /** Line of the CSV file on which the row starts (the header is line 1). */
  line: number;
  /** As the file gives it, cut short when long. */
  urn: string | null;
  reason: string;
}

export interface AddedLocalAuthority {
  number: string;
  name: string;
  country: 'England' | 'Wales';
}

export interface EstablishmentImportCounts {
  /** Data rows read (the header and blank lines not counted): added + updated + unchanged + skipped. */
  rows: number;
  added: number;
  updated: number;
  unchanged: number;
  skipped: number;
  localAuthoritiesAdded: number;
}

export interface EstablishmentImportReport extends EstablishmentImportCounts {
  skippedRows: SkippedRow[];
  addedLocalAuthorities: AddedLocalAuthority[];
}

export interface ImportEstablishmentsOptions {
  /** Who ran the import, for the audit record (a person using the web service); none from the CLI. */
  actor?: { userId: string; username: string };
}

/** One usable GIAS row. `undefined` = the column is not in the file (leave the field alone). */
interface GiasEstablishment {
  number: string;
  laNumber: string;
  laName: string;
  wales: boolean;
  name: string;
  urn: string | null;
  status: 'open' | 'closed';
  /** 2 open, 1 proposed to open, 0 closed: which row wins when two share an establishment number. */
  precedence: number;
  town: string | null | undefined;
  postcode: string | null | undefined;
  phase: string | null | undefined;
  type: string | null | undefined;
  telephone: string | null | undefined;
  openedOn: string | null | undefined;
  closedOn: string | null | undefined;
  usesS2s: Flag;
}

type Mapped = { ok: true; establishment: GiasEstablishment } | { ok: false; reason: string };

/**
 * uses_s2s for a NEW establishment (an s2s-owned flag: an import never changes it afterwards).
 * 1 for state-funded schools, which must send and receive CTFs through s2s: EstablishmentTypeGroup
 * "Local authority maintained schools" (community, voluntary, foundation, nursery schools and pupil
 * referral units), "Academies" (including alternative provision and 16-19), "Free Schools" (including
 * alternative provision and special), "Welsh schools" and "Special schools". The one exception is
 * inside "Special schools": an "Other independent special school" is independent, so 0 (non-maintained
 * special schools stay 1: the handbook names them as able to receive CTFs).
 * 0 for "Independent schools" (the handbook: independent schools who wish to use s2s must ask) and for
 * every other group ("Colleges", "Universities", "Other types" such as secure units, British schools
 * overseas and service children's schools, "Online provider", or no group): an LA or the service desk
 * switches them on when they ask.
 */
export function usesS2sOnInsert(typeGroup: string, type: string): Flag {
  if (/\bindependent\b/i.test(type)) return 0;
  return STATE_FUNDED_GROUPS.has(typeGroup.trim().toLowerCase()) ? 1 : 0;
}

const STATE_FUNDED_GROUPS = new Set([
  'local authority maintained schools',
  'academies',
  'free schools',
  'welsh schools',
  'special schools',
]);

/**
 * 'closed' only when GIAS says "Closed"; "Open" and "Open, but proposed to close" are open. "Proposed to
 * open" is also 'open': the school is about to exist, its LA and the schools sending its first intake
 * need to find it and send it CTFs, and its opened_on date says when it opens. When a number appears
 * twice, a currently open record still beats a proposed one (see `precedenceOf`).
 */
export function statusOf(giasStatus: string): 'open' | 'closed' {
  return /^closed/i.test(giasStatus.trim()) ? 'closed' : 'open';
}

function precedenceOf(giasStatus: string): number {
  const status = giasStatus.trim();
  if (/^closed/i.test(status)) return 0;
  if (/^proposed to open/i.test(status)) return 1;
  return 2;
}

/** LA codes 660-681 are the Welsh authorities. */
function isWelshLaCode(code: string): boolean {
  const n = Number(code);
  return n >= 660 && n <= 681;
}

/** DD-MM-YYYY (or DD/MM/YYYY, as Excel re-saves it) to YYYY-MM-DD; null when blank. */
function giasDate(
  value: string,
  column: string,
): { ok: true; date: string | null } | { ok: false; reason: string } {
  if (!value) return { ok: true, date: null };
  const match = /^(\d{2})[-/](\d{2})[-/](\d{4})$/.exec(value);
  if (match) {
    const [, dd, mm, yyyy] = match as unknown as [string, string, string, string];
    const d = new Date(Date.UTC(Number(yyyy), Number(mm) - 1, Number(dd)));
    if (
      d.getUTCFullYear() === Number(yyyy) &&
      d.getUTCMonth() === Number(mm) - 1 &&
      d.getUTCDate() === Number(dd)
    ) {
      return { ok: true, date: `${yyyy}-${mm}-${dd}` };
    }
  }
  return { ok: false, reason: `${column} "${shown(value)}" is not a real date in the form DD-MM-YYYY` };
}

/**
 * GIAS holds telephone numbers as numbers, so the leading 0 is lost ("2072831147"). A 9- or 10-digit
 * number without it gets it back; anything else is kept as written.
 */
function giasTelephone(value: string): string | null {
  if (!value) return null;
  return /^[1-9]\d{8,9}$/.test(value) ? `0${value}` : value;
}

class Row {
  constructor(
    private readonly fields: string[],
    private readonly index: Map<string, number>,
  ) {}
  /** Trimmed value; '' when blank. */
  get(column: Column): string {
    const i = this.index.get(column);
    return i === undefined ? '' : (this.fields[i] ?? '').trim();
  }
  /** Trimmed value or null when blank; undefined when the file has no such column. */
  optional(column: Column): string | null | undefined {
    if (!this.index.has(column)) return undefined;
    return this.get(column) || null;
  }
}

function tooLong(value: string | null | undefined, max: number): boolean {
  return value != null && value.length > max;
}

/** Maps one data row, or says precisely why it cannot be used. */
function mapRow(row: Row): Mapped {
  const fail = (reason: string): Mapped => ({ ok: false, reason });
  const laCode = row.get('LA (code)');
  if (!laCode) return fail('LA (code) is missing');
  if (!/^\d{3}$/.test(laCode)) return fail(`LA (code) "${shown(laCode)}" is not a 3-digit LA number`);
  const laName = row.get('LA (name)');
  if (!laName) return fail('LA (name) is missing');
  if (tooLong(laName, MAX_LENGTH.laName))
    return fail(`LA (name) is longer than ${MAX_LENGTH.laName} characters`);
  const estab = row.get('EstablishmentNumber');
  if (!estab) return fail('EstablishmentNumber is missing');
  if (!/^\d+$/.test(estab)) return fail(`EstablishmentNumber "${shown(estab)}" is not a number`);
  if (estab.length > 4) return fail(`EstablishmentNumber "${shown(estab)}" has more than 4 digits`);
  const name = row.get('EstablishmentName');
  if (!name) return fail('EstablishmentName is missing');
  const giasStatus = row.get('EstablishmentStatus (name)');
  if (!giasStatus) return fail('EstablishmentStatus (name) is missing');

  const dates: { openedOn?: string | null; closedOn?: string | null } = {};
  for (const [column, key] of [
    ['OpenDate', 'openedOn'],
    ['CloseDate', 'closedOn'],
  ] as const) {
    const raw = row.optional(column);
    if (raw === undefined) continue;
    const parsed = giasDate(raw ?? '', column);
    if (!parsed.ok) return fail(parsed.reason);
    dates[key] = parsed.date;
  }

  const phase = row.optional('PhaseOfEducation (name)');
  const telephone = row.optional('TelephoneNum');
  const establishment: GiasEstablishment = {
    number: `${laCode}${estab.padStart(4, '0')}`,
    laNumber: laCode,
    laName,
    wales: isWelshLaCode(laCode) || /\bwales\b/i.test(row.get('GOR (name)')),
    name,
    urn: row.get('URN') || null,
    status: statusOf(giasStatus),
    precedence: precedenceOf(giasStatus),
    town: row.optional('Town'),
    postcode: row.optional('Postcode'),
    phase: phase && /^not applicable$/i.test(phase) ? null : phase,
    type: row.optional('TypeOfEstablishment (name)'),
    telephone: telephone === undefined ? undefined : giasTelephone(telephone ?? ''),
    openedOn: dates.openedOn,
    closedOn: dates.closedOn,
    usesS2s: usesS2sOnInsert(row.get('EstablishmentTypeGroup (name)'), row.get('TypeOfEstablishment (name)')),
  };
  for (const [field, label] of [
    ['name', 'EstablishmentName'],
    ['town', 'Town'],
    ['postcode', 'Postcode'],
    ['phase', 'PhaseOfEducation (name)'],
    ['type', 'TypeOfEstablishment (name)'],
    ['urn', 'URN'],
    ['telephone', 'TelephoneNum'],
  ] as const) {
    if (tooLong(establishment[field], MAX_LENGTH[field])) {
      return fail(`${label} is longer than ${MAX_LENGTH[field]} characters`);
    }
  }
  return { ok: true, establishment };
}

/** The GIAS-owned columns of an establishment, as the file gives them (absent columns left out). */
function giasOwnedFields(e: GiasEstablishment): EstablishmentUpdate {
  const fields: EstablishmentUpdate = {
    la_number: e.laNumber,
    name: e.name,
    name_search: searchText(e.name),
    status: e.status,
    urn: e.urn,
  };
  if (e.town !== undefined) {
    fields.town = e.town;
    fields.town_search = searchText(e.town);
  }
  if (e.postcode !== undefined) fields.postcode = e.postcode;
  if (e.phase !== undefined) fields.phase = e.phase;
  if (e.type !== undefined) fields.type = e.type;
  if (e.telephone !== undefined) fields.telephone = e.telephone;
  if (e.openedOn !== undefined) fields.opened_on = e.openedOn;
  if (e.closedOn !== undefined) fields.closed_on = e.closedOn;
  return fields;
}

/** The staged row of an establishment: absent columns are null, and left alone on known ones. */
function stagedRow(e: GiasEstablishment, importId: string, at: string): NewEstablishmentImportRow {
  return {
    import_id: importId,
    number: e.number,
    staged_at: at,
    la_number: e.laNumber,
    name: e.name,
    name_search: searchText(e.name),
    town: e.town ?? null,
    town_search: searchText(e.town),
    postcode: e.postcode ?? null,
    phase: e.phase ?? null,
    type: e.type ?? null,
    status: e.status,
    urn: e.urn,
    uses_s2s: e.usesS2s,
    telephone: e.telephone ?? null,
    opened_on: e.openedOn ?? null,
    closed_on: e.closedOn ?? null,
  };
}

// --- reading the file -------------------------------------------------------------------------------

interface CsvRecord {
  /** Line of the file on which the record starts. */
  line: number;
  fields: string[];
}

interface CsvPass {
  /** Column positions, from the header. */
  index: Map<string, number>;
  /** Number of columns in the header. */
  width: number;
  /** The data records (the header already read). */
  records: AsyncGenerator<CsvRecord>;
  /** SHA-256 of the file's bytes, once `records` has been read to the end. */
  sha256(): string;
}

function unreadable(file: string, error: unknown): GiasImportError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOENT'
      ? 'there is no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission was refused'
        : code === 'EISDIR'
          ? 'it is a folder, not a file'
          : error instanceof Error
            ? error.message
            : String(error);
  return new GiasImportError('unreadable', `Cannot read ${file}: ${why}. Check the file name and try again.`);
}

/**
 * CSV problems in words. The parser's own messages quote the offending value, which may be personal.
 * A quoted value whose closing quote is missing runs on to the next quote in the file, often on a later
 * line, and that one is followed by more text: so the parser's "closing quote followed by text" is told
 * as the quote never closed, which it is, found on the line where the value starts.
 */
const CSV_PROBLEMS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted value is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'a quoted value is never closed (a quote in it is followed by more text)',
  INVALID_OPENING_QUOTE: 'a quote is inside a value that does not start with one',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a closing quote is followed by more text',
  CSV_MAX_RECORD_SIZE: 'a row is too long',
};

function notGias(file: string, missing: readonly string[]): GiasImportError {
  const columns = missing.map((c) => `"${c}"`).join(', ');
  return new GiasImportError(
    'not-gias',
    `${file} does not look like a GIAS "edubasealldata" establishment extract: it has no ${columns} ` +
      `column${missing.length === 1 ? '' : 's'}. Download all establishment data as CSV from Get ` +
      'Information about Schools and import that file unchanged.',
  );
}

function lineBreaks(value: string): number {
  if (!value.includes('\n') && !value.includes('\r')) return 0;
  return value.match(/\r\n|\r|\n/g)?.length ?? 0;
}

/** How many bytes of the file are read at a time to find whether it is UTF-8. */
export const ENCODING_CHECK_PIECE = 1 << 20;

/** The file's bytes from its start, a piece at a time, read through `handle` (left open). */
async function* piecesOf(handle: Awaited<ReturnType<typeof open>>): AsyncGenerator<Uint8Array> {
  const piece = Buffer.alloc(ENCODING_CHECK_PIECE);
  for (let position = 0; ; ) {
    const { bytesRead } = await handle.read(piece, 0, piece.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield piece.subarray(0, bytesRead);
  }
}

/**
 * Opens the file, reads and checks its header, and streams the data records with the line each starts
 * on. The encoding is UTF-8 when the file starts with a UTF-8 byte order mark or its bytes are all valid
 * UTF-8 (saved again by a spreadsheet: "Ysgol ... Ŵyr" must not become "Å´yr"), else Windows-1252, as
 * GIAS writes it. Text in Windows-1252 beyond ASCII is almost never valid UTF-8.
 */
async function readCsv(file: string): Promise<CsvPass> {
  let handle: Awaited<ReturnType<typeof open>>;
  let utf8: boolean;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw unreadable(file, error);
  }
  try {
    const head = Buffer.alloc(3);
    const { bytesRead } = await handle.read(head, 0, 3, 0);
    const marked = bytesRead === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
    utf8 = marked || (await isUtf8Pieces(piecesOf(handle)));
  } catch (error) {
    await handle.close().catch(() => {});
    throw unreadable(file, error);
  }
  const digest = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      digest.update(chunk);
      done(null, chunk);
    },
  });
  // The line each record starts on, counted here: the parser's own count is one out after a quoted value
  // holding a CRLF. Counted as the parser makes each record, so that when it fails, `line` is where the
  // record it could not make starts (the records it made before, from the same piece of the file, are
  // dropped with the error before they are read). `starts`: those of the records not yet read, in order.
  let line = 1;
  const starts: number[] = [];
  const parser = parse({
    bom: true,
    // A ragged row is reported and skipped, not fatal.
    relax_column_count: true,
    // Quotes are not relaxed (relax_quotes): besides keeping a stray quote inside an unquoted value
    // (St Mary"s) as text, it runs a quoted value never closed on to the next quote in the file, taking
    // the rows between as one value of one row, which was skipped and the rest imported. GIAS, and a
    // spreadsheet saving its extract again, quote such values; a file that does not is refused whole.
    max_record_size: MAX_ROW_SIZE,
    // Blank lines are left out.
    on_record: (fields: string[]) => {
      const start = line;
      line += 1 + fields.reduce((n, field) => n + lineBreaks(field), 0);
      if (fields.every((field) => field.trim() === '')) return null;
      starts.push(start);
      return fields;
    },
  });
  pipeline(
    handle.createReadStream({ start: 0, autoClose: true }),
    hashing,
    iconv.decodeStream(utf8 ? 'utf8' : 'win1252'),
    parser,
    () => {},
  );
  let hash: string | undefined;

  async function* all(): AsyncGenerator<CsvRecord> {
    try {
      for await (const fields of parser as AsyncIterable<string[]>) {
        yield { line: starts.shift() as number, fields };
      }
      hash = digest.digest('hex');
    } catch (error) {
      if (error instanceof CsvError) {
        const what = CSV_PROBLEMS[error.code] ?? 'it is not valid CSV';
        throw new GiasImportError(
          'not-csv',
          `${file} cannot be read as CSV near line ${line}: ${what}. ` +
            'Download the extract from Get Information about Schools again and import it unchanged.',
        );
      }
      throw unreadable(file, error);
    } finally {
      parser.destroy();
      await handle.close().catch(() => {});
    }
  }

  const records = all();
  const first = await records.next();
  if (first.done) throw notGias(file, REQUIRED_COLUMNS);
  const index = new Map<string, number>();
  first.value.fields.forEach((name, i) => {
    const column = name.replace(/^\uFEFF/, '').trim();
    if (!index.has(column)) index.set(column, i);
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !index.has(c));
  if (missing.length > 0) {
    await records.return(undefined);
    throw notGias(file, missing);
  }
  return {
    index,
    width: first.value.fields.length,
    records,
    sha256: () => {
      if (!hash) throw new Error('the file has not been read to the end');
      return hash;
    },
  };
}

/** Each data record of the file, mapped, or with the reason it cannot be used. */
async function* mappedRows(
  pass: CsvPass,
): AsyncGenerator<{ line: number; urn: string | null; mapped: Mapped }> {
  const { width } = pass;
  for await (const { line, fields } of pass.records) {
    const row = new Row(fields, pass.index);
    const urnGiven = row.get('URN');
    const urn = urnGiven ? shown(urnGiven) : null;
    if (fields.length !== width) {
      const reason = `the row has ${fields.length} values but the header has ${width} columns`;
      yield { line, urn, mapped: { ok: false, reason } };
      continue;
    }
    yield { line, urn, mapped: mapRow(row) };
  }
}

// --- importing ----------------------------------------------------------------------------------------

/** The row that will be written for an establishment number, chosen in the first pass. */
interface Winner {
  line: number;
  urn: string | null;
  precedence: number;
}

/**
 * Whether `candidate` should replace `current` for the same establishment number: an open record beats
 * a proposed one, which beats a closed one; then the newer record (GIAS allocates URNs in sequence, so
 * the higher URN); then the later line.
 */
function beats(candidate: Winner, current: Winner): boolean {
  if (candidate.precedence !== current.precedence) return candidate.precedence > current.precedence;
  const a = Number(candidate.urn ?? Number.NaN);
  const b = Number(current.urn ?? Number.NaN);
  if (Number.isFinite(a) && Number.isFinite(b) && a !== b) return a > b;
  return candidate.line > current.line;
}

function duplicateReason(number: string, winner: Winner): string {
  return (
    `establishment number ${number} is also on line ${winner.line}` +
    `${winner.urn ? ` (URN ${winner.urn})` : ''}, which was imported instead ` +
    '(an open record is preferred to a proposed or closed one, then the newer URN)'
  );
}

/** How long a killed import's staged rows are kept before an import deletes them: no import runs a day. */
const STAGED_ROWS_KEPT_MS = 24 * 60 * 60 * 1000;

/** The columns of `establishments` the file gives (the same for every row: absent columns are the file's). */
type GiasColumn = keyof EstablishmentUpdate & keyof NewEstablishmentImportRow;

/** The columns a staged row gives a new establishment as they are. */
const STAGED_COLUMNS = [
  'number',
  'la_number',
  'name',
  'name_search',
  'town',
  'town_search',
  'postcode',
  'phase',
  'type',
  'status',
  'urn',
  'uses_s2s',
  'telephone',
  'opened_on',
  'closed_on',
] as const;

/**
 * Deletes an import's staged rows a batch a statement, each its own short write: up to 150,000 rows in
 * one statement held SQLite's write lock long enough for a write of `s2s serve` beside it to give up
 * waiting ("database is locked"). Until a statement deletes nothing, as another import may be deleting
 * the same rows.
 */
async function deleteStagedRows(db: Db, importId: string): Promise<void> {
  for (;;) {
    const { numDeletedRows } = await db
      .deleteFrom('establishment_import_rows')
      .where('import_id', '=', importId)
      .where('number', 'in', (eb) =>
        eb
          .selectFrom('establishment_import_rows')
          .select('number')
          .where('import_id', '=', importId)
          .limit(BATCH_SIZE),
      )
      .executeTakeFirstOrThrow();
    if (numDeletedRows === 0n) return;
  }
}

/** Deletes the staged rows of imports killed a day or more before `at`, an import at a time. */
async function deleteKilledImports(db: Db, at: Date): Promise<void> {
  const killed = await db
    .selectFrom('establishment_import_rows')
    .select('import_id')
    .distinct()
    .where('staged_at', '<', new Date(at.getTime() - STAGED_ROWS_KEPT_MS).toISOString())
    .execute();
  for (const { import_id } of killed) await deleteStagedRows(db, import_id);
}

/**
 * Applies the staged rows of `importId` to `establishments`, inside `trx`: the known establishments whose
 * `columns` differ get those columns and `updated_at`; the unknown ones are inserted (the s2s-owned
 * fields as for any new establishment). Answers how many of each.
 */
async function applyStagedRows(
  trx: Db,
  importId: string,
  columns: GiasColumn[],
  now: string,
): Promise<{ updated: number; added: number }> {
  const updated = await trx
    .updateTable('establishments')
    .from('establishment_import_rows as s')
    .set((eb) => ({
      ...Object.fromEntries(columns.map((column) => [column, eb.ref(`s.${column}`)])),
      updated_at: now,
    }))
    .where('s.import_id', '=', importId)
    .whereRef('s.number', '=', 'establishments.number')
    // A null differs from a value, and from nothing else.
    .where((eb) =>
      eb.or(
        columns.map((column) =>
          eb(eb.ref(`establishments.${column}`), 'is distinct from', eb.ref(`s.${column}`)),
        ),
      ),
    )
    .executeTakeFirstOrThrow();
  const added = await trx
    .insertInto('establishments')
    .columns([...STAGED_COLUMNS, 'active', 'email', 'created_at', 'updated_at'])
    .expression((eb) =>
      eb
        .selectFrom('establishment_import_rows as s')
        .select([
          ...STAGED_COLUMNS.map((column) => `s.${column}` as const),
          sql.lit(1).as('active'),
          sql.lit(null).as('email'),
          sql.val(now).as('created_at'),
          sql.val(now).as('updated_at'),
        ])
        .where('s.import_id', '=', importId)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('establishments as e')
                .select(sql.lit(1).as('known'))
                .whereRef('e.number', '=', 's.number'),
            ),
          ),
        ),
    )
    .executeTakeFirstOrThrow();
  return { updated: Number(updated.numUpdatedRows), added: rowsInserted(added) };
}

/**
 * Imports a GIAS edubasealldata CSV extract into the directory and writes one audit record, applied in
 * one transaction (staged first, see above). Rows that cannot be used are skipped and reported; the file as a whole is refused (with a
 * GiasImportError, nothing written) when it cannot be read, is not CSV, or is not a GIAS extract.
 */
export async function importEstablishments(
  db: Db,
  clock: Clock,
  file: string,
  options: ImportEstablishmentsOptions = {},
): Promise<EstablishmentImportReport> {
  // Pass 1: check every row and choose one row per establishment number. Nothing is written.
  const skippedRows: SkippedRow[] = [];
  const winners = new Map<string, Winner>();
  /** Rows that lost to another row with the same establishment number. */
  const losers = new Map<string, Winner[]>();
  const laDetails = new Map<string, { name: string; wales: boolean }>();
  let rows = 0;
  const first = await readCsv(file);
  for await (const { line, urn, mapped } of mappedRows(first)) {
    rows += 1;
    if (!mapped.ok) {
      skippedRows.push({ line, urn, reason: mapped.reason });
      continue;
    }
    const e = mapped.establishment;
    const candidate: Winner = { line, urn: e.urn, precedence: e.precedence };
    const current = winners.get(e.number);
    if (current) {
      const loser = beats(candidate, current) ? current : candidate;
      losers.set(e.number, [...(losers.get(e.number) ?? []), loser]);
      if (loser === candidate) continue;
    }
    winners.set(e.number, candidate);
    const la = laDetails.get(e.laNumber);
    if (la) la.wales ||= e.wales;
    else laDetails.set(e.laNumber, { name: e.laName, wales: e.wales });
  }
  const sha256 = first.sha256();
  for (const [number, rowsLost] of losers) {
    const winner = winners.get(number);
    if (!winner) continue;
    for (const loser of rowsLost) {
      skippedRows.push({ line: loser.line, urn: loser.urn, reason: duplicateReason(number, winner) });
    }
  }
  skippedRows.sort((a, b) => a.line - b.line);

  // Pass 2: stage the chosen rows, a batch at a time, each batch its own short write.
  const at = clock.now();
  const now = at.toISOString();
  const importId = randomUUID();
  await deleteKilledImports(db, at);
  try {
    let columns: GiasColumn[] = [];
    let staged = 0;
    let batch: NewEstablishmentImportRow[] = [];
    const flush = async () => {
      if (batch.length > 0) await db.insertInto('establishment_import_rows').values(batch).execute();
      staged += batch.length;
      batch = [];
    };
    const second = await readCsv(file);
    for await (const { line, mapped } of mappedRows(second)) {
      if (!mapped.ok) continue;
      if (winners.get(mapped.establishment.number)?.line !== line) continue;
      if (staged + batch.length === 0) {
        columns = Object.keys(giasOwnedFields(mapped.establishment)) as GiasColumn[];
      }
      batch.push(stagedRow(mapped.establishment, importId, now));
      if (batch.length >= BATCH_SIZE) await flush();
    }
    await flush();
    if (second.sha256() !== sha256 || staged !== winners.size) {
      throw new GiasImportError(
        'changed',
        `${file} changed while it was being imported, so nothing was saved. Wait until the file is complete and import it again.`,
      );
    }

    // Pass 3: apply them, all or nothing, in one short transaction.
    return await db.transaction().execute(async (trx) => {
      const knownLas = new Set((await listLocalAuthorities(trx)).map((la) => la.number));
      const usedLas = new Set([...winners.keys()].map((number) => number.slice(0, 3)));
      const addedLocalAuthorities: AddedLocalAuthority[] = [];
      for (const [number, details] of [...laDetails].sort(([a], [b]) => a.localeCompare(b))) {
        if (knownLas.has(number) || !usedLas.has(number)) continue;
        const la: LocalAuthorityRow = {
          number,
          name: details.name,
          country: details.wales ? 'Wales' : 'England',
          contact_name: null,
          email: null,
          telephone: null,
          address: null,
          updated_at: now,
        };
        await insertLocalAuthority(trx, la);
        addedLocalAuthorities.push({ number, name: la.name, country: la.country });
      }
      const { updated, added } =
        staged > 0 ? await applyStagedRows(trx, importId, columns, now) : { updated: 0, added: 0 };
      const counts: EstablishmentImportCounts = {
        rows,
        added,
        updated,
        unchanged: staged - added - updated,
        skipped: skippedRows.length,
        localAuthoritiesAdded: addedLocalAuthorities.length,
      };
      await recordAudit(trx, {
        at,
        actorUserId: options.actor?.userId ?? null,
        actorUsername: options.actor?.username ?? null,
        action: 'establishments-imported',
        subjectType: 'directory',
        detail: { ...counts, sha256 },
      });
      return { ...counts, skippedRows, addedLocalAuthorities };
    });
  } finally {
    await deleteStagedRows(db, importId);
  }
}
