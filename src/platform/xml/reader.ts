// A hardened streaming XML reader for files that arrive from outside (CTFs, census returns).
// It refuses DOCTYPE (so no external entities and no entity expansion), caps size, depth and element
// count, requires valid UTF-8, and reports every problem with its line and column (bytes that are not
// UTF-8: where the first is, unless it comes after a stream's first chunk), as a message of the
// catalogue (`xml.*`) for pages in the reader's language and in English for the CLI, the API and logs.
// Before anything is parsed, its first bytes are looked at: a file saved as UTF-16, one that says it is in
// another encoding (named when its bytes are not UTF-8), and one that is not XML at all (a PDF renamed
// .XML) are refused as such, with what to do (XmlError.advice), not with the parser's words (decision 74).
//
// A whole document already in memory (an upload) is checked for UTF-8 and size first, exactly as when it
// arrived as one chunk. Then the fast way (./plain-document.ts) reads it when it is plain, well-formed
// XML, as nearly every file is; when it is not, saxes reads it in 64 KiB pieces and says what is wrong:
// decoding and parsing one 4 MB string costs more CPU and memory than the same bytes in pieces (see
// docs/benchmarks.md). Pieces of plain ASCII are turned into strings without the UTF-8 decoder.
import { isAscii, isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { SaxesParser } from 'saxes';
import { AppError } from '../errors.ts';
import { type Message, message, translateMessage } from '../i18n/catalogue.ts';
import { fileKindOf, fileKindWords } from './file-kinds.ts';
import { parserMessage } from './parser-words.ts';
import {
  emitPlainDocument,
  NO_ATTRIBUTES,
  releasePlainDocument,
  scanPlainDocument,
} from './plain-document.ts';

export interface XmlLimits {
  /** Bytes in the whole document. */
  maxBytes: number;
  /** Elements open at once. */
  maxDepth: number;
  /** Elements in the whole document. */
  maxElements: number;
  /** Characters in one text node. */
  maxTextLength: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxBytes: 100 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 5_000_000,
  maxTextLength: 1024 * 1024,
};

export type XmlProblem =
  | 'doctype'
  | 'too-large'
  | 'too-deep'
  | 'too-many-elements'
  | 'encoding'
  | 'version'
  | 'not-xml'
  | 'malformed'
  | 'empty';

export class XmlError extends AppError {
  /** The problem and where it is, as a message: `message` is its English. */
  readonly text: Message;
  constructor(
    readonly problem: XmlProblem,
    detail: Message,
    readonly line: number,
    readonly column: number,
    /**
     * What to do, when it is not what to do about any other unreadable file (make it again in the MIS):
     * a file in another encoding, which the MIS would make the same again, a file that is not XML, or one
     * that says it is an XML version other than 1.0.
     */
    readonly advice?: Message,
  ) {
    const text = line > 0 ? message('xml.at', { problem: detail, line, column }) : detail;
    super(translateMessage('en', text));
    this.text = text;
  }
}

export interface XmlHandler {
  /** An element starts. `path` lists the names of its open ancestors, outermost first. */
  open?(name: string, attributes: Record<string, string>, path: readonly string[]): void;
  /** Text inside the innermost open element (may arrive in several pieces). */
  text?(text: string, path: readonly string[]): void;
  /**
   * Whether `text` is wanted for the innermost open element (when absent: always). A handler that
   * reads the text of a few elements says which, and the fast way does not decode the rest.
   */
  wantsText?(path: readonly string[]): boolean;
  /** An element ends. `path` still includes it. */
  close?(name: string, path: readonly string[]): void;
  /**
   * Whether the handler reads what is inside the element just opened (asked after `open`; when absent:
   * always). When it does not, nothing inside the element is handed over, no text and no open or close
   * of an element in it, though all of it is still checked; the element's own close is. The fast way
   * then makes no strings for any of it.
   */
  readsInside?(path: readonly string[]): boolean;
}

/** Bytes of a document in memory handed to the parser at a time. */
const PIECE_BYTES = 64 * 1024;
const LESS_THAN = 0x3c;

/**
 * Whether bytes are valid UTF-8: 'truncated' when they are, except that they end in the middle of a
 * character (what a streaming decoder reports only at the end), 'invalid' otherwise.
 */
function utf8Status(data: Uint8Array): 'valid' | 'truncated' | 'invalid' {
  if (isUtf8(data)) return 'valid';
  for (let cut = 1; cut <= 3 && cut <= data.length; cut += 1) {
    if (!isUtf8(data.subarray(0, data.length - cut))) continue;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(data.length - cut), { stream: true });
      return 'truncated';
    } catch {
      return 'invalid';
    }
  }
  return 'invalid';
}

/** The offset of the first byte of `data` that does not begin a whole, valid UTF-8 character. */
function firstInvalidUtf8(data: Uint8Array): number {
  let at = 0;
  while (at < data.length) {
    const lead = data[at] as number;
    if (lead < 0x80) {
      at += 1;
      continue;
    }
    const more =
      lead >= 0xc2 && lead <= 0xdf
        ? 1
        : lead >= 0xe0 && lead <= 0xef
          ? 2
          : lead >= 0xf0 && lead <= 0xf4
            ? 3
            : 0;
    if (more === 0 || at + more >= data.length) return at;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const second = data[at + 1] as number;
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    if (second < low || second > high) return at;
    for (let next = 2; next <= more; next += 1) {
      if (((data[at + next] as number) & 0xc0) !== 0x80) return at;
    }
    at += more + 1;
  }
  return at;
}

/**
 * Where the first byte that is not UTF-8 is, as an editor shows it: its line, and its column in
 * characters, both from 1 (a byte-order mark counts as a character).
 */
function invalidUtf8Position(data: Buffer): { line: number; column: number } {
  const offset = firstInvalidUtf8(data);
  let line = 1;
  let lineStart = 0;
  for (
    let newline = data.indexOf(0x0a);
    newline !== -1 && newline < offset;
    newline = data.indexOf(0x0a, newline + 1)
  ) {
    line += 1;
    lineStart = newline + 1;
  }
  return { line, column: [...data.subarray(lineStart, offset).toString('utf8')].length + 1 };
}

/** Encodings whose bytes for XML's own characters are UTF-8's: a file declaring one is read as UTF-8. */
const UTF8_NAMES = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);

/**
 * The encoding a document's XML declaration names (`<?xml version="1.0" encoding="windows-1252"?>`), when
 * it is not UTF-8; null when it names none or UTF-8. A file that declares another encoding is still read
 * when its bytes are UTF-8 (as one holding only ASCII is): only its refusal names the encoding.
 */
function declaredEncoding(head: Uint8Array): string | null {
  const start = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, 256)).toString('latin1');
  const match =
    /^(?:\u00EF\u00BB\u00BF)?\s*<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']/.exec(start);
  const name = match?.[1];
  return name === undefined || UTF8_NAMES.has(name.toLowerCase()) ? null : name;
}

/** Bytes that are not UTF-8: the file says what else it is in, or it does not. */
function notUtf8(declared: string | null, line: number, column: number): XmlError {
  return declared === null
    ? new XmlError('encoding', message('xml.not-utf8'), line, column, message('xml.not-utf8-advice'))
    : new XmlError(
        'encoding',
        message('xml.declared-encoding', { encoding: declared }),
        line,
        column,
        message('xml.declared-encoding-advice', { encoding: declared }),
      );
}

const isSpace = (byte: number | undefined): boolean =>
  byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/** Bytes of a stream's start that always decide startProblem (a start all blank is left to the parser). */
const START_BYTES = 1024;
/** Bytes enough to tell a signature or a byte-order mark. */
const SIGNATURE_BYTES = 8;

/**
 * What the first bytes of a document show it to be when that is not UTF-8 XML, before it is parsed:
 * text in UTF-16 or UTF-32 (a byte-order mark, or "<" in two bytes), a kind of file with its own
 * signature (a PDF, a zip or Office document, a program, an image), or text that does not start with "<"
 * after a byte-order mark and blank space. Null when it starts as XML does, or is all blank; 'undecided'
 * when `head` is only the start of a stream, too little to tell (`whole`: it is all there is).
 */
function startProblem(head: Buffer, whole: boolean): XmlError | null | 'undecided' {
  const enough = whole || head.length >= START_BYTES;
  if (!enough && head.length < SIGNATURE_BYTES) return 'undecided';
  const [a, b, c, d] = head;
  let wide: string | null = null;
  if (a === 0xff && b === 0xfe && c === 0 && d === 0) wide = 'UTF-32';
  else if (a === 0 && b === 0 && c === 0xfe && d === 0xff) wide = 'UTF-32';
  else if ((a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff)) wide = 'UTF-16';
  else if ((a === LESS_THAN && b === 0) || (a === 0 && b === LESS_THAN)) wide = 'UTF-16';
  if (wide !== null) {
    return new XmlError(
      'encoding',
      message('xml.wide-encoding', { encoding: wide }),
      0,
      0,
      message('xml.wide-encoding-advice', { encoding: wide }),
    );
  }
  const kind = fileKindOf(head);
  if (kind !== null) {
    return new XmlError(
      'not-xml',
      message('xml.not-xml.kind', { kind: fileKindWords(kind) }),
      0,
      0,
      message('xml.not-xml-advice'),
    );
  }
  let at = a === 0xef && b === 0xbb && c === 0xbf ? 3 : 0;
  while (at < head.length && isSpace(head[at])) at += 1;
  if (at === head.length) return enough ? null : 'undecided';
  if (head[at] === LESS_THAN) return null;
  return new XmlError('not-xml', message('xml.not-xml'), 0, 0, message('xml.not-xml-advice'));
}

/**
 * Reads an XML document, calling `handler` as elements open and close. The document is a stream, or
 * bytes already in memory (read as if they had arrived in one chunk: the same checks and messages).
 * Rejects with an XmlError on anything unsafe or malformed; a handler may throw to stop reading early.
 */
export async function readXml(
  source: Readable | AsyncIterable<Buffer | string> | Uint8Array,
  handler: XmlHandler,
  limits: Partial<XmlLimits> = {},
): Promise<void> {
  const max = { ...DEFAULT_XML_LIMITS, ...limits };
  // XML 1.1 lets character references name control characters (&#x1B;, an escape) that 1.0 refuses:
  // a declaration of any version but 1.0 is refused (below), and the parser keeps 1.0's rules whatever
  // a declaration says. The fast way takes only 1.0 too.
  const parser = new SaxesParser({ position: true, defaultXMLVersion: '1.0', forceXMLVersion: true });
  const path: string[] = [];
  // The depth of the element whose inside the handler does not read, while the parser is in it.
  let skipping = Number.POSITIVE_INFINITY;
  let elements = 0;
  let bytes = 0;
  let sawRoot = false;
  let atStart = true;
  const fail = (problem: XmlProblem, detail: Message): never => {
    throw new XmlError(problem, detail, parser.line, parser.column + 1);
  };
  const textTooLong = message('xml.text-too-long', { max: max.maxTextLength });
  const tooLarge = message('xml.too-large', { mb: Math.floor(max.maxBytes / 1024 / 1024) });

  parser.on('error', (error) => {
    // saxes prefixes its messages with "line:column: "; the position is reported separately.
    const detail = parserMessage(error.message.replace(/^\d+:\d+: /, ''));
    fail('malformed', message('xml.malformed', { detail }));
  });
  parser.on('doctype', () => {
    fail('doctype', message('xml.doctype'));
  });
  parser.on('xmldecl', ({ version }) => {
    if (version === undefined || version === '1.0') return;
    throw new XmlError(
      'version',
      message('xml.version', { version }),
      parser.line,
      parser.column + 1,
      message('xml.version-advice', { version }),
    );
  });
  parser.on('opentag', (tag) => {
    sawRoot = true;
    elements += 1;
    if (elements > max.maxElements)
      fail('too-many-elements', message('xml.too-many-elements', { max: max.maxElements }));
    if (path.length >= max.maxDepth) fail('too-deep', message('xml.too-deep', { max: max.maxDepth }));
    path.push(tag.name);
    if (path.length > skipping) return;
    let attributes = NO_ATTRIBUTES;
    for (const key in tag.attributes) {
      if (attributes === NO_ATTRIBUTES) attributes = {};
      (attributes as Record<string, string>)[key] = String(tag.attributes[key]);
    }
    handler.open?.(tag.name, attributes, path);
    if (handler.readsInside?.(path) === false) skipping = path.length;
  });
  const onText = (text: string): void => {
    if (text.length > max.maxTextLength) fail('too-large', textTooLong);
    if (path.length > 0 && path.length < skipping && (handler.wantsText?.(path) ?? true))
      handler.text?.(text, path);
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', (tag) => {
    if (path.length === skipping) skipping = Number.POSITIVE_INFINITY;
    if (path.length < skipping) handler.close?.(tag.name, path);
    path.pop();
  });

  // ignoreBOM: the decoder passes a byte-order mark on, and the start of the text drops it (below), so a
  // piece decoded without the decoder reads the same.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  // True while the decoder may hold the start of a character from the previous piece.
  let pending = false;
  // The encoding the XML declaration names, read from the first bytes.
  let declared: string | null = null;
  // A stream's first bytes, held back until they are enough to check its start (startProblem); null
  // once it is checked.
  let held: Buffer | null = Buffer.alloc(0);
  const feed = (piece: Buffer): void => {
    let buffer = piece;
    if (held !== null) {
      const head = held.length === 0 ? piece : Buffer.concat([held, piece]);
      const start = startProblem(head, false);
      if (start === 'undecided') {
        held = head;
        return;
      }
      held = null;
      if (start) throw start;
      declared = declaredEncoding(head);
      buffer = head;
    }
    bytes += buffer.length;
    if (bytes > max.maxBytes) fail('too-large', tooLarge);
    let text: string;
    if (!pending && isAscii(buffer)) text = buffer.toString('latin1');
    else {
      try {
        text = decoder.decode(buffer, { stream: true });
      } catch {
        // The byte's place is known in the first piece, as in a document in memory; past it, the parser's
        // place is not the byte's (it has not read this piece), so none is given.
        const { line, column } =
          bytes === buffer.length ? invalidUtf8Position(buffer) : { line: 0, column: 0 };
        throw notUtf8(declared, line, column);
      }
      pending = buffer.length > 0 && (buffer[buffer.length - 1] as number) >= 0x80;
    }
    if (atStart) {
      // Tolerate a byte-order mark and blank lines before the XML declaration, as real exports have.
      text = text.replace(/^\uFEFF?\s*/, '');
      if (text.length === 0) return;
      atStart = false;
    }
    parser.write(text);
  };

  if (source instanceof Uint8Array) {
    const whole = Buffer.isBuffer(source)
      ? source
      : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    if (whole.length > max.maxBytes) fail('too-large', tooLarge);
    const problem = startProblem(whole, true);
    if (problem && problem !== 'undecided') throw problem;
    held = null;
    declared = declaredEncoding(whole);
    // As one chunk: bytes that are not UTF-8 are refused before anything is parsed, but bytes that only
    // end in the middle of a character are parsed first and refused at the end.
    const encoding = utf8Status(whole);
    if (encoding === 'invalid') {
      const { line, column } = invalidUtf8Position(whole);
      throw notUtf8(declared, line, column);
    }
    if (encoding === 'valid') {
      const plain = scanPlainDocument(whole, max);
      if (plain !== null) {
        try {
          emitPlainDocument(plain, handler);
        } finally {
          releasePlainDocument(plain);
        }
        return;
      }
    }
    // Each piece ends just after a '<', so the parser meets every problem at the same character, and
    // reports it at the same line and column, as it would in one chunk (it reports text outside the root
    // element at the end of a chunk, else at the next '<'). A piece without a '<' runs on to the next one.
    for (let start = 0; start < whole.length; ) {
      const less = whole.indexOf(LESS_THAN, start + PIECE_BYTES - 1);
      const end = less === -1 ? whole.length : less + 1;
      feed(whole.subarray(start, end));
      start = end;
    }
  } else {
    for await (const chunk of source)
      feed(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer));
    // A stream too short to tell its start by: what there is, checked as a whole.
    if (held !== null && held.length > 0) {
      const start = startProblem(held, true);
      if (start && start !== 'undecided') throw start;
      const rest = held;
      held = null;
      declared = declaredEncoding(rest);
      feed(rest);
    }
  }
  try {
    decoder.decode();
  } catch {
    fail('encoding', message('xml.ends-mid-character'));
  }
  if (bytes === 0) fail('empty', message('xml.empty'));
  parser.close();
  if (!sawRoot) fail('malformed', message('xml.no-elements'));
}
