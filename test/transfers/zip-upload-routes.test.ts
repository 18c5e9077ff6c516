// What is inside an uploaded zip is checked before it is offered (decision 83), through Upload Generic
// File and POST /api/v1/files, on both engines, with a REAL clamd (test/support/clamd.ts): a zip holding a
// password-protected zip, which clamd calls clean, is refused as decision 73's password-protected zip is
// (the page, the API's 422, the refusal email, the audit), and so are names that unzip outside their
// folder, a bomb and a damaged zip; an ordinary zip, and a zip holding one, are scanned and offered.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db, EstablishmentRow, UserRow } from '../../src/platform/db/schema.ts';
import { makeToken, uploadFiles } from '../api/support.ts';
import { spacesEntry, zipOf as zipOfSpecs } from '../fixtures/hostile/generate.ts';
import { EICAR, EICAR_SIGNATURE, TestClamd } from '../support/clamd.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool } from '../support/factories.ts';
import { type Agent, createTestApp, signedInUser, type TestApp, textOf } from '../support/web.ts';
import { markedEncrypted, renamed, zipOf } from '../support/zips.ts';

let clamd: TestClamd;
before(async () => {
  clamd = await TestClamd.start();
});
after(async () => {
  await clamd?.stop();
});

const NESTED_REASON =
  'The zip holds inner.zip/eicar.txt, which is password-protected, so s2s cannot check what is in it for viruses.';
const ADVICE = /Unzip the zip on your computer and check the files are the ones you mean to send\./;

describeEachEngine('zips checked inside before they are offered', (database) => {
  let t: TestApp;
  let db: Db;
  let school: EstablishmentRow;
  let dest: EstablishmentRow;
  let sender: { agent: Agent; user: UserRow };
  let token: string;
  let number = 0;

  before(async () => {
    db = database().db;
    t = await createTestApp(db, { CLAMD_SOCKET: clamd.socket });
    const la = await makeLa(db);
    const otherLa = await makeLa(db);
    school = await makeSchool(db, la.number, { name: 'Hillside Primary School' });
    dest = await makeSchool(db, otherLa.number, { name: 'Riverside Primary School' });
    sender = await signedInUser(t, 'school', { laNumber: la.number, establishmentNumber: school.number });
    token = await makeToken(db, sender.user);
  });
  after(async () => {
    await t.app.close();
  });

  const zipName = (what: string) => {
    number += 1;
    return `${school.number}_${dest.number}_${what}_${String(number).padStart(3, '0')}.ZIP`;
  };

  async function uploadPage(filename: string, content: Buffer): Promise<string> {
    await sender.agent.get('/upload/generic');
    const response = await sender.agent.postMultipart('/upload/generic', [{ filename, content }]);
    assert.equal(response.statusCode, 200, response.body.slice(0, 500));
    // The page escapes a backslash as &#92;.
    return textOf(response.body).replaceAll('&#92;', '\\');
  }

  async function uploadApi(filename: string, content: Buffer) {
    const response = await uploadFiles(t.app, token, [{ filename, content }]);
    return { status: response.statusCode, body: response.json() };
  }

  const stored = (filename: string) =>
    db
      .selectFrom('transfers')
      .select(['id', 'status', 'scan_status'])
      .where('filename', '=', filename)
      .execute();

  const refusalsOf = async (filename: string) => ({
    audit: (
      await db
        .selectFrom('audit_events')
        .select('detail')
        .where('action', '=', 'upload-refused')
        .where('detail', 'like', `%${filename}%`)
        .execute()
    ).map((row) => JSON.parse(row.detail ?? '{}').reasons),
    emails: (
      await db
        .selectFrom('notification_outbox')
        .select(['template', 'recipient', 'payload'])
        .where('payload', 'like', `%${filename}%`)
        .execute()
    ).map((row) => [row.template, row.recipient, JSON.parse(row.payload).reasons]),
  });

  /** The security test's zip: a password-protected zip holding EICAR, zipped again. */
  const nestedEncrypted = async () =>
    zipOf([['inner.zip', markedEncrypted(await zipOf([['eicar.txt', EICAR]]))]]);

  test('a zip holding a password-protected zip is refused on the Upload page, emailed and audited, never offered', async () => {
    const name = zipName('NESTED');
    const page = await uploadPage(name, await nestedEncrypted());
    assert.match(page, /Not uploaded/);
    assert.ok(page.includes(NESTED_REASON), page);
    assert.match(page, ADVICE);
    assert.doesNotMatch(page, /No virus found/);
    assert.match(page, /We have also emailed you the reasons/);
    assert.deepEqual(await stored(name), [], 'nothing stored, nothing offered');
    assert.deepEqual(await refusalsOf(name), {
      audit: [[NESTED_REASON]],
      emails: [['upload-refused', sender.user.id, NESTED_REASON]],
    });
  });

  test('the same zip through the API is refused with 422 and the page’s reason and what to do', async () => {
    const name = zipName('NESTED');
    const { status, body } = await uploadApi(name, await nestedEncrypted());
    assert.equal(status, 422, JSON.stringify(body));
    assert.equal(body.type, '/api/docs#problem-upload-refused');
    assert.equal(body.results[0].status, 'refused');
    assert.deepEqual(body.results[0].reasons, [NESTED_REASON]);
    assert.match(body.results[0].whatToDo, ADVICE);
    assert.deepEqual(await stored(name), []);
    assert.equal((await refusalsOf(name)).audit.length, 1);
  });

  test('names that unzip outside the folder (both slashes), a bomb and a damaged zip are refused, page and API', async () => {
    const slip = async (entry: string) =>
      renamed(await zipOf([['x'.repeat(entry.length), '@echo off\n']]), [entry]);
    const cases: [string, Buffer, RegExp][] = [
      [
        'SLIP',
        await slip('../../../../Users/Public/Desktop/report.bat'),
        /The zip holds a file named \.\.\/\.\.\/\.\.\/\.\.\/Users\/Public\/Desktop\/report\.bat: unzipped, it would be written outside the folder/,
      ],
      [
        'SLIP',
        await slip('..\\..\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\x.bat'),
        /The zip holds a file named \.\.\\\.\.\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\x\.bat: unzipped/,
      ],
      [
        'BOMB',
        // 2 GB unzipped, about 2 MB sent.
        zipOfSpecs(Array.from({ length: 200 }, (_, n) => spacesEntry(`part-${n}.txt`, 10 * 1024 * 1024))),
        /The files in the zip come to more than 100 MB once unzipped/,
      ],
      [
        'CUT',
        (await nestedEncrypted()).subarray(0, 200),
        /The file is named \.ZIP, which is a zip, and starts like one, but it cannot be opened as a zip/,
      ],
    ];
    for (const [what, content, reason] of cases) {
      const onPage = zipName(what);
      const page = await uploadPage(onPage, content);
      assert.match(page, /Not uploaded/, onPage);
      assert.match(page, reason, onPage);
      const viaApi = zipName(what);
      const { status, body } = await uploadApi(viaApi, content);
      assert.equal(status, 422, JSON.stringify(body));
      assert.match(body.results[0].reasons.join(' '), reason);
      assert.deepEqual([...(await stored(onPage)), ...(await stored(viaApi))], []);
    }
  });

  test('an ordinary zip, and a zip holding an ordinary zip, are scanned and offered; clamd finds a virus in a zip inside', async () => {
    const documents = await zipOf([
      ['Pupil files/SEN plan.txt', 'Plan for the pupil\n'.repeat(100)],
      ['Pupil files/attendance.csv', 'UPN,Sessions\n'.repeat(100)],
      ['letter.txt', 'Dear parent\n'],
    ]);
    for (const content of [
      documents,
      await zipOf([
        ['documents.zip', documents],
        ['notes.txt', 'Notes\n'],
      ]),
    ]) {
      const name = zipName('PLANS');
      const page = await uploadPage(name, content);
      assert.match(page, /Uploaded/);
      assert.match(page, /No virus found: the file is offered to its destination/);
      assert.deepEqual(
        (await stored(name)).map((row) => [row.status, row.scan_status]),
        [['available', 'clean']],
      );
    }
    // Without a password, a zip inside is clamd's to read (MaxRecursion): nesting alone is not refused.
    const name = zipName('VIRUS');
    const page = await uploadPage(name, await zipOf([['inner.zip', await zipOf([['eicar.txt', EICAR]])]]));
    assert.match(
      page,
      new RegExp(`A virus was found in the file \\(${EICAR_SIGNATURE.replace(/\./g, '\\.')}\\)`),
    );
    assert.deepEqual(
      (await stored(name)).map((row) => row.status),
      ['quarantined'],
    );
  });
});
