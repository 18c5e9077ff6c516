import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Language, translateMessage } from '../../src/platform/i18n/catalogue.ts';
import { fileTypeProblem } from '../../src/transfers/file-types.ts';

const zip = Buffer.from('PK\u0003\u0004\u0014\u0000\u0000\u0000', 'latin1');
const pdf = Buffer.from('%PDF-1.7\n%âãÏÓ\n', 'latin1');
const ole = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]);
const windowsProgram = Buffer.from('MZ\u0090\u0000\u0003\u0000\u0000\u0000', 'latin1');
const csv = Buffer.from('UPN,Surname\r\nA123,Smith\r\n');
const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]);

/** The problem in words, English unless asked. */
function problem(extension: string, head: Buffer, language: Language = 'en'): string {
  const found = fileTypeProblem(extension, head);
  return found ? translateMessage(language, found) : '';
}

test('allowed types whose content matches their extension are accepted, in any case', () => {
  assert.equal(fileTypeProblem('zip', zip), null);
  assert.equal(fileTypeProblem('ZIP', zip), null);
  assert.equal(fileTypeProblem('xlsx', zip), null);
  assert.equal(fileTypeProblem('PDF', pdf), null);
  assert.equal(fileTypeProblem('xls', ole), null);
  assert.equal(fileTypeProblem('CSV', csv), null);
  assert.equal(fileTypeProblem('txt', Buffer.from('Caf\u00e9 list\n', 'latin1')), null);
  // Photographs and scans (handbook §8C: "any safe file type").
  assert.equal(fileTypeProblem('JPG', jpeg), null);
  assert.equal(fileTypeProblem('jpeg', jpeg), null);
  assert.equal(fileTypeProblem('PNG', png), null);
});

test('extensions outside the allow-list are refused with the list of what is allowed', () => {
  assert.match(problem('EXE', windowsProgram), /Files ending \.EXE cannot be sent.*\.ZIP/);
  assert.match(problem('js', csv), /\.JS cannot be sent/);
});

test('content that does not match its extension is refused: a renamed program, a binary called .CSV', () => {
  assert.match(problem('ZIP', windowsProgram), /not a zip file/);
  assert.match(problem('PDF', zip), /not a PDF document/);
  assert.match(problem('JPG', windowsProgram), /not a JPEG image/);
  assert.match(problem('PNG', jpeg), /not a PNG image/);
  assert.match(problem('PNG', jpeg, 'cy'), /ond delwedd JPEG yw hi, nid delwedd PNG$/);
  assert.match(problem('CSV', Buffer.from([0x00, 0x01, 0x02, 0x03])), /not text/);
  assert.match(problem('ZIP', Buffer.alloc(0)), /empty/);
});

test('each problem is a message: in Welsh for a Welsh reader', () => {
  assert.match(
    problem('EXE', windowsProgram, 'cy'),
    /^Ni ellir anfon ffeiliau sy’n gorffen gyda \.EXE\. Anfonwch ffeiliau \.ZIP, /,
  );
  assert.match(
    problem('ZIP', windowsProgram, 'cy'),
    /^Mae’r ffeil wedi’i henwi’n \.ZIP ond rhaglen yw hi, nid ffeil zip$/,
  );
  assert.equal(problem('ZIP', Buffer.alloc(0), 'cy'), 'Mae’r ffeil yn wag.');
});

test('text in UTF-16 with its byte-order mark is text; a PDF named .CSV is named for what it is', () => {
  const text = 'UPN\tSurname\r\nA123\tZoë\r\n';
  const little = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const big = Buffer.from(little);
  big.swap16();
  assert.equal(fileTypeProblem('TXT', little), null);
  assert.equal(fileTypeProblem('CSV', big), null);
  // A program stays refused however it starts.
  assert.match(problem('CSV', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.alloc(64)])), /not text/);
  assert.equal(problem('CSV', pdf), 'The file is named .CSV but it is a PDF document, not text');
  assert.equal(problem('CSV', pdf, 'cy'), 'Mae’r ffeil wedi’i henwi’n .CSV ond dogfen PDF yw hi, nid testun');
  assert.match(problem('PDF', zip), /^The file is named \.PDF but it is a zip file, or an Office document/);
});
