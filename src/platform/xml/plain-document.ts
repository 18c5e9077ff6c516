// The fast way through a document already in memory (an upload), for the XML that files from outside
// almost always are: UTF-8, an optional XML declaration (version 1.0), then elements with ASCII names,
// attributes, text with the five predefined entities and character references, comments and CDATA.
//
// It reads the bytes directly, two to three times faster than saxes (see docs/benchmarks.md), in two
// passes: the first checks the whole document and notes where each element, attribute and text is; only
// when every byte has passed does the second hand the events to the handler. Anything it does not know
// for certain is well-formed and within the limits (a DOCTYPE, a processing instruction, a name outside
// ASCII, an entity it does not know, a break inside an attribute value, any error) makes the first pass
// give up before any event, and readXml reads the document with saxes instead, which refuses it with
// its own message and position, or reads it. So this never says what is wrong; it only has to be sure
// that nothing is, and give the handler the same events as saxes would (test/platform/xml-plain-document
// .test.ts compares the two on generated and mutated documents).
import type { XmlHandler, XmlLimits } from './reader.ts';

/**
 * Larger documents go to saxes: the tokens take up to 4 bytes of memory a byte of document, and files
 * read whole are uploads of at most 10 MB.
 */
export const MAX_PLAIN_BYTES = 32 * 1024 * 1024;

/**
 * Elements with more attributes go to saxes: each attribute is compared with those before it in its
 * element, which would take the square of their number (120,000 attributes of a 1.3 MB file held the
 * worker for 9 s); saxes keeps them in a map. The files read here use a few at most.
 */
export const MAX_PLAIN_ATTRIBUTES = 64;

/** A document the first pass found well-formed: its bytes, names, and what is where. */
export interface PlainDocument {
  readonly data: Buffer;
  readonly names: readonly string[];
  readonly tokens: Int32Array<ArrayBuffer>;
  readonly length: number;
}

// Tokens, one after another in an Int32Array:
//   OPEN | attributeCount << 4, name id, then per attribute: name id, value start, value end, flags
//   CLOSE
//   TEXT | flags << 4, start, end   (text inside the root element, or a CDATA section's content)
const OPEN = 1;
const CLOSE = 2;
const TEXT = 3;

// What a piece of text or an attribute value holds, as far as decoding it is concerned.
const HIGH = 1; // bytes of characters beyond ASCII: decode as UTF-8
const REFERENCES = 2; // entity or character references
const CARRIAGE_RETURN = 4; // line ends to normalise to "\n"
const CDATA = 8; // a CDATA section: no references
const BLANK = 16; // only spaces, tabs and line ends

// Each byte's class, for scanning text, attribute values, comments and CDATA. The first four are what
// text is mostly made of, so the scan tests them with one comparison.
const PLAIN = 0; // any other printable ASCII character
const SPACE = 1;
const BREAK = 2; // tab and line feed: whitespace in text, normalised in attribute values
const RETURN = 3;
const LESS_THAN = 4;
const AMPERSAND = 5;
const RIGHT_BRACKET = 6;
const NOT_ASCII = 7;
const CONTROL = 8; // never in XML 1.0 text (DEL is allowed but left to saxes)

const BYTE_CLASS = new Uint8Array(256);
for (let byte = 0; byte < 256; byte += 1) {
  BYTE_CLASS[byte] = byte >= 0x80 ? NOT_ASCII : byte < 0x20 || byte === 0x7f ? CONTROL : PLAIN;
}
BYTE_CLASS[0x20] = SPACE;
BYTE_CLASS[0x09] = BREAK;
BYTE_CLASS[0x0a] = BREAK;
BYTE_CLASS[0x0d] = RETURN;
BYTE_CLASS[0x3c] = LESS_THAN;
BYTE_CLASS[0x26] = AMPERSAND;
BYTE_CLASS[0x5d] = RIGHT_BRACKET;

// Names in ASCII: a letter, "_" or ":" first, then also digits, "." and "-" (a subset of XML's Name).
const NAME_START = new Uint8Array(256);
const NAME_PART = new Uint8Array(256);
for (let byte = 0; byte < 128; byte += 1) {
  const letter = (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
  const start = letter || byte === 0x5f || byte === 0x3a;
  NAME_START[byte] = start ? 1 : 0;
  NAME_PART[byte] = start || (byte >= 0x30 && byte <= 0x39) || byte === 0x2e || byte === 0x2d ? 1 : 0;
}

/** The class of the byte at `at`; past the end, LESS_THAN (reading past a typed array's end is slow). */
const classAt = (data: Buffer, at: number, end: number): number =>
  at < end ? (BYTE_CLASS[data[at] as number] as number) : LESS_THAN;

const isWhitespace = (byte: number | undefined): boolean =>
  byte === 0x20 || byte === 0x0a || byte === 0x09 || byte === 0x0d;

/** Whether a character reference's code point is an XML 1.0 character. */
const isXmlCharacter = (code: number): boolean =>
  code === 0x09 ||
  code === 0x0a ||
  code === 0x0d ||
  (code >= 0x20 && code <= 0xd7ff) ||
  (code >= 0xe000 && code <= 0xfffd) ||
  (code >= 0x10000 && code <= 0x10ffff);

const hexValue = (byte: number): number =>
  byte >= 0x30 && byte <= 0x39
    ? byte - 0x30
    : byte >= 0x61 && byte <= 0x66
      ? byte - 0x57
      : byte >= 0x41 && byte <= 0x46
        ? byte - 0x37
        : -1;

/**
 * Where a reference starting with the "&" at `at` ends (just after its ";"), or -1 when it is not one of
 * the five predefined entities or a character reference to an XML character.
 */
function referenceEnd(data: Buffer, at: number): number {
  const first = data[at + 1];
  if (first === 0x23) {
    const hex = data[at + 2] === 0x78;
    let code = 0;
    let digits = 0;
    for (let i = at + (hex ? 3 : 2); i < data.length; i += 1) {
      const byte = data[i] as number;
      if (byte === 0x3b) return digits > 0 && isXmlCharacter(code) ? i + 1 : -1;
      const digit = hex ? hexValue(byte) : byte >= 0x30 && byte <= 0x39 ? byte - 0x30 : -1;
      digits += 1;
      if (digit < 0 || digits > 7) return -1;
      code = code * (hex ? 16 : 10) + digit;
    }
    return -1;
  }
  for (const entity of ENTITY_BYTES) {
    if (first !== entity[0]) continue;
    let i = 0;
    while (i < entity.length && data[at + 1 + i] === entity[i]) i += 1;
    if (i === entity.length) return at + 1 + i;
  }
  return -1;
}

const ENTITY_BYTES = ['lt;', 'gt;', 'amp;', 'quot;', 'apos;'].map((entity) => Buffer.from(entity));
const ENTITY_TEXT: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const REFERENCE = /&(?:(lt|gt|amp|quot|apos)|#x([0-9a-fA-F]+)|#([0-9]+));/g;

function decodeReferences(text: string): string {
  return text.replace(REFERENCE, (_whole, entity?: string, hex?: string, decimal?: string) =>
    entity !== undefined
      ? (ENTITY_TEXT[entity] as string)
      : String.fromCodePoint(hex !== undefined ? Number.parseInt(hex, 16) : Number(decimal)),
  );
}

/** Whether the three bytes at `at` are U+FFFE or U+FFFF, which valid UTF-8 may hold and XML may not. */
const isNonCharacter = (data: Buffer, at: number): boolean =>
  data[at] === 0xef && data[at + 1] === 0xbf && ((data[at + 2] as number) & 0xfe) === 0xbe;

/** Four spaces, read as one 32-bit integer. */
const FOUR_SPACES = 0x20202020;

/** The strings of the line-feed-and-spaces runs that indent most documents, by length. */
const INDENTS: string[] = Array.from({ length: 129 }, (_, length) =>
  length === 0 ? '' : `\n${' '.repeat(length - 1)}`,
);

/** Where a document's markup starts: after a byte-order mark and blank lines (readXml drops them). */
function documentStart(data: Buffer): number {
  let at = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0;
  while (isWhitespace(data[at])) at += 1;
  return at;
}

/** Names, interned: an open-addressing table of ids by a hash of the name's bytes. */
interface NameTable {
  readonly names: string[];
  /** Where each name's bytes first appear in the document. */
  readonly nameAt: number[];
  /** How many bytes each name has (kept beside it: reading a string's length costs more). */
  readonly sizes: number[];
  readonly hashes: number[];
  slots: Int32Array;
}

/**
 * The id in `table` of the name from `start` (a NAME_START byte) to the first byte that is not a
 * NAME_PART. A function of its own, not a closure in the scan: a closure would hold the scan's `data`,
 * which the scan's loops then read from memory at every byte rather than keep in a register.
 */
function internName(data: Buffer, view: DataView, start: number, table: NameTable): number {
  const { names, nameAt, sizes, hashes } = table;
  let hash = data[start] as number;
  let stop = start + 1;
  for (let part = data[stop] as number; NAME_PART[part] === 1; part = data[stop] as number) {
    hash = (Math.imul(hash, 31) + part) | 0;
    stop += 1;
  }
  const size = stop - start;
  let slots = table.slots;
  let slot = hash & (slots.length - 1);
  for (;;) {
    const id = slots[slot] as number;
    if (id === -1) break;
    if (sizes[id] === size && sameBytes(data, view, nameAt[id] as number, start, size)) return id;
    slot = (slot + 1) & (slots.length - 1);
  }
  const id = names.length;
  names.push(data.toString('latin1', start, stop));
  nameAt.push(start);
  sizes.push(size);
  hashes.push(hash);
  slots[slot] = id;
  if (names.length * 2 > slots.length) {
    slots = new Int32Array(slots.length * 2).fill(-1);
    for (let known = 0; known < names.length; known += 1) {
      let free = (hashes[known] as number) & (slots.length - 1);
      while (slots[free] !== -1) free = (free + 1) & (slots.length - 1);
      slots[free] = known;
    }
    table.slots = slots;
  }
  return id;
}

/**
 * Checks `data` as a plain document within `limits` (after any byte-order mark and blank lines). Returns
 * where everything is, or null when saxes must read it (see the file's comment).
 */
export function scanPlainDocument(data: Buffer, limits: XmlLimits): PlainDocument | null {
  const end = data.length;
  if (end > MAX_PLAIN_BYTES) return null;
  // Not captured by any closure, so they stay in registers: the token writes are a fifth of the scan.
  // One token a byte is more than documents use (a CTF about 0.4), so the array seldom grows; the pages
  // it does not use are never touched, so cost no memory.
  let tokens = takeTokens(Math.max(1024, end));
  let length = 0;

  const table: NameTable = {
    names: [],
    nameAt: [],
    sizes: [],
    hashes: [],
    slots: new Int32Array(256).fill(-1),
  };
  const { names, nameAt, sizes } = table;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);

  // For each element name (by id, plus one; the first slot for the document's start), the name of the
  // start tag that followed it last time, or -1.
  const follows: number[] = [];
  let lastStart = -1;

  // The open elements: where each one's name is in data, and its length.
  const openAt: number[] = [];
  const openSize: number[] = [];
  let elements = 0;
  let sawRoot = false;
  let i = documentStart(data);

  // An XML declaration: version 1.0 (1.1 has other rules for characters), then optionally an encoding
  // and a standalone, each written name="value" or name='value'.
  if (data[i] === 0x3c && data[i + 1] === 0x3f) {
    if (!matches(data, i + 2, 'xml') || !isWhitespace(data[i + 5])) return null;
    i += 5;
    let expected = 0; // the index in DECLARATION_NAMES of the first name that may come next
    for (;;) {
      const spaced = isWhitespace(data[i]);
      while (isWhitespace(data[i])) i += 1;
      if (data[i] === 0x3f && data[i + 1] === 0x3e && expected > 0) {
        i += 2;
        break;
      }
      if (!spaced) return null;
      let which = expected;
      while (which < DECLARATION_NAMES.length && !matches(data, i, DECLARATION_NAMES[which] as string)) {
        if (which === 0) return null;
        which += 1;
      }
      const name = DECLARATION_NAMES[which];
      if (name === undefined || data[i + name.length] !== 0x3d) return null;
      i += name.length + 1;
      const quote = data[i];
      if (quote !== 0x22 && quote !== 0x27) return null;
      const close = data.indexOf(quote, i + 1);
      if (close === -1) return null;
      const value = data.toString('latin1', i + 1, close);
      const valid =
        name === 'version'
          ? value === '1.0'
          : name === 'encoding'
            ? /^[A-Za-z][A-Za-z0-9._-]*$/.test(value)
            : value === 'yes' || value === 'no';
      if (!valid) return null;
      expected = which + 1;
      i = close + 1;
    }
  }

  while (i < end) {
    const byte = data[i] as number;
    if (byte !== 0x3c) {
      // Text: inside the root element it is recorded; outside, only whitespace may be there.
      const start = i;
      let flags = BLANK;
      // Most text is the indentation between elements, a line feed and spaces: four spaces at a time.
      if (byte === 0x0a) {
        i += 1;
        while (i + 4 <= end && view.getInt32(i) === FOUR_SPACES) i += 4;
        while (i < end && data[i] === 0x20) i += 1;
      }
      let kind = classAt(data, i, end);
      // Then any other whitespace (tabs, carriage returns, indentation of another form).
      while (kind !== PLAIN && kind <= RETURN) {
        if (kind === RETURN) flags |= CARRIAGE_RETURN;
        i += 1;
        kind = classAt(data, i, end);
      }
      if (kind !== LESS_THAN) {
        flags &= ~BLANK;
        for (;;) {
          while (kind <= BREAK) {
            i += 1;
            kind = classAt(data, i, end);
          }
          if (kind === LESS_THAN) break;
          if (kind === AMPERSAND) {
            const after = referenceEnd(data, i);
            if (after === -1) return null;
            flags |= REFERENCES;
            i = after;
          } else if (kind === RIGHT_BRACKET) {
            if (data[i + 1] === 0x5d && data[i + 2] === 0x3e) return null;
            i += 1;
          } else if (kind === RETURN) {
            flags |= CARRIAGE_RETURN;
            i += 1;
          } else if (kind === NOT_ASCII) {
            if (isNonCharacter(data, i)) return null;
            flags |= HIGH;
            i += 1;
          } else return null;
          kind = classAt(data, i, end);
        }
      }
      if (openAt.length === 0) {
        if ((flags & BLANK) === 0) return null;
        continue;
      }
      if (i - start > limits.maxTextLength) return null;
      if (length + 3 > tokens.length) tokens = grown(tokens, length);
      tokens[length++] = TEXT | (flags << 4);
      tokens[length++] = start;
      tokens[length++] = i;
      continue;
    }

    const next = data[i + 1];
    if (next === 0x2f) {
      // An end tag: the name of the innermost open element, then optional whitespace and ">".
      const depth = openAt.length;
      if (depth === 0) return null;
      const at = openAt[depth - 1] as number;
      const size = openSize[depth - 1] as number;
      const start = i + 2;
      if (start + size > end || !sameBytes(data, view, start, at, size)) return null;
      i = start + size;
      while (isWhitespace(data[i])) i += 1;
      if (data[i] !== 0x3e) return null;
      i += 1;
      openAt.pop();
      openSize.pop();
      if (length + 1 > tokens.length) tokens = grown(tokens, length);
      tokens[length++] = CLOSE;
      continue;
    }

    if (next === 0x21) {
      if (data[i + 2] === 0x2d && data[i + 3] === 0x2d) {
        // A comment: no "--" inside, any XML characters.
        const close = data.indexOf('--', i + 4, 'latin1');
        if (close === -1 || data[close + 2] !== 0x3e) return null;
        for (let k = i + 4; k < close; k += 1) {
          const kind = BYTE_CLASS[data[k] as number];
          if (kind === CONTROL || (kind === NOT_ASCII && isNonCharacter(data, k))) return null;
        }
        i = close + 3;
        continue;
      }
      if (openAt.length > 0 && matches(data, i + 2, '[CDATA[')) {
        const start = i + 9;
        const close = data.indexOf(']]>', start, 'latin1');
        if (close === -1 || close - start > limits.maxTextLength) return null;
        let flags = CDATA;
        for (let k = start; k < close; k += 1) {
          const kind = BYTE_CLASS[data[k] as number];
          if (kind === CONTROL) return null;
          if (kind === RETURN) flags |= CARRIAGE_RETURN;
          else if (kind === NOT_ASCII) {
            if (isNonCharacter(data, k)) return null;
            flags |= HIGH;
          }
        }
        if (length + 3 > tokens.length) tokens = grown(tokens, length);
        tokens[length++] = TEXT | (flags << 4);
        tokens[length++] = start;
        tokens[length++] = close;
        i = close + 3;
        continue;
      }
      // A DOCTYPE, or anything else: saxes says what it is.
      return null;
    }

    // A start tag. Its name, then attributes, each after whitespace, then ">" or "/>".
    if (NAME_START[next as number] !== 1) return null;
    if (openAt.length === 0 && sawRoot) return null;
    if (openAt.length >= limits.maxDepth) return null;
    elements += 1;
    if (elements > limits.maxElements) return null;
    sawRoot = true;
    const nameStart = i + 1;
    // Documents repeat their structure: a start tag's name is most often the one that followed the
    // previous start tag's name last time, and comparing its bytes costs less than hashing them.
    let nameId = follows[lastStart + 1] ?? -1;
    if (nameId !== -1) {
      const size = sizes[nameId] as number;
      if (
        nameStart + size >= end ||
        !sameBytes(data, view, nameStart, nameAt[nameId] as number, size) ||
        NAME_PART[data[nameStart + size] as number] === 1
      )
        nameId = -1;
    }
    if (nameId === -1) nameId = internName(data, view, nameStart, table);
    follows[lastStart + 1] = nameId;
    lastStart = nameId;
    const nameSize = sizes[nameId] as number;
    i = nameStart + nameSize;
    if (length + 2 > tokens.length) tokens = grown(tokens, length);
    const head = length;
    tokens[length++] = OPEN;
    tokens[length++] = nameId;
    let attributes = 0;
    let selfClosing = false;
    for (;;) {
      const spaced = isWhitespace(data[i]);
      while (isWhitespace(data[i])) i += 1;
      const at = data[i];
      if (at === 0x3e) {
        i += 1;
        break;
      }
      if (at === 0x2f) {
        if (data[i + 1] !== 0x3e) return null;
        i += 2;
        selfClosing = true;
        break;
      }
      if (!spaced || at === undefined || NAME_START[at] !== 1 || attributes === MAX_PLAIN_ATTRIBUTES) {
        return null;
      }
      const attributeId = internName(data, view, i, table);
      i += sizes[attributeId] as number;
      for (let k = 0; k < attributes; k += 1) if (tokens[head + 2 + k * 4] === attributeId) return null;
      if (data[i] !== 0x3d) return null;
      const quote = data[i + 1];
      if (quote !== 0x22 && quote !== 0x27) return null;
      const valueStart = i + 2;
      let flags = 0;
      i = valueStart;
      for (;;) {
        const at = data[i] as number;
        if (at === quote) break;
        const kind = BYTE_CLASS[at];
        if (kind === PLAIN || kind === SPACE || kind === RIGHT_BRACKET) {
          i += 1;
          continue;
        }
        if (kind !== NOT_ASCII || isNonCharacter(data, i)) return null;
        flags |= HIGH;
        i += 1;
      }
      if (length + 4 > tokens.length) tokens = grown(tokens, length);
      tokens[length++] = attributeId;
      tokens[length++] = valueStart;
      tokens[length++] = i;
      tokens[length++] = flags;
      attributes += 1;
      i += 1;
    }
    tokens[head] = OPEN | (attributes << 4);
    if (selfClosing) {
      if (length + 1 > tokens.length) tokens = grown(tokens, length);
      tokens[length++] = CLOSE;
    } else {
      openAt.push(nameStart);
      openSize.push(nameSize);
    }
  }
  if (!sawRoot || openAt.length > 0) return null;
  return { data, names, tokens, length };
}

/**
 * The token array of the last document read, kept for the next (see releasePlainDocument): a fresh one
 * for each 4 MB upload cost about a seventh of reading it, in page faults and in garbage collections
 * set off by the 16 MB it adds outside the heap each time. Taken while in use, so a document read while
 * another's events are handed out gets an array of its own.
 */
let spareTokens = new Int32Array(0);
/** Token arrays larger than this (in tokens; 4 bytes each) are not kept. */
const MAX_SPARE_TOKENS = 8 * 1024 * 1024;

function takeTokens(size: number): Int32Array<ArrayBuffer> {
  if (spareTokens.length < size) return new Int32Array(size);
  const tokens = spareTokens;
  spareTokens = new Int32Array(0);
  return tokens;
}

/** Gives a document's token array back for the next document, once its events have been handed out. */
export function releasePlainDocument(document: PlainDocument): void {
  if (document.tokens.length <= MAX_SPARE_TOKENS && document.tokens.length > spareTokens.length) {
    spareTokens = document.tokens;
  }
}

/** `tokens` in a larger array, when the next ones would not fit. */
function grown(tokens: Int32Array<ArrayBuffer>, length: number): Int32Array<ArrayBuffer> {
  const larger = new Int32Array(tokens.length * 2);
  larger.set(tokens.subarray(0, length));
  return larger;
}

const DECLARATION_NAMES = ['version', 'encoding', 'standalone'];

/**
 * Whether the `size` bytes at `a` and at `b`, both within `data` (seen through `view`), are the same.
 * Four at a time: names are compared at every start and end tag, and most are longer than four bytes.
 */
function sameBytes(data: Buffer, view: DataView, a: number, b: number, size: number): boolean {
  let k = 0;
  for (; k + 4 <= size; k += 4) if (view.getInt32(a + k) !== view.getInt32(b + k)) return false;
  for (; k < size; k += 1) if (data[a + k] !== data[b + k]) return false;
  return true;
}

function matches(data: Buffer, at: number, ascii: string): boolean {
  for (let k = 0; k < ascii.length; k += 1) if (data[at + k] !== ascii.charCodeAt(k)) return false;
  return true;
}

function textOf(data: Buffer, start: number, stop: number, flags: number): string {
  if ((flags & BLANK) !== 0) {
    // A line end, "\n" or "\r\n", and spaces: the same few strings thousands of times.
    const lineEnd = data[start] === 0x0a ? 1 : data[start] === 0x0d && data[start + 1] === 0x0a ? 2 : 0;
    const size = stop - start - lineEnd + 1;
    if (lineEnd > 0 && size < INDENTS.length) {
      let k = start + lineEnd;
      while (k < stop && data[k] === 0x20) k += 1;
      if (k === stop) return INDENTS[size] as string;
    }
  }
  let text = data.toString((flags & HIGH) !== 0 ? 'utf8' : 'latin1', start, stop);
  if ((flags & CARRIAGE_RETURN) !== 0) text = text.replace(/\r\n?/g, '\n');
  if ((flags & REFERENCES) !== 0) text = decodeReferences(text);
  return text;
}

/** The attributes of an element that has none (shared: handlers only read them). */
export const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze(Object.create(null));

/** Where the CLOSE token is of the element whose first token inside it is at `at`. */
function closeOf(tokens: Int32Array, at: number): number {
  for (let depth = 0; ; ) {
    const head = tokens[at] as number;
    const kind = head & 15;
    if (kind === OPEN) {
      depth += 1;
      at += 2 + 4 * (head >>> 4);
    } else if (kind === CLOSE) {
      if (depth === 0) return at;
      depth -= 1;
      at += 1;
    } else at += 3;
  }
}

/** Hands a checked document's events to `handler`, as readXml does for saxes' events. */
export function emitPlainDocument(document: PlainDocument, handler: XmlHandler): void {
  const { data, names, tokens, length } = document;
  const path: string[] = [];
  for (let at = 0; at < length; ) {
    const head = tokens[at] as number;
    switch (head & 15) {
      case OPEN: {
        const name = names[tokens[at + 1] as number] as string;
        const count = head >>> 4;
        at += 2;
        let attributes = NO_ATTRIBUTES;
        if (count > 0) {
          const values: Record<string, string> = {};
          for (let k = 0; k < count; k += 1, at += 4) {
            values[names[tokens[at] as number] as string] = data.toString(
              ((tokens[at + 3] as number) & HIGH) !== 0 ? 'utf8' : 'latin1',
              tokens[at + 1],
              tokens[at + 2],
            );
          }
          attributes = values;
        }
        path.push(name);
        handler.open?.(name, attributes, path);
        if (handler.readsInside?.(path) === false) at = closeOf(tokens, at);
        break;
      }
      case CLOSE:
        handler.close?.(path[path.length - 1] as string, path);
        path.pop();
        at += 1;
        break;
      default:
        if (handler.text !== undefined && (handler.wantsText?.(path) ?? true)) {
          handler.text(textOf(data, tokens[at + 1] as number, tokens[at + 2] as number, head >>> 4), path);
        }
        at += 3;
    }
  }
}
