// Safe file types for generic transfers (handbook §8C: "any safe file type"): an allow-list of
// extensions, each checked against what the content really is, so a renamed program is refused.
import { type Message, message } from '../platform/i18n/catalogue.ts';

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

const ZIP_MAGIC = [Buffer.from('PK\u0003\u0004', 'latin1'), Buffer.from('PK\u0005\u0006', 'latin1')];
const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function looksLikeText(head: Buffer): boolean {
  // Text has no NUL bytes and few control characters other than tab, CR and LF.
  let control = 0;
  for (const byte of head) {
    if (byte === 0) return false;
    if (byte < 32 && byte !== 9 && byte !== 10 && byte !== 13 && byte !== 12) control += 1;
  }
  return control <= head.length / 100;
}

function matches(sniff: Sniff, head: Buffer): boolean {
  switch (sniff) {
    case 'zip':
      return ZIP_MAGIC.some((magic) => head.subarray(0, magic.length).equals(magic));
    case 'pdf':
      return head.subarray(0, PDF_MAGIC.length).equals(PDF_MAGIC);
    case 'ole':
      return head.subarray(0, OLE_MAGIC.length).equals(OLE_MAGIC);
    case 'text':
      return looksLikeText(head);
    case 'jpeg':
      return head.subarray(0, JPEG_MAGIC.length).equals(JPEG_MAGIC);
    case 'png':
      return head.subarray(0, PNG_MAGIC.length).equals(PNG_MAGIC);
  }
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
    return message('transfer.file-type.wrong-content', {
      extension: upper,
      content: message(DESCRIPTIONS[sniff]),
    });
  }
  return null;
}
