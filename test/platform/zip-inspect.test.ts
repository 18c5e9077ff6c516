// The check of what a zip holds at every depth (src/platform/zip/inspect.ts, decision 83): passwords in
// zips inside zips, names that unzip outside their folder with either slash, bombs by their declared
// sizes, zips nested too deep or too large to look inside, damaged data, symbolic links, entries the
// central directory does not list; and ordinary zips, a zip of ordinary zips, and zips written to a stream
// (data descriptors) or as Zip64, taken. Zips made here (test/support/zips.ts, the hostile corpus's generator).
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import { ZipFile } from 'yazl';
import { inspectZip, unsafeEntryName, ZIP_LIMITS } from '../../src/platform/zip/inspect.ts';
import { spacesEntry, zipBombs, zipOf as zipOfSpecs } from '../fixtures/hostile/generate.ts';
import {
  markedEncrypted,
  nestedIn,
  renamed,
  withUnixModes,
  withUnlisted,
  zipOf,
  zipWithDescriptor,
} from '../support/zips.ts';

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

/** A zip as yazl writes it to a stream, whose sizes it does not know beforehand (bit 3: data descriptors). */
async function streamedZip(options: { compress: boolean; forceZip64Format: boolean }): Promise<Buffer> {
  const zip = new ZipFile();
  zip.addReadStream(Readable.from([Buffer.from('UPN,Sessions\n'.repeat(5000))]), 'attendance.csv', options);
  zip.addReadStream(Readable.from([Buffer.from('Dear parent\n')]), 'letter.txt', options);
  zip.addEmptyDirectory('Pupil files/');
  zip.addBuffer(Buffer.alloc(0), 'empty.txt');
  zip.end({ forceZip64Format: options.forceZip64Format, comment: '' });
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('zips written to a stream (data descriptors, stored or deflated) and Zip64 zips are taken', async () => {
  for (const compress of [true, false]) {
    for (const forceZip64Format of [false, true]) {
      const zip = await streamedZip({ compress, forceZip64Format });
      assert.equal(await inspectZip(zip), null, `compress ${compress}, zip64 ${forceZip64Format}`);
      assert.equal(await inspectZip(await zipOf([['inner.zip', zip]])), null);
    }
  }
  const content = Buffer.from('Plan for the pupil\n'.repeat(100));
  assert.equal(await inspectZip(zipWithDescriptor('plan.txt', 8, deflateRawSync(content), content)), null);
  assert.equal(await inspectZip(zipWithDescriptor('plan.txt', 0, content, content)), null);
});

/** The local header and data of an entry named `../../evil.txt`, as an unlisted entry would be. */
async function evilEntry(): Promise<Buffer> {
  const zip = renamed(await zipOf([['x'.repeat(14), 'echo\n']]), ['../../evil.txt']);
  return zip.subarray(0, zip.readUInt32LE(zip.length - 22 + 16));
}

test('an entry the central directory does not list is refused, however it is hidden', async () => {
  const ok = await zipOf([['ok.txt', 'hello\n']]);
  // The review's zip: a local header and data for ../../evil.txt before the directory, which lists ok.txt.
  const traversal = withUnlisted(ok, renamed(await zipOf([['x'.repeat(14), 'echo\n']]), ['../../evil.txt']));
  assert.deepEqual(await inspectZip(traversal), { kind: 'unlisted', path: [] });
  // A password-protected entry hidden the same way, an ordinary one, and one in a zip inside.
  const encrypted = withUnlisted(ok, markedEncrypted(await zipOf([['eicar.txt', EICAR]])));
  assert.deepEqual(await inspectZip(encrypted), { kind: 'unlisted', path: [] });
  assert.deepEqual(await inspectZip(withUnlisted(ok, await zipOf([['more.txt', 'x']]))), {
    kind: 'unlisted',
    path: [],
  });
  assert.deepEqual(await inspectZip(await zipOf([['inner.zip', encrypted]])), {
    kind: 'unlisted',
    path: ['inner.zip'],
  });
  // The entry limit is not passed by entries the directory leaves out: 1 listed, 10,000 more hidden.
  const x = { deflated: deflateRawSync('x'), size: 1, crc: crc32('x') };
  const many = zipOfSpecs(
    Array.from({ length: ZIP_LIMITS.entries }, (_, n) => ({ ...x, name: `f${n}.txt` })),
  );
  assert.deepEqual(await inspectZip(withUnlisted(ok, many)), { kind: 'unlisted', path: [] });
  // Two directory entries for one local header (an overlapping bomb), and a directory whose end record
  // counts fewer entries than it holds (a program reading the directory by its size finds the other).
  const two = await zipOf([
    ['a.txt', 'a'],
    ['b.txt', 'b'],
  ]);
  const overlapping = Buffer.from(two);
  const end = overlapping.length - 22;
  const first = overlapping.readUInt32LE(end + 16);
  const second =
    first +
    46 +
    overlapping.readUInt16LE(first + 28) +
    overlapping.readUInt16LE(first + 30) +
    overlapping.readUInt16LE(first + 32);
  overlapping.writeUInt32LE(0, second + 42);
  assert.deepEqual(await inspectZip(overlapping), { kind: 'unlisted', path: [] });
  // Here a second record, for the same local header under another name, past the count.
  const one = await zipOf([['a.txt', 'a']]);
  const directory = one.subarray(one.readUInt32LE(one.length - 22 + 16), one.length - 22);
  const record = Buffer.from(directory);
  record.write('b.txt', 46, 'latin1');
  const undercounted = Buffer.concat([
    one.subarray(0, one.length - 22),
    record,
    one.subarray(one.length - 22),
  ]);
  undercounted.writeUInt32LE(directory.length * 2, undercounted.length - 22 + 12);
  assert.deepEqual(await inspectZip(undercounted), { kind: 'unlisted', path: [] });
});

test('an entry whose data ends, for a program reading from the start, before the directory says is refused', async () => {
  // Bit 3: a streaming reader ends a deflated entry where its deflate stream ends, and reads its data
  // descriptor there; what the directory counts as the rest of its data is read as further entries.
  const content = Buffer.from('hello\n');
  const deflated = deflateRawSync(content);
  const descriptor = Buffer.alloc(16);
  descriptor.writeUInt32LE(0x08074b50, 0);
  descriptor.writeUInt32LE(crc32(content) >>> 0, 4);
  descriptor.writeUInt32LE(deflated.length, 8);
  descriptor.writeUInt32LE(content.length, 12);
  const early = Buffer.concat([deflated, descriptor, await evilEntry()]);
  assert.deepEqual(await inspectZip(zipWithDescriptor('ok.txt', 8, early, content)), {
    kind: 'unlisted',
    path: [],
  });
  // Stored: libarchive ends it at the first descriptor signature followed by the size read so far.
  descriptor.writeUInt32LE(content.length, 8);
  const stored = Buffer.concat([content, descriptor, await evilEntry()]);
  assert.deepEqual(await inspectZip(zipWithDescriptor('ok.txt', 0, stored, stored)), {
    kind: 'unlisted',
    path: [],
  });
});

test('symbolic links are refused: to an absolute path, or a folder link that a later entry unzips through', async () => {
  assert.deepEqual(await inspectZip(withUnixModes(await zipOf([['passwd', '/etc/passwd']]), [0o120777])), {
    kind: 'symlink',
    path: ['passwd'],
  });
  const throughLink = withUnixModes(
    await zipOf([
      ['up', '../../../../tmp'],
      ['up/pwned.txt', 'x'],
    ]),
    [0o120777, 0o100644],
  );
  assert.deepEqual(await inspectZip(throughLink), { kind: 'symlink', path: ['up'] });
  assert.deepEqual(await inspectZip(await zipOf([['inner.zip', throughLink]])), {
    kind: 'symlink',
    path: ['inner.zip', 'up'],
  });
  // Files and folders with Unix modes, as Info-ZIP and macOS write them, are taken.
  const unix = withUnixModes(
    await zipOf([
      ['letters/', undefined],
      ['letters/a.txt', 'x'],
      ['run.sh', 'echo'],
    ]),
    [0o040755, 0o100644, 0o100755],
  );
  assert.equal(await inspectZip(unix), null);
});
