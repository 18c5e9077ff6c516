// Safe file types for generic transfers (handbook §8C: "any safe file type"): an allow-list of
// extensions, each checked against what the content really is, so a renamed program is refused.
import { type Message, message } from '../platform/i18n/catalogue.ts';
import { type FileKind, fileKindOf, fileKindWords } from '../platform/xml/file-kinds.ts';

type Sniff = 'zip' | 'pdf' | 'ole' | 'text' | 'jpeg' | 'png';

/** Extension (upper case) -> what its content must look like. */
const ALLOWED: Record<string, Sniff> = {
  ZIP: 'zip',
  XLSX: 'zip',
  DOCX: 'zip',
  PPTX: 'zip',
  ODS: 'zip',
  ODT: 'zip',
  PDF: 'pdf',
  XLS: 'ole',
  DOC: 'ole',
  XML: 'text',
  CSV: 'text',
  TXT: 'text',
  RTF: 'text',
  // Photographs and scans (a signed letter, a child's work).
  JPG: 'jpeg',
  JPEG: 'jpeg',
  PNG: 'png',
};

export const ALLOWED_EXTENSIONS: readonly string[] = Object.keys(ALLOWED);

/**
 * Whether files of this extension are already compressed, so a .ZIP would not make them smaller: zip
 * containers (.ZIP, .XLSX, .DOCX...) and images.
 */
export function isCompressed(extension: string): boolean {
  const sniff = ALLOWED[extension.toUpperCase()];
  return sniff === 'zip' || sniff === 'jpeg' || sniff === 'png';
}

/** Whether files of this extension are zip containers (.ZIP, and the Office and OpenDocument formats). */
export function isZipContent(extension: string): boolean {
  return ALLOWED[extension.toUpperCase()] === 'zip';
}

/**
 * Whether the start of a file is text: no NUL and few control characters other than tab, CR and LF.
 * Text in UTF-16 with its byte-order mark (what Excel's "Unicode Text" and "CSV UTF-16" save) is text
 * too, read as 16-bit characters: what it may not be is a program, which the extension must not hide.
 */
function looksLikeText(head: Buffer): boolean {
  const le = head[0] === 0xff && head[1] === 0xfe;
  const be = head[0] === 0xfe && head[1] === 0xff;
  const wide = le || be;
  const step = wide ? 2 : 1;
  let control = 0;
  let characters = 0;
  for (let at = wide ? 2 : 0; at + step <= head.length; at += step) {
    const unit = !wide ? (head[at] as number) : le ? head.readUInt16LE(at) : head.readUInt16BE(at);
    characters += 1;
    if (unit === 0) return false;
    if (unit < 32 && unit !== 9 && unit !== 10 && unit !== 13 && unit !== 12) control += 1;
  }
  return control <= characters / 100;
}

/** The signature a kind of content must start with, for those that have one. */
const SIGNED: Partial<Record<Sniff, FileKind>> = {
  zip: 'zip',
  pdf: 'pdf',
  ole: 'ole',
  jpeg: 'jpeg',
  png: 'png',
};

function matches(sniff: Sniff, head: Buffer): boolean {
  const kind = fileKindOf(head);
  // A PDF's first bytes can pass for text: a signature says otherwise ("MZ" and "{\rtf" start text too).
  if (sniff === 'text') return looksLikeText(head) && (kind === null || kind === 'program' || kind === 'rtf');
  return kind === SIGNED[sniff];
}

/** What each kind of content is, in words. */
const DESCRIPTIONS: Record<Sniff, string> = {
  zip: 'transfer.file-type.zip',
  pdf: 'transfer.file-type.pdf',
  ole: 'transfer.file-type.ole',
  text: 'transfer.file-type.text',
  jpeg: 'transfer.file-type.jpeg',
  png: 'transfer.file-type.png',
};

/**
 * Why a file with this extension and these first bytes may not be sent, or null when it may.
 * `head` is the start of the content (the first 4 KiB is plenty).
 */
export function fileTypeProblem(extension: string, head: Buffer): Message | null {
  const upper = extension.toUpperCase();
  const sniff = ALLOWED[upper];
  if (!sniff) {
    return message('transfer.file-type.not-allowed', {
      extension: upper,
      allowed: ALLOWED_EXTENSIONS.map((e) => `.${e}`).join(', '),
    });
  }
  if (head.length === 0) return message('transfer.upload.reason.empty');
  if (!matches(sniff, head)) {
    // What it is instead, when its first bytes say (a PDF named .CSV): the extension that fits it.
    const found = fileKindOf(head);
    return found === null
      ? message('transfer.file-type.wrong-content', {
          extension: upper,
          content: message(DESCRIPTIONS[sniff]),
        })
      : message('transfer.file-type.wrong-content.found', {
          extension: upper,
          content: message(DESCRIPTIONS[sniff]),
          found: fileKindWords(found),
        });
  }
  return null;
}
