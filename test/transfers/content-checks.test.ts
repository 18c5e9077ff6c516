// The content checks of uploads (step 6), in this thread and on worker threads: the same file gives
// the same reasons, warnings and pupils either way, whatever is wrong with it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { censusPupilsPage, censusSummary, checkCensusReturn } from '../../src/collect/census-check.ts';
import { BufferPool, poolOf } from '../../src/platform/buffer-pool.ts';
import { translateMessage } from '../../src/platform/i18n/catalogue.ts';
import { PoolBusy, PoolClosed } from '../../src/platform/workers/pool.ts';
import { PooledContentChecks } from '../../src/transfers/content-check-pool.ts';
import { checkContent, inlineContentChecks } from '../../src/transfers/content-checks.ts';
import { type ClassifiedFilename, classifyFilename } from '../../src/transfers/filenames.ts';
import { syntheticCtf } from '../fixtures/ctf/generate.ts';
import { spacesEntry, zipOf as zipOfSpecs } from '../fixtures/hostile/generate.ts';
import { markedEncrypted, renamed, withUnixModes, withUnlisted, zipOf } from '../support/zips.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

function named(name: string): ClassifiedFilename {
  const result = classifyFilename(name);
  if (!result.ok) throw new Error(`${name}: ${result.problems.join('; ')}`);
  return result.file;
}

/** Every XML fixture: good and bad CTFs, census returns, and the hostile corpus. */
const files = ['ctf', 'census', 'hostile'].flatMap((folder) =>
  readdirSync(join(FIXTURES, folder))
    .filter((name) => /\.xml$/i.test(name))
    .map((name) => ({ label: `${folder}/${name}`, data: readFileSync(join(FIXTURES, folder, name)) })),
);

/** The same bytes under each kind of name the checks treat differently. */
const NAMES = [
  '9162001_CTF_8013456_003.XML',
  '9162001_CTF_XXXXXXXX_008.XML',
  '9164002_SC1_916LL25_001.XML',
  '9165402_ATF_916ADMS_001.XML',
  '9165402_123_8171234_005.PDF',
].map(named);

let pooled: PooledContentChecks;
before(() => {
  pooled = new PooledContentChecks({ workers: 2 });
});
after(async () => {
  await pooled.close();
});

test('every fixture reads the same on a worker thread as in this one, under every kind of name', async () => {
  assert.ok(files.length > 20, 'the fixtures were found');
  const pending = files.flatMap(({ label, data }) =>
    NAMES.map(async (file) => {
      const here = await checkContent(file, data);
      const there = await pooled.handOver(file, Buffer.from(data));
      assert.deepEqual(there.check, here, `${label} as ${file.name}`);
      assert.ok(there.data.equals(data), `${label}: the same bytes come back`);
      return here.reasons.length;
    }),
  );
  const refused = (await Promise.all(pending)).filter((reasons) => reasons > 0).length;
  assert.ok(refused > 10, 'refusals were compared too');
  assert.ok(pooled.stats().started > 0, 'the workers did the reading');
});

test('bytes handed over to a worker are moved there, not copied, and come back as they were with the same check', async () => {
  const file = named('9162001_CTF_8013456_003.XML');
  const xml = Buffer.from(syntheticCtf(300));
  const here = await checkContent(file, xml);

  // An upload's bytes fill their own allocation: they move to the worker and back.
  const upload = Buffer.from(xml);
  const moved = await pooled.handOver(file, upload);
  assert.equal(upload.length, 0, 'moved, not copied: the Buffer given is left empty');
  assert.deepEqual(moved.check, here);
  assert.ok(moved.data.equals(xml), 'the same bytes come back');

  // A view of a larger allocation, or bytes in shared memory, stay where they are.
  const larger = Buffer.concat([Buffer.from('prefix'), xml]);
  const view = larger.subarray(6);
  const fromView = await pooled.handOver(file, view);
  assert.ok(view.equals(xml) && fromView.data.equals(xml));
  assert.deepEqual(fromView.check, here);
  const shared = Buffer.from(new SharedArrayBuffer(xml.length));
  xml.copy(shared);
  const fromShared = await pooled.handOver(file, shared);
  assert.ok(shared.equals(xml) && fromShared.data.equals(xml));

  // A file only sniffed is checked here, its Buffer untouched; and so is every file checked inline.
  const pdf = Buffer.from('%PDF-1.7\n');
  const sniffed = await pooled.handOver(named('9165402_123_8171234_005.PDF'), pdf);
  assert.equal(sniffed.data, pdf);
  const inline = await inlineContentChecks.handOver(file, xml);
  assert.equal(inline.data, xml);
  assert.deepEqual(inline.check, here);
});

test("an upload's bytes in memory lent by a pool move to the worker with it, and come back lent by the pool", async () => {
  const file = named('9162001_CTF_8013456_003.XML');
  const xml = Buffer.from(syntheticCtf(40));
  const here = await checkContent(file, xml);
  const pool = new BufferPool(16 * 1024 * 1024);
  const lent = pool.take(xml.length);
  xml.copy(lent);
  assert.ok(lent.buffer.byteLength > lent.length, 'the start of a larger allocation');
  const moved = await pooled.handOver(file, lent);
  assert.equal(lent.length, 0, 'moved, not copied');
  assert.deepEqual(moved.check, here);
  assert.ok(moved.data.equals(xml));
  assert.equal(moved.data.buffer.byteLength, 1024 * 1024, 'the whole allocation came back');
  assert.equal(poolOf(moved.data.buffer), pool);
  pool.give(moved.data);
  assert.equal(pool.spare, 1024 * 1024, 'and is kept for the next upload');
});

test('a census return is read and checked the same on a worker thread, readable or not', async () => {
  const input = (data: Buffer) => ({
    data,
    schoolLaNumber: '916',
    currentLaNumbers: ['916', '803', '886'],
  });
  let readable = 0;
  for (const { label, data } of files) {
    const here = await checkCensusReturn(input(data));
    assert.deepEqual(await pooled.checkCensusReturn(input(data)), here, label);
    if (here.readable) readable += 1;
  }
  assert.ok(readable >= 2 && readable < files.length, 'returns read and files refused were compared');
  const census = await checkCensusReturn(input(readFileSync(join(FIXTURES, 'census', 'valid-autumn.xml'))));
  assert.ok(census.readable && census.pupils === 13 && census.pupilsToMatch.length === 11);
});

test("a page of a stored census return's pupils is read the same on a worker thread: every pupil once, in order, a page past the end is the last", async () => {
  const data = readFileSync(join(FIXTURES, 'census', 'valid-autumn.xml'));
  const pageOf = (page: number) => ({ data, page, perPage: 5 });
  const seen = [];
  for (const page of [1, 2, 3]) {
    const here = await censusPupilsPage(pageOf(page));
    assert.deepEqual(await pooled.censusPupilsPage(pageOf(page)), here);
    assert.equal(here.page, page);
    assert.equal(here.pages, 3);
    assert.equal(here.total, 13);
    seen.push(...here.pupils.map((p) => `${p.onRoll}:${p.position}`));
  }
  const onRoll = seen.filter((key) => key.startsWith('true:')).length;
  assert.equal(new Set(seen).size, 13);
  assert.deepEqual(
    seen,
    [...seen].sort((a, b) => Number(b.startsWith('true:')) - Number(a.startsWith('true:'))),
    'on roll first',
  );
  assert.ok(onRoll > 0 && onRoll < 13, 'both lists were paged');
  assert.equal((await pooled.censusPupilsPage(pageOf(9))).page, 3);
  assert.equal((await pooled.censusPupilsPage(pageOf(0))).page, 1);
});

test("a stored census return's summary is counted the same on a worker thread", async () => {
  const data = readFileSync(join(FIXTURES, 'census', 'valid-autumn.xml'));
  const here = await censusSummary({ data });
  assert.equal(here.onRoll, 11);
  assert.equal(here.noLongerOnRoll, 2);
  assert.deepEqual(await pooled.censusSummary({ data }), here);
});

test('files that are only sniffed (generic and other typed files) are checked without a worker', async () => {
  const checks = new PooledContentChecks({ workers: 1 });
  try {
    const pdf = named('9165402_123_8171234_005.PDF');
    assert.deepEqual((await checks.handOver(pdf, Buffer.from('%PDF-1.7\n'))).check, {
      reasons: [],
      warnings: [],
      pupils: [],
      pupilCount: 0,
    });
    assert.equal((await checks.handOver(pdf, Buffer.from('<html>'))).check.reasons.length, 1);
    assert.equal(checks.stats().started, 0);
  } finally {
    await checks.close();
  }
});

test('a password-protected zip is refused: its contents cannot be checked for viruses', async () => {
  const zip = await zipOf([
    ['pupils.csv', 'UPN,Surname\n'],
    ['notes/plan.txt', 'Plan\n'],
  ]);
  const generic = named('9165402_8171234_PLANS.ZIP');
  assert.deepEqual(
    (await checkContent(generic, zip)).reasons,
    [],
    'the same zip without a password is taken',
  );
  // One entry with a password is enough: the virus could be in it.
  const { reasons } = await checkContent(generic, markedEncrypted(zip));
  assert.deepEqual(
    reasons.map((reason) => translateMessage('en', reason)),
    [
      'The zip is password-protected, so s2s cannot check what is in it for viruses. s2s keeps every file ' +
        'encrypted and offers it only to its destination: zip the files again without a password and upload the zip',
    ],
  );
});

/** A refusal's reasons and what to do, in a language. */
async function refusalOf(name: string, data: Buffer, language: 'en' | 'cy' = 'en') {
  const check = await checkContent(named(name), data);
  return {
    reasons: check.reasons.map((reason) => translateMessage(language, reason)),
    whatToDo: check.whatToDo && translateMessage(language, check.whatToDo),
  };
}

const ZIP_ADVICE =
  'Unzip the zip on your computer and check the files are the ones you mean to send. Then zip those files ' +
  "again, without a password and with no zip inside the zip (your computer's “Send to > Compressed (zipped) " +
  'folder” does this), and upload the new zip. s2s keeps every file encrypted and offers it only to its destination.';

test('a password-protected zip inside the zip is refused, named, in English and Welsh (decision 83)', async () => {
  // The security test's repro: zip -P secret inner.zip eicar.txt; zip 2013614_8602216_NESTED_001.ZIP inner.zip
  const inner = markedEncrypted(await zipOf([['eicar.txt', 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR']]));
  const outer = await zipOf([['inner.zip', inner]]);
  assert.deepEqual(await refusalOf('2013614_8602216_NESTED_001.ZIP', outer), {
    reasons: [
      'The zip holds inner.zip/eicar.txt, which is password-protected, so s2s cannot check what is in it for viruses',
    ],
    whatToDo: ZIP_ADVICE,
  });
  const welsh = await refusalOf('2013614_8602216_NESTED_001.ZIP', outer, 'cy');
  assert.match(
    welsh.reasons[0] ?? '',
    /^Mae’r ffeil zip yn cynnwys inner\.zip\/eicar\.txt, sydd wedi’i diogelu â chyfrinair/,
  );
  assert.match(welsh.whatToDo ?? '', /^Dadsipiwch y ffeil zip/);
  // An Office file is a zip too.
  assert.equal((await refusalOf('2013614_8602216_REPORT.DOCX', outer)).reasons.length, 1);
});

test('a zip with a name that unzips outside its folder (zip slip) is refused, with either slash', async () => {
  for (const name of [
    '../../../../Users/Public/Desktop/report.bat',
    '..\\..\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\x.bat',
  ]) {
    const zip = renamed(await zipOf([['x'.repeat(name.length), 'echo off\n']]), [name]);
    assert.deepEqual(
      await refusalOf('2013614_8602216_SLIP_001.ZIP', zip),
      {
        reasons: [
          `The zip holds a file named ${name}: unzipped, it would be written outside the folder it is unzipped into (its name starts with a drive, a slash or a backslash, or goes up a folder with “..”)`,
        ],
        whatToDo: ZIP_ADVICE,
      },
      name,
    );
  }
});

test('a zip holding a symbolic link, or an entry its list of files leaves out, is refused, in English and Welsh', async () => {
  const link = withUnixModes(await zipOf([['passwd', '/etc/passwd']]), [0o120777]);
  assert.deepEqual(await refusalOf('2013614_8602216_LINK_001.ZIP', link), {
    reasons: [
      'The zip holds passwd, a link to another place on the computer rather than a file: unzipped, it could lead to files outside the folder it is unzipped into being read or written',
    ],
    whatToDo: ZIP_ADVICE,
  });
  assert.match(
    (await refusalOf('2013614_8602216_LINK_001.ZIP', link, 'cy')).reasons[0] ?? '',
    /^Mae’r ffeil zip yn cynnwys passwd, sef dolen i le arall ar y cyfrifiadur/,
  );
  const evil = renamed(await zipOf([['x'.repeat(14), 'echo off\n']]), ['../../evil.txt']);
  const unlisted = withUnlisted(await zipOf([['ok.txt', 'hello\n']]), evil);
  assert.deepEqual(await refusalOf('2013614_8602216_HIDDEN_001.ZIP', unlisted), {
    reasons: [
      'The zip’s list of its files does not match the files stored in it: some unzipping programs would find files the list does not name, so s2s cannot check everything in it for viruses',
    ],
    whatToDo: ZIP_ADVICE,
  });
  assert.match(
    (await refusalOf('2013614_8602216_HIDDEN_001.ZIP', unlisted, 'cy')).reasons[0] ?? '',
    /^Nid yw rhestr y ffeil zip o’i ffeiliau yn cyfateb/,
  );
  assert.deepEqual(
    (await refusalOf('2013614_8602216_HIDDEN_002.ZIP', await zipOf([['inner.zip', unlisted]]))).reasons,
    [
      'The zip holds inner.zip, a zip whose list of its files does not match the files stored in it: some unzipping programs would find files the list does not name, so s2s cannot check everything in it for viruses',
    ],
  );
});

test('a zip bomb is refused for what it expands to; an ordinary zip, and a zip of ordinary zips, are taken', async () => {
  // 1.9 MB that expands to 2 GB: 200 files of 10 MB.
  const bomb = zipOfSpecs(
    Array.from({ length: 200 }, (_, n) => spacesEntry(`part-${n}.txt`, 10 * 1024 * 1024)),
  );
  const { reasons, whatToDo } = await refusalOf('2013614_8602216_BOMB_001.ZIP', bomb);
  assert.deepEqual(reasons, [
    'The files in the zip come to more than 100 MB once unzipped (counting any zip inside it), more than s2s can check for viruses',
  ]);
  assert.match(
    whatToDo ?? '',
    /^Check you chose the right file: a zip of pupils' documents is rarely more than/,
  );

  const documents = await zipOf([
    ['Pupil files/SEN plan.txt', 'Plan\n'.repeat(500)],
    ['Pupil files/attendance.csv', 'UPN,Sessions\n'.repeat(500)],
  ]);
  const generic = named('2013614_8602216_PLANS.ZIP');
  assert.deepEqual((await checkContent(generic, documents)).reasons, []);
  assert.deepEqual(
    (
      await checkContent(
        generic,
        await zipOf([
          ['one.zip', documents],
          ['two.zip', documents],
        ]),
      )
    ).reasons,
    [],
  );
});

test('a file named as a zip that cannot be opened as one is refused as damaged, and so is a damaged zip inside', async () => {
  const zip = await zipOf([['pupils.csv', 'UPN,Surname\n'.repeat(50)]]);
  assert.deepEqual(await refusalOf('2013614_8602216_CUT_001.XLSX', zip.subarray(0, zip.length - 10)), {
    reasons: [
      'The file is named .XLSX, which is a zip, and starts like one, but it cannot be opened as a zip: it is damaged or was cut short',
    ],
    whatToDo:
      'Check the file opens on your computer. Make it again from what it came from (or save it again from the program that made it), then upload the new file.',
  });
  const inside = await zipOf([['inner.zip', zip.subarray(0, zip.length - 10)]]);
  assert.deepEqual((await refusalOf('2013614_8602216_CUT_002.ZIP', inside)).reasons, [
    'The zip holds inner.zip, which cannot be unzipped: it is damaged, so s2s cannot check it for viruses',
  ]);
});

test('once closed, checks reject with PoolClosed', async () => {
  const checks = new PooledContentChecks({ workers: 1 });
  await checks.close();
  await assert.rejects(
    checks.handOver(named('9162001_CTF_8013456_003.XML'), Buffer.from('<CTfile/>')),
    PoolClosed,
  );
});

test('a burst of uploads waits for the worker, bounded by the bytes waiting rather than their number', async () => {
  const file = named('9162001_CTF_8013456_003.XML');
  const xml = Buffer.from(syntheticCtf(20));
  const one = new PooledContentChecks({ workers: 1, maxQueuedBytes: 200 * xml.length });
  try {
    // 200 schools' CTFs at once, all asked before any is read: every one is read, none refused.
    const burst = Array.from({ length: 200 }, () => one.handOver(file, Buffer.from(xml)));
    // The worker holds two (the one it reads, the next), and the rest wait.
    assert.equal(one.stats().queued, 198);
    const results = await Promise.all(burst);
    assert.ok(results.every(({ check }) => check.reasons.length === 0 && check.pupils.length === 20));
    // Past the bytes: the next file is refused at once (the upload says so); the waiting ones go on.
    // Two with the worker and 200 waiting fill it.
    const full = Array.from({ length: 203 }, () => one.handOver(file, Buffer.from(xml)));
    await assert.rejects(full.at(-1) as Promise<unknown>, PoolBusy);
    assert.equal((await Promise.all(full.slice(0, 202))).length, 202);
  } finally {
    await one.close();
  }
});

test('a pupil name longer than its column is shortened with an ellipsis, never cut without a sign', async () => {
  const file = named('9162001_CTF_8013456_003.XML');
  const data = readFileSync(join(FIXTURES, 'ctf', '9162001_CTF_8013456_003.XML'), 'utf8');
  const long = `${'Ŵ'.repeat(60)}${'a'.repeat(60)}`;
  const check = await checkContent(file, Buffer.from(data.replace(/<Surname>[^<]*</, `<Surname>${long}<`)));
  const surname = check.pupils[0]?.surname ?? '';
  assert.equal(Array.from(surname).length, 100);
  assert.equal(surname, `${long.slice(0, 99)}…`);
  // A name that fits is kept whole.
  const fits = await checkContent(
    file,
    Buffer.from(data.replace(/<Surname>[^<]*</, `<Surname>${long.slice(0, 100)}<`)),
  );
  assert.equal(fits.pupils[0]?.surname, long.slice(0, 100));
});
