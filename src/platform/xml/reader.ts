// A hardened streaming XML reader for files that arrive from outside (CTFs, census returns).
// It refuses DOCTYPE (so no external entities and no entity expansion), caps size, depth and element
// count, requires valid UTF-8, and reports every problem with its line and column.
import type { Readable } from 'node:stream';
import { SaxesParser } from 'saxes';
import { AppError } from '../errors.ts';

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
  | 'malformed'
  | 'empty';

export class XmlError extends AppError {
  constructor(
    readonly problem: XmlProblem,
    readonly detail: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(line > 0 ? `${detail} (line ${line}, column ${column})` : detail);
  }
}

export interface XmlHandler {
  /** An element starts. `path` lists the names of its open ancestors, outermost first. */
  open?(name: string, attributes: Record<string, string>, path: readonly string[]): void;
  /** Text inside the innermost open element (may arrive in several pieces). */
  text?(text: string, path: readonly string[]): void;
  /** An element ends. `path` still includes it. */
  close?(name: string, path: readonly string[]): void;
}

/**
 * Reads an XML document from a stream, calling `handler` as elements open and close. Rejects with an
 * XmlError on anything unsafe or malformed; a handler may throw to stop reading early.
 */
export async function readXml(
  source: Readable | AsyncIterable<Buffer | string>,
  handler: XmlHandler,
  limits: Partial<XmlLimits> = {},
): Promise<void> {
  const max = { ...DEFAULT_XML_LIMITS, ...limits };
  const parser = new SaxesParser({ position: true });
  const path: string[] = [];
  let elements = 0;
  let bytes = 0;
  let sawRoot = false;
  let atStart = true;
  const fail = (problem: XmlProblem, detail: string): never => {
    throw new XmlError(problem, detail, parser.line, parser.column + 1);
  };

  parser.on('error', (error) => {
    // saxes prefixes its messages with "line:column: "; the position is reported separately.
    fail('malformed', `The file is not well-formed XML: ${error.message.replace(/^\d+:\d+: /, '')}`);
  });
  parser.on('doctype', () => {
    fail(
      'doctype',
      'The file declares a DOCTYPE. Files with DOCTYPE or ENTITY declarations are refused for safety',
    );
  });
  parser.on('opentag', (tag) => {
    sawRoot = true;
    elements += 1;
    if (elements > max.maxElements)
      fail('too-many-elements', `The file has more than ${max.maxElements} elements`);
    if (path.length >= max.maxDepth) fail('too-deep', `Elements are nested more than ${max.maxDepth} deep`);
    path.push(tag.name);
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(tag.attributes)) attributes[key] = String(value);
    handler.open?.(tag.name, attributes, path);
  });
  parser.on('text', (text) => {
    if (text.length > max.maxTextLength)
      fail('too-large', `A text value is longer than ${max.maxTextLength} characters`);
    if (path.length > 0) handler.text?.(text, path);
  });
  parser.on('cdata', (text) => {
    if (text.length > max.maxTextLength)
      fail('too-large', `A text value is longer than ${max.maxTextLength} characters`);
    if (path.length > 0) handler.text?.(text, path);
  });
  parser.on('closetag', (tag) => {
    handler.close?.(tag.name, path);
    path.pop();
  });

  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of source) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    bytes += buffer.length;
    if (bytes > max.maxBytes)
      fail('too-large', `The file is larger than ${Math.floor(max.maxBytes / 1024 / 1024)} MB`);
    let text: string;
    try {
      text = decoder.decode(buffer, { stream: true });
    } catch {
      fail('encoding', 'The file is not valid UTF-8 text. Save it again from the software that made it');
      return;
    }
    if (atStart) {
      // Tolerate a byte-order mark and blank lines before the XML declaration, as real exports have.
      text = text.replace(/^\uFEFF?\s*/, '');
      if (text.length === 0) continue;
      atStart = false;
    }
    parser.write(text);
  }
  try {
    decoder.decode();
  } catch {
    fail('encoding', 'The file ends in the middle of a character: it is not valid UTF-8 text');
  }
  if (bytes === 0) fail('empty', 'The file is empty');
  parser.close();
  if (!sawRoot) fail('malformed', 'The file holds no XML elements');
}
