// What a file's first bytes show it to be, for a file that is not what its name says: a PDF renamed
// .XML, an Excel workbook renamed .CSV. Only kinds with a signature of their own are known; anything else
// is not named. Used by the XML reader (a file that is not XML) and the generic files' type check.
import { type Message, message } from '../i18n/catalogue.ts';

export type FileKind = 'pdf' | 'zip' | 'ole' | 'jpeg' | 'png' | 'gif' | 'program' | 'rtf';

const SIGNATURES: [FileKind, Buffer][] = [
  ['pdf', Buffer.from('%PDF-', 'latin1')],
  ['zip', Buffer.from('PK\u0003\u0004', 'latin1')],
  ['zip', Buffer.from('PK\u0005\u0006', 'latin1')],
  ['ole', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])],
  ['jpeg', Buffer.from([0xff, 0xd8, 0xff])],
  ['png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ['gif', Buffer.from('GIF8', 'latin1')],
  // A Windows program or library ("MZ"), and a Linux or macOS one (ELF, Mach-O).
  ['program', Buffer.from('MZ', 'latin1')],
  ['program', Buffer.from([0x7f, 0x45, 0x4c, 0x46])],
  ['program', Buffer.from([0xcf, 0xfa, 0xed, 0xfe])],
  ['rtf', Buffer.from('{\\rtf', 'latin1')],
];

/** The kind of file `head` (its first bytes) starts like, or null when it has no known signature. */
export function fileKindOf(head: Uint8Array): FileKind | null {
  const bytes = Buffer.isBuffer(head) ? head : Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  for (const [kind, signature] of SIGNATURES) {
    if (bytes.length >= signature.length && bytes.subarray(0, signature.length).equals(signature))
      return kind;
  }
  return null;
}

const WORDS: Record<FileKind, string> = {
  pdf: 'file-kind.pdf',
  zip: 'file-kind.zip',
  ole: 'file-kind.ole',
  jpeg: 'file-kind.jpeg',
  png: 'file-kind.png',
  gif: 'file-kind.gif',
  program: 'file-kind.program',
  rtf: 'file-kind.rtf',
};

/** A kind in words: "a PDF document", "a zip file, or an Office document such as .XLSX or .DOCX". */
export function fileKindWords(kind: FileKind): Message {
  return message(WORDS[kind]);
}
