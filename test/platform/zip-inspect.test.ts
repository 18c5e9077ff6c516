// The check of what a zip holds at every depth (src/platform/zip/inspect.ts, decision 83): passwords in
// zips inside zips, names that unzip outside their folder with either slash, bombs by their declared
// sizes, zips nested too deep or too large to look inside, damaged data; and ordinary zips, and a zip of
// ordinary zips, taken. Zips made here (test/support/zips.ts, the hostile corpus's generator).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import { inspectZip, unsafeEntryName, ZIP_LIMITS } from '../../src/platform/zip/inspect.ts';
import { spacesEntry, zipBombs, zipOf as zipOfSpecs } from '../fixtures/hostile/generate.ts';
import { markedEncrypted, nestedIn, renamed, zipOf } from '../support/zips.ts';

const MB = 1024 * 1024;
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

/** A few office documents, as a school zips them. */
const documents = () =>
  zipOf([
    ['Pupil files/', undefined],
    ['Pupil files/SEN plan.txt', 'Plan for the pupil\n'.repeat(200)],
    ['Pupil files/attendance.csv', 'UPN,Sessions\n'.repeat(500)],
    ['letter.txt', 'Dear parent\n'],
  ]);

test('an ordinary zip of documents, a zip holding zips, and a Word file with a workbook in it are taken', async () => {
  const plain = await documents();
  assert.equal(await inspectZip(plain), null);
  assert.equal(
    await inspectZip(
      await zipOf([
        ['a.zip', plain],
        ['b.zip', plain],
        ['notes.txt', 'x'],
      ]),
    ),
    null,
  );
  // A zip stored, not deflated, inside (zip -0), and an office file's zip in a zip in the upload.
  assert.equal(await inspectZip(await zipOf([['stored.zip', plain]], { compress: false })), null);
  const docx = await zipOf([
    ['word/document.xml', '<w/>'.repeat(100)],
    ['word/embeddings/sheet.xlsx', plain],
  ]);
  assert.equal(await inspectZip(await zipOf([['report.docx', docx]])), null);
  // The upload and three zips within it: the deepest looked inside.
  assert.equal(await inspectZip(await nestedIn(plain, ZIP_LIMITS.depth - 1)), null);
  // An empty zip holds nothing to check.
  assert.equal(await inspectZip(await zipOf([])), null);
});

test('a password-protected file inside a zip inside the zip is found, however it is stored', async () => {
  const inner = markedEncrypted(await zipOf([['eicar.txt', EICAR]]));
  // The security test's repro: zip -P secret inner.zip eicar.txt; zip outer.zip inner.zip.
  assert.deepEqual(await inspectZip(await zipOf([['inner.zip', inner]])), {
    kind: 'encrypted',
    path: ['inner.zip', 'eicar.txt'],
  });
  assert.deepEqual(
    await inspectZip(
      await zipOf(
        [
          ['notes.txt', 'x'],
          ['inner.zip', inner],
        ],
        { compress: false },
      ),
    ),
    {
      kind: 'encrypted',
      path: ['inner.zip', 'eicar.txt'],
    },
  );
  // Under another name (a program opening it by its content finds a zip all the same), deeper down.
  assert.deepEqual(await inspectZip(await nestedIn(await zipOf([['photo.jpg', inner]]), 2)), {
    kind: 'encrypted',
    path: ['level-1.zip', 'level-2.zip', 'photo.jpg', 'eicar.txt'],
  });
  // At the top, as decision 73 found.
  assert.deepEqual(await inspectZip(inner), { kind: 'encrypted', path: ['eicar.txt'] });
});

test('a password marked only in an entry’s local header is found', async () => {
  const zip = await zipOf([['eicar.txt', EICAR]]);
  const local = Buffer.from(zip);
  local.writeUInt16LE(local.readUInt16LE(6) | 1, 6);
  assert.deepEqual(await inspectZip(local), { kind: 'encrypted', path: ['eicar.txt'] });
});

test('names that unzip outside their folder are found, with either slash, at any depth', async () => {
  for (const name of [
    '../../../../Users/Public/Desktop/report.bat',
    '..\\..\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\x.bat',
    '/etc/cron.d/x',
    '\\\\server\\share\\x.bat',
    'C:\\Users\\Public\\x.bat',
    'c:x.bat',
    'letters/../../x.bat',
    'letters\\.. \\x.bat',
    'letters/.../x.bat',
  ]) {
    assert.ok(unsafeEntryName(name), name);
    const zip = renamed(await zipOf([['x'.repeat(name.length), 'echo\n']]), [name]);
    assert.deepEqual(await inspectZip(zip), { kind: 'unsafe-name', path: [name] }, name);
    assert.deepEqual(await inspectZip(await zipOf([['inner.zip', zip]])), {
      kind: 'unsafe-name',
      path: ['inner.zip', name],
    });
  }
  for (const name of [
    'letters/report.txt',
    '..report.txt',
    'a..b/c.txt',
    'Pupil files/./x.txt',
    'notes:1.txt',
  ]) {
    assert.equal(unsafeEntryName(name), false, name);
  }
  // A name that lies only in the local header (a program reading the zip from its start goes by it).
  const zip = await zipOf([['abcdefgh.bat', 'echo\n']]);
  const local = Buffer.from(zip);
  Buffer.from('../../x.bat!', 'latin1').copy(local, 30);
  assert.deepEqual(await inspectZip(local), { kind: 'unsafe-name', path: ['abcdefgh.bat'] });
});

test('a bomb is refused by the sizes it declares', async () => {
  // 1.9 MB that expands to 2 GB: 200 files of 10 MB.
  const bomb = zipOfSpecs(Array.from({ length: 200 }, (_, n) => spacesEntry(`part-${n}.txt`, 10 * MB)));
  assert.ok(bomb.length < 3 * MB, `${bomb.length} bytes`);
  assert.deepEqual(await inspectZip(bomb), { kind: 'too-large', path: [] });
  // 42.zip-style: 16 zips of a 16 MB file, found as the inner directories are read.
  const { nested, wide } = zipBombs((n) => `return-${n}.xml`);
  assert.equal((await inspectZip(nested))?.kind, 'too-large');
  assert.equal((await inspectZip(wide))?.kind, 'too-large');
  // Just under the bound is taken.
  assert.equal(
    await inspectZip(zipOfSpecs([spacesEntry('big.txt', ZIP_LIMITS.uncompressedBytes - 100)])),
    null,
  );
});

test('a zip inside that says it is smaller than it inflates to is damaged, and inflated no further', async () => {
  const inner = await zipOf([['eicar.txt', markedEncrypted(await zipOf([['x', EICAR]]))]]);
  const lying = zipOfSpecs([
    { name: 'inner.zip', deflated: deflateRawSync(inner), size: 200, crc: crc32(inner) },
  ]);
  assert.deepEqual(await inspectZip(lying), { kind: 'damaged', path: ['inner.zip'] });
  // Smaller than any zip: still looked at, as a program unzipping it reads what the data holds.
  const tiny = zipOfSpecs([
    { name: 'inner.zip', deflated: deflateRawSync(inner), size: 50, crc: crc32(inner) },
  ]);
  assert.deepEqual(await inspectZip(tiny), { kind: 'damaged', path: ['inner.zip'] });
});

test('too deep, too large to look inside, too many files, or another compression: refused as not checkable', async () => {
  const plain = await documents();
  assert.deepEqual(await inspectZip(await nestedIn(plain, ZIP_LIMITS.depth)), {
    kind: 'too-deep',
    path: ['level-1.zip', 'level-2.zip', 'level-3.zip', 'level-4.zip'],
  });
  const limits = { ...ZIP_LIMITS, nestedZipBytes: plain.length - 1 };
  assert.deepEqual(await inspectZip(await zipOf([['inner.zip', plain]]), limits), {
    kind: 'nested-too-large',
    path: ['inner.zip'],
  });
  assert.deepEqual(await inspectZip(await zipOf([['inner.zip', plain]]), { ...ZIP_LIMITS, entries: 4 }), {
    kind: 'too-many',
    path: ['inner.zip'],
  });
  // Method 12 (bzip2): s2s cannot look at what it holds.
  const bzip = Buffer.from(await zipOf([['x.txt', 'x'.repeat(200)]]));
  const end = bzip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const central = bzip.readUInt32LE(end + 16);
  bzip.writeUInt16LE(12, central + 10);
  bzip.writeUInt16LE(12, 8);
  assert.deepEqual(await inspectZip(bzip), { kind: 'unsupported', path: ['x.txt'] });
});

test('damaged zips: cut short, or a damaged zip inside', async () => {
  const plain = await documents();
  assert.deepEqual(await inspectZip(plain.subarray(0, plain.length - 10)), { kind: 'damaged', path: [] });
  assert.deepEqual(await inspectZip(plain.subarray(0, 100)), { kind: 'damaged', path: [] });
  const cut = Buffer.concat([plain.subarray(0, 200), Buffer.alloc(200, 0x20)]);
  assert.deepEqual(await inspectZip(await zipOf([['inner.zip', cut]])), {
    kind: 'damaged',
    path: ['inner.zip'],
  });
  // Deflated data that does not inflate.
  const bad = zipOfSpecs([{ name: 'x.txt', deflated: Buffer.alloc(200, 0xff), size: 500, crc: 0 }]);
  assert.deepEqual(await inspectZip(bad), { kind: 'damaged', path: ['x.txt'] });
});
