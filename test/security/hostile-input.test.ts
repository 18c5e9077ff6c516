// The hostile input corpus (test/fixtures/hostile/, README.md there) through every entry point that
// takes it: the Upload pages, the REST API's file upload, the census upload page and API, the LA's
// bulk census zip and the CLI's file tools. Each item is refused with a status below 500 and a message
// naming the problem and what to do, shows no stack trace, records nothing (no transfer, no census
// return, no stored file) and leaves the app answering. One app on SQLite, shared by every test.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { runCensusCommand } from '../../src/collect/cli.ts';
import { runCtfCommand } from '../../src/ctf/cli.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import { MAX_UPLOAD_LIMIT, SCHOOL_UPLOAD_LIMIT } from '../../src/transfers/upload-service.ts';
import { uploadReturn } from '../api/census-support.ts';
import { makeToken, uploadFiles } from '../api/support.ts';
import { ctfBetween, syntheticPupil } from '../fixtures/ctf/generate.ts';
import {
  deepNesting,
  forgedMultipart,
  oversizeUpload,
  zipBombs,
  zipOfFile,
} from '../fixtures/hostile/generate.ts';
import { censusFilename, censusReturnXml, liveCollection } from '../support/census.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { leftBehind, readStored } from '../support/transfers.ts';
import {
  type Agent,
  createTestApp,
  errorSummary,
  signedInUser,
  type TestApp,
  textOf,
} from '../support/web.ts';

const HOSTILE = join(import.meta.dirname, '..', 'fixtures', 'hostile');
const corpus = (name: string) => readFileSync(join(HOSTILE, name));

/** The schools the corpus's CTFs name (test/fixtures/hostile/ctf/). */
const SOURCE = '9162001';
const DESTINATION = '8013456';
const OTHER_DESTINATION = '8013457';

let sequence = 0;
/** A CTF name from the corpus's school to its destination, new each time. */
function ctfName(destination = DESTINATION): string {
  sequence += 1;
  return `${SOURCE}_CTF_${destination}_${String(sequence).padStart(3, '0')}.XML`;
}
const CENSUS_NAME = censusFilename(SOURCE);

/** What an API problem tells its caller: the detail and every reason. */
function problemText(response: LightMyRequestResponse): string {
  const body = response.json() as {
    detail?: string;
    errors?: { message: string }[];
    results?: { reasons?: string[]; whatToDo?: string }[];
    reasons?: string[];
    whatToDo?: string;
  };
  return [
    body.detail,
    ...(body.errors ?? []).map((e) => e.message),
    ...(body.results ?? []).flatMap((r) => [...(r.reasons ?? []), r.whatToDo ?? '']),
    ...(body.reasons ?? []),
    body.whatToDo,
  ].join(' ');
}

/** A refusal as it must be: a status below 500, no stack trace, no path of the server's files. */
function assertClean(response: LightMyRequestResponse, what: string): void {
  assert.ok(
    response.statusCode < 500,
    `${what}: status ${response.statusCode}\n${response.body.slice(0, 2000)}`,
  );
  assert.doesNotMatch(response.body, /\n\s+at |node_modules|\.ts:\d+|\/work\/|\/etc\/passwd:/, what);
}

describe('the hostile input corpus through every entry point', () => {
  let database: TestDatabase;
  let db: Db;
  let t: TestApp;
  let schoolAgent: Agent;
  let schoolUser: UserRow;
  let laAgent: Agent;
  let schoolToken: string;
  let collectionId: string;
  let work: string;

  before(async () => {
    database = await createTestDatabase('sqlite');
    db = database.db;
    t = await createTestApp(db);
    await makeLa(db, { number: '916' });
    await makeLa(db, { number: '801' });
    await makeSchool(db, '916', { number: SOURCE, name: 'Oakfield Primary School' });
    await makeSchool(db, '801', { number: DESTINATION, name: 'Riverside Primary School' });
    await makeSchool(db, '801', { number: OTHER_DESTINATION, name: 'Brookside Primary School' });
    ({ agent: schoolAgent, user: schoolUser } = await signedInUser(t, 'school', {
      laNumber: '916',
      establishmentNumber: SOURCE,
    }));
    ({ agent: laAgent } = await signedInUser(t, 'la_user', { laNumber: '916' }));
    schoolToken = await makeToken(db, schoolUser, 'transfer');
    const creator = await makeUser(db, 'national_admin');
    collectionId = await liveCollection(db, creator, ['916']);
    work = mkdtempSync(join(tmpdir(), 's2s-hostile-'));
  });
  after(async () => {
    await t.app.close();
    await database.drop();
  });

  const recorded = () =>
    leftBehind(db, t.deps.fileStore, ['transfers', 'transfer_pupils', 'census_returns'] as const);

  /** Runs `send`, and checks it recorded nothing and that the app still answers a normal request. */
  async function nothingRecorded(send: () => Promise<void>): Promise<void> {
    const before = await recorded();
    await send();
    assert.deepEqual(await recorded(), before, 'nothing was recorded');
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200, 'the app still answers');
    const page = await schoolAgent.get('/upload/ctf');
    assert.equal(page.statusCode, 200, 'the Upload page still opens');
  }

  // -------------------------------------------------------------------------------------------------
  // The entry points

  async function webUpload(
    category: string,
    files: { filename: string; content: Buffer | string }[],
  ): Promise<{ response: LightMyRequestResponse; text: string }> {
    await schoolAgent.get(`/upload/${category}`);
    const response = await schoolAgent.postMultipart(`/upload/${category}`, files);
    assertClean(response, `web ${category}`);
    return { response, text: textOf(response.body) };
  }

  async function apiUpload(
    files: { filename: string; content: Buffer | string }[],
    query = '',
  ): Promise<{ response: LightMyRequestResponse; text: string }> {
    const response = await uploadFiles(t.app, schoolToken, files, query);
    assertClean(response, 'API upload');
    return { response, text: problemText(response) };
  }

  async function censusPage(
    filename: string,
    content: Buffer | string,
  ): Promise<{ response: LightMyRequestResponse; text: string }> {
    const url = `/collect/collections/${collectionId}/upload`;
    await schoolAgent.get(url);
    const response = await schoolAgent.postMultipart(url, [{ filename, content, field: 'file' }]);
    assertClean(response, 'census page');
    return { response, text: errorSummary(response.body) || textOf(response.body) };
  }

  async function censusApi(
    filename: string,
    content: Buffer | string,
  ): Promise<{ response: LightMyRequestResponse; text: string }> {
    const response = await uploadReturn(t.app, schoolToken, collectionId, [{ filename, content }]);
    assertClean(response, 'census API');
    return { response, text: problemText(response) };
  }

  async function bulkUpload(zip: Buffer): Promise<{ response: LightMyRequestResponse; text: string }> {
    const url = `/collect/collections/${collectionId}/bulk-upload`;
    await laAgent.get(url);
    const response = await laAgent.postMultipart(url, [
      { filename: 'returns.zip', content: zip, field: 'zip' },
    ]);
    assertClean(response, 'bulk zip');
    return { response, text: textOf(response.body) };
  }

  async function cli(
    command: 'ctf' | 'census',
    filename: string,
    content: Buffer | string,
  ): Promise<{ code: number; text: string }> {
    const dir = mkdtempSync(join(work, 'cli-'));
    const path = join(dir, filename);
    writeFileSync(path, content);
    const written: string[] = [];
    const io = { out: (s: string) => written.push(s), err: (s: string) => written.push(s) };
    const code =
      command === 'ctf'
        ? await runCtfCommand(['inspect', path], io)
        : await runCensusCommand(['validate', path], io);
    const text = written.join('');
    assert.doesNotMatch(text, /\n\s+at |node_modules/, `${command} ${filename}`);
    return { code, text };
  }

  // -------------------------------------------------------------------------------------------------
  // Unsafe XML

  const UNSAFE_XML: {
    name: string;
    content: (root: 'CTfile' | 'Message') => Buffer;
    problem: RegExp;
    /** What the refusal says to do, when it is not the words for any file that cannot be read. */
    whatToDo?: RegExp;
  }[] = [
    {
      name: 'XXE to file:///etc/passwd',
      content: () => corpus('xxe-external-entity.xml'),
      problem: /DOCTYPE/,
    },
    { name: 'XXE to http://127.0.0.1', content: () => corpus('xxe-http-entity.xml'), problem: /DOCTYPE/ },
    { name: 'billion laughs', content: () => corpus('billion-laughs.xml'), problem: /DOCTYPE/ },
    { name: 'a DTD and nothing else', content: () => corpus('dtd-only.xml'), problem: /DOCTYPE/ },
    {
      name: '100,000 nested elements',
      content: (root) => deepNesting(root),
      problem: /nested more than 64 deep/,
    },
    {
      name: 'a CTF with invalid UTF-8',
      content: () => corpus('ctf/invalid-utf8-surname.xml'),
      problem: /not valid UTF-8/,
    },
    {
      name: 'a CTF declared XML 1.1, with a terminal escape in a surname',
      content: () => corpus('ctf/xml-1-1-escape-in-surname.xml'),
      problem: /says it is XML version 1\.1 .*takes only XML version 1\.0/,
      whatToDo: /export the file again from your MIS as XML version 1\.0/,
    },
  ];

  for (const item of UNSAFE_XML) {
    test(`unsafe XML, ${item.name}: refused as a CTF and as a census return, everywhere`, async () => {
      const whatToDo = item.whatToDo ?? /Check you chose the right file/;
      await nothingRecorded(async () => {
        const content = item.content('CTfile');
        const census = item.content('Message');
        const web = await webUpload('ctf', [{ filename: ctfName(), content }]);
        assert.match(web.text, item.problem, 'web');
        assert.match(web.text, /Not uploaded/);
        assert.match(web.text, whatToDo, 'says what to do');

        const apiResult = await apiUpload([{ filename: ctfName(), content }]);
        assert.equal(apiResult.response.statusCode, 422);
        assert.match(apiResult.text, item.problem, 'API');
        assert.match(apiResult.text, whatToDo);

        const page = await censusPage(CENSUS_NAME, census);
        assert.equal(page.response.statusCode, 400);
        assert.match(page.text, item.problem, 'census page');

        const viaApi = await censusApi(CENSUS_NAME, census);
        assert.equal(viaApi.response.statusCode, 422);
        assert.match(viaApi.text, item.problem, 'census API');

        const ctf = await cli('ctf', ctfName(), content);
        assert.equal(ctf.code, 1);
        assert.match(ctf.text, item.problem, 'ctf inspect');
        const validate = await cli('census', CENSUS_NAME, census);
        assert.equal(validate.code, 1);
        assert.match(validate.text, item.problem, 'census validate');
      });
    });
  }

  test('a CTF whose header disagrees with its name is refused, saying which party differs', async () => {
    await nothingRecorded(async () => {
      const content = corpus('ctf/header-to-another-school.xml');
      const problem = /goes to school 8013456, but its header names school 8013457/;
      const web = await webUpload('ctf', [{ filename: ctfName(), content }]);
      assert.match(web.text, problem, 'web');
      assert.match(web.text, /Check you chose the right file/);
      const apiResult = await apiUpload([{ filename: ctfName(), content }]);
      assert.equal(apiResult.response.statusCode, 422);
      assert.match(apiResult.text, problem, 'API');
      const ctf = await cli('ctf', ctfName(), content);
      assert.equal(ctf.code, 1);
      assert.match(ctf.text, problem, 'ctf inspect');
      assert.match(ctf.text, /The file is not a valid CTF/);
    });
  });

  test('a census return whose header disagrees with its name is refused, saying what differs', async () => {
    await nothingRecorded(async () => {
      // The checked-in return is school 9164001's for autumn 2025, sent under 9162001's name for 2026.
      const content = readFileSync(join(HOSTILE, '..', 'census', 'valid-autumn.xml'));
      const problem = /the file name is for school 9162001, the return for 9164001/;
      const page = await censusPage(CENSUS_NAME, content);
      assert.equal(page.response.statusCode, 400);
      assert.match(page.text, problem, 'census page');
      const viaApi = await censusApi(CENSUS_NAME, content);
      assert.equal(viaApi.response.statusCode, 422);
      assert.match(viaApi.text, problem, 'census API');
      assert.match(viaApi.text, /Check you chose the right file for this collection/);
      const web = await webUpload('plasc', [{ filename: CENSUS_NAME, content }]);
      assert.match(web.text, problem, 'Upload DAZ/PLASC/School Census File');
      const bulk = await bulkUpload(zipOfFile(CENSUS_NAME, content));
      assert.match(bulk.text, /0 loaded, 1 refused/);
      assert.match(bulk.text, problem, 'bulk zip');
      const validate = await cli('census', CENSUS_NAME, content);
      assert.equal(validate.code, 1);
      assert.match(validate.text, /The file name does not match the return/);
    });
  });

  // -------------------------------------------------------------------------------------------------
  // Names

  const NAMES = JSON.parse(readFileSync(join(HOSTILE, 'filenames.json'), 'utf8')) as {
    name: string;
    what: string;
    refusal: string;
  }[];
  const goodCtf = ctfBetween(SOURCE, DESTINATION, [syntheticPupil(0, { lea: '916', estab: '2001' }, false)]);
  /** Characters a name must never bring onto a page as they are: they hide or reorder what is shown. */
  const INVISIBLE = /(?![\t\n\r])[\p{Cc}\p{Cf}]/u;

  for (const { name, what, refusal } of NAMES) {
    test(`a hostile file name, ${what}: refused wherever a file is named, and shown harmlessly`, async () => {
      await nothingRecorded(async () => {
        const problem = new RegExp(refusal);
        const web = await webUpload('ctf', [{ filename: name, content: goodCtf }]);
        assert.match(web.text, problem, 'web');
        assert.doesNotMatch(web.response.body, INVISIBLE, 'web page');
        const apiResult = await apiUpload([{ filename: name, content: goodCtf }]);
        assert.ok([400, 422].includes(apiResult.response.statusCode), 'API status');
        assert.match(apiResult.text, problem, 'API');
        assert.doesNotMatch(apiResult.response.body, /\\u0000|\\u202e|\\u001b|\\u200b/i, 'API body');
        const page = await censusPage(name, goodCtf);
        assert.equal(page.response.statusCode, 400);
        assert.notEqual(page.text, '', 'the census page says why');
        assert.doesNotMatch(page.response.body, INVISIBLE, 'census page');
        const viaApi = await censusApi(name, goodCtf);
        assert.equal(viaApi.response.statusCode, 422);
        assert.doesNotMatch(viaApi.response.body, /\\u0000|\\u202e|\\u001b|\\u200b/i, 'census API body');
      });
    });
  }

  test('a zip whose file is named outside its folder (zip slip) is refused whole', async () => {
    await nothingRecorded(async () => {
      const content = Buffer.from(censusReturnXml({ school: SOURCE, year: 2026 }));
      for (const name of [`../../../tmp/${CENSUS_NAME}`, `/tmp/${CENSUS_NAME}`]) {
        const bulk = await bulkUpload(zipOfFile(name, content));
        assert.equal(bulk.response.statusCode, 400, name);
        assert.match(errorSummary(bulk.response.body), /hold a file named outside its folders/, name);
      }
    });
  });

  // -------------------------------------------------------------------------------------------------
  // Zips

  const bombs = zipBombs((n) => censusFilename(SOURCE, 2026, n + 1));

  test('zip bombs in the LA bulk census upload are refused without inflating them', async () => {
    await nothingRecorded(async () => {
      const expected: Record<keyof typeof bombs, RegExp> = {
        honest: /0 loaded, 1 refused.*The file is larger than 10 MB, the most COLLECT accepts for one return/,
        lying: /0 loaded, 1 refused.*The file could not be read from the zip/,
        wide: /There is a problem The files in the zip come to more than 200 MB uncompressed.*Split the returns into several zips/,
        nested: /0 loaded, 16 refused.*layer-0\.zip is not an XML file/,
      };
      for (const [name, zip] of Object.entries(bombs) as [keyof typeof bombs, Buffer][]) {
        assert.ok(zip.length < 300 * 1024, `${name} is small: ${zip.length} bytes`);
        const bulk = await bulkUpload(zip);
        assert.match(bulk.text, expected[name], name);
      }
    });
  });

  test('a zip bomb sent as a generic file is refused for what it expands to; one within the limits is stored as it was sent, never unpacked', async () => {
    // Decision 83: past 100 MB unzipped, more than clamd reads, so it could not be called free of viruses.
    await nothingRecorded(async () => {
      for (const [n, zip] of [bombs.wide, bombs.nested].entries()) {
        const expands = /The files in the zip come to more than 100 MB once unzipped/;
        const web = await webUpload('generic', [
          { filename: `${SOURCE}_${DESTINATION}_BOMB${n}.ZIP`, content: zip },
        ]);
        assert.match(web.text, expands);
        const viaApi = await apiUpload([
          { filename: `${SOURCE}_${DESTINATION}_BOMB${n}A.ZIP`, content: zip },
        ]);
        assert.equal(viaApi.response.statusCode, 422, viaApi.response.body);
        assert.match(viaApi.text, expands);
      }
    });
    const before = await recorded();
    const zip = bombs.honest;
    const web = await webUpload('generic', [
      { filename: `${SOURCE}_${DESTINATION}_SENLIST.ZIP`, content: zip },
    ]);
    assert.match(web.text, /The file was uploaded/);
    const apiResult = await apiUpload([{ filename: `${SOURCE}_${DESTINATION}_SENLIST2.ZIP`, content: zip }]);
    assert.equal(apiResult.response.statusCode, 201, apiResult.response.body);
    const rows = await db
      .selectFrom('transfers')
      .select(['filename', 'size', 'sha256', 'storage_key', 'wrapped_key', 'master_key_id'])
      .where('filename', 'like', `${SOURCE}_${DESTINATION}_SENLIST%`)
      .execute();
    assert.equal(rows.length, 2);
    const sha256 = createHash('sha256').update(zip).digest('hex');
    for (const row of rows) {
      assert.equal(row.size, zip.length, 'the size sent, not the size inflated');
      assert.equal(row.sha256, sha256);
      assert.ok(row.storage_key && row.wrapped_key);
      assert.deepEqual(await readStored(t.deps.files, row), zip, 'stored byte for byte');
    }
    const after = await recorded();
    assert.equal(after.transfers, before.transfers + 2);
    assert.equal(after.files, before.files + 2);
  });

  // -------------------------------------------------------------------------------------------------
  // Oversize

  /** Sends 10 times the school limit in one file part; the answer and the bytes the server took. */
  async function oversize(
    url: string,
    auth: { cookie?: string; csrfToken?: string; token?: string },
    field: string,
    filename: string,
  ): Promise<{ response: LightMyRequestResponse; consumed: number }> {
    const boundary = '----s2sHostileOversize';
    const upload = oversizeUpload({
      boundary,
      filename,
      field,
      fileBytes: 10 * SCHOOL_UPLOAD_LIMIT,
      before:
        auth.csrfToken === undefined
          ? ''
          : `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${auth.csrfToken}\r\n`,
    });
    const response = await t.app.inject({
      method: 'POST',
      url,
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        ...(auth.cookie ? { cookie: auth.cookie } : {}),
        ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}),
      },
      payload: upload.body,
    });
    assertClean(response, url);
    const consumed = upload.consumed();
    // The server stops at the multipart limit (one byte past the largest file anyone may send), plus
    // what the streams buffer: a quarter of what was offered.
    assert.ok(
      consumed < MAX_UPLOAD_LIMIT + 1024 * 1024,
      `${url}: the server read ${consumed} bytes of ${10 * SCHOOL_UPLOAD_LIMIT}`,
    );
    assert.equal(response.headers.connection, 'close', `${url}: the rest is not read`);
    return { response, consumed };
  }

  test('a file of 10 times the school limit is refused everywhere, and the server stops reading it early', async () => {
    await nothingRecorded(async () => {
      await schoolAgent.get('/upload/ctf');
      const web = await oversize('/upload/ctf', schoolAgent.session(), 'files', ctfName());
      const webText = textOf(web.response.body);
      assert.match(webText, /The file is larger than 4 MB, the most a school can send in one file/);
      assert.match(webText, /Make several CTFs with fewer pupils in each/);
      assert.match(webText, /s2s stopped reading the upload there: any files after it were not read/);
      // Past the limit, not necessarily far past it: the words say only what s2s knows.
      assert.match(webText, /is larger than the most anyone can send \(10 MB\)/);

      const viaApi = await oversize('/api/v1/files', { token: schoolToken }, 'files', ctfName());
      assert.equal(viaApi.response.statusCode, 422);
      assert.match(problemText(viaApi.response), /The file is larger than 4 MB/);
      assert.match(
        viaApi.response.json().warning,
        /is larger than the most anyone can send \(10 MB\), so s2s stopped reading the request there: any files after it in the same request were not read/,
      );

      const censusUrl = `/collect/collections/${collectionId}/upload`;
      await schoolAgent.get(censusUrl);
      const page = await oversize(censusUrl, schoolAgent.session(), 'file', CENSUS_NAME);
      assert.equal(page.response.statusCode, 400);
      assert.match(errorSummary(page.response.body), /larger than 10 MB/);

      const census = await oversize(
        `/api/v1/census/collections/${collectionId}/returns`,
        { token: schoolToken },
        'file',
        CENSUS_NAME,
      );
      assert.equal(census.response.statusCode, 422);
      assert.match(problemText(census.response), /larger than 10 MB/);

      const bulkUrl = `/collect/collections/${collectionId}/bulk-upload`;
      await laAgent.get(bulkUrl);
      const bulk = await oversize(bulkUrl, laAgent.session(), 'zip', 'returns.zip');
      assert.equal(bulk.response.statusCode, 400);
      assert.match(errorSummary(bulk.response.body), /The zip is larger than 10 MB/);
    });
  });

  // -------------------------------------------------------------------------------------------------
  // Forged multipart

  const REFUSED_FORMS: Record<string, { web: RegExp; api: RegExp }> = {
    'missing boundary': {
      web: /The request could not be understood/,
      api: /multipart|boundary|could not be read/i,
    },
    'truncated body': {
      web: /The upload did not arrive whole/,
      api: /did not arrive whole/,
    },
  };

  test('forged multipart bodies: broken ones refused, tricks never change the name a file is kept under', async () => {
    for (const entry of ['web', 'api', 'census page', 'census api'] as const) {
      const census = entry.startsWith('census');
      const url =
        entry === 'web'
          ? '/upload/ctf'
          : entry === 'api'
            ? '/api/v1/files'
            : entry === 'census page'
              ? `/collect/collections/${collectionId}/upload`
              : `/api/v1/census/collections/${collectionId}/returns`;
      const page = !entry.includes('api');
      const forged = forgedMultipart({
        prefix: (b) =>
          page
            ? `--${b}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${schoolAgent.session().csrfToken}\r\n`
            : '',
        field: census ? 'file' : 'files',
        name: census ? CENSUS_NAME : ctfName(),
        content: census ? censusReturnXml({ school: SOURCE, year: 2026 }) : goodCtf,
      });
      for (const [what, { contentType, body }] of Object.entries(forged)) {
        if (page) await schoolAgent.get(url);
        const before = await recorded();
        const response = await t.app.inject({
          method: 'POST',
          url,
          headers: {
            'content-type': contentType,
            ...(page ? { cookie: schoolAgent.session().cookie } : { authorization: `Bearer ${schoolToken}` }),
          },
          payload: page
            ? Buffer.from(
                body
                  .toString('latin1')
                  .replace(
                    /name="_csrf"\r\n\r\n[^\r]*/,
                    `name="_csrf"\r\n\r\n${schoolAgent.session().csrfToken}`,
                  ),
                'latin1',
              )
            : body,
        });
        assertClean(response, `${entry}, ${what}`);
        const after = await recorded();
        const refused = REFUSED_FORMS[what];
        if (refused) {
          assert.ok(response.statusCode >= 400, `${entry}, ${what}: ${response.statusCode}`);
          const text = page ? textOf(response.body) : problemText(response);
          assert.match(text, page ? refused.web : refused.api, `${entry}, ${what}`);
          assert.deepEqual(after, before, `${entry}, ${what}: nothing recorded`);
          continue;
        }
        // Read as the one file it is, under its plain name: never the traversal or the encoded name.
        assert.ok(
          response.statusCode < 300,
          `${entry}, ${what}: ${response.statusCode} ${response.body.slice(0, 500)}`,
        );
        const table = census ? 'census_returns' : 'transfers';
        const latest = await db
          .selectFrom(table)
          .select('filename')
          .orderBy(census ? 'version' : 'uploaded_at', 'desc')
          .executeTakeFirstOrThrow();
        assert.match(
          latest.filename,
          census ? /^9162001_SC3_916LL26_001\.XML$/ : /^9162001_CTF_8013456_\d{3}\.XML$/,
          `${entry}, ${what}`,
        );
        assert.equal(after.files, before.files + 1, `${entry}, ${what}: one file kept`);
        if (census) {
          // The next forged return replaces this one: confirm it, as the school would.
          await db.deleteFrom('census_return_findings').execute();
          await db.deleteFrom('census_return_events').execute();
          await db.deleteFrom('census_returns').execute();
        } else {
          // The next forged file has the same name, refused while this one waits: it is collected first.
          await db
            .updateTable('transfers')
            .set({ status: 'collected' })
            .where('filename', '=', latest.filename)
            .execute();
        }
      }
    }
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200);
  });
});
