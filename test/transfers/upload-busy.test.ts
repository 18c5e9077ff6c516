// When more files wait to be read than CONTENT_CHECK_QUEUE_MB allows, an upload (a file, or a census
// return) is turned away at once: the page says s2s is busy and to try again in a few minutes, the API
// answers 503 with Retry-After, nothing is kept, and once the backlog is read the same upload is accepted.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db, EstablishmentRow } from '../../src/platform/db/schema.ts';
import { uploadReturn } from '../api/census-support.ts';
import { makeToken, uploadFiles } from '../api/support.ts';
import { ctfBetween, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { fillContentChecks } from '../support/busy.ts';
import { censusFilename, censusReturnXml, liveCollection } from '../support/census.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, type TestApp, textOf } from '../support/web.ts';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123456789';

describeEachEngine('uploads when the content checks are busy', (database) => {
  let t: TestApp;
  let db: Db;
  let school: EstablishmentRow;
  let dest: EstablishmentRow;

  before(async () => {
    db = database().db;
    t = await createTestApp(db, {
      CONTENT_CHECK_WORKERS: '1',
      CONTENT_CHECK_QUEUE_MB: '16',
      METRICS_TOKEN: METRICS_TOKEN,
    });
    const la = await makeLa(db);
    school = await makeSchool(db, la.number);
    dest = await makeSchool(db, la.number);
  });
  after(async () => {
    await t.app.close();
  });

  /** The worker busy and its queue full (CONTENT_CHECK_QUEUE_MB, 16 MB) with other schools' files. */
  const backlog = () => fillContentChecks(t.app.contentChecks, 16 * 1024 * 1024);

  /** Files turned away as busy, as /metrics counts them. */
  const countedBusy = async () => {
    const text = (
      await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).body;
    return Number(/^s2s_uploads_total\{outcome="busy"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  };

  /** Each test its own file number: a file of one name is not taken twice while the first waits. */
  const filename = (number = '001') => `${school.number}_CTF_${dest.number}_${number}.XML`;
  const content = () =>
    ctfBetween(school.number, dest.number, [
      syntheticPupil(0, { lea: school.number.slice(0, 3), estab: school.number.slice(3) }, false),
    ]);
  const kept = async () =>
    (await db.selectFrom('transfers').select('id').where('source_school', '=', school.number).execute())
      .length;

  test('the page says s2s is busy and to upload again shortly; nothing is kept; later it is accepted', async () => {
    const user = await makeUser(db, 'school', {
      laNumber: school.number.slice(0, 3),
      establishmentNumber: school.number,
    });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    await agent.get('/upload/ctf');
    const busyBefore = await countedBusy();
    const backlogRead = backlog();
    const busy = await agent.postMultipart('/upload/ctf', [{ filename: filename(), content: content() }]);
    assert.equal(busy.statusCode, 200);
    assert.match(
      textOf(busy.body),
      new RegExp(
        `${filename()} Not uploaded Why s2s is busy checking other files just now, so it did not take this one\\. Nothing was kept\\. What to do Upload the file again in a few minutes\\.`,
      ),
    );
    assert.equal(await kept(), 0);
    assert.equal(await countedBusy(), busyBefore + 1, 'counted as busy for the operators');
    await backlogRead;

    await agent.get('/upload/ctf');
    const again = await agent.postMultipart('/upload/ctf', [{ filename: filename(), content: content() }]);
    assert.match(textOf(again.body), new RegExp(`${filename()} Uploaded`));
    assert.equal(await kept(), 1);
  });

  test('the API answers 503 busy with Retry-After when it took none of the files', async () => {
    const user = await makeUser(db, 'school', {
      laNumber: school.number.slice(0, 3),
      establishmentNumber: school.number,
    });
    const token = await makeToken(db, user, 'transfer', t.clock);
    const before = await kept();
    const backlogRead = backlog();
    const busy = await uploadFiles(t.app, token, [{ filename: filename('002'), content: content() }]);
    assert.equal(busy.statusCode, 503, busy.body);
    assert.equal(busy.headers['retry-after'], '60');
    const problem = busy.json();
    assert.equal(problem.type, '/api/docs#problem-busy');
    assert.deepEqual(
      problem.results.map((r: { status: string }) => r.status),
      ['failed'],
    );
    assert.match(problem.results[0].reasons[0], /s2s is busy checking other files/);
    assert.equal(await kept(), before);
    await backlogRead;
    const accepted = await uploadFiles(t.app, token, [{ filename: filename('002'), content: content() }]);
    assert.equal(accepted.statusCode, 201, accepted.body);
  });

  test('a census return loaded while s2s is busy: the busy page (503), nothing loaded; the API likewise', async () => {
    const la = school.number.slice(0, 3);
    const collectionId = await liveCollection(db, await makeUser(db, 'national_admin'), [la]);
    const user = await makeUser(db, 'school', { laNumber: la, establishmentNumber: school.number });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const uploadPath = `/collect/collections/${collectionId}/upload`;
    await agent.get(uploadPath);
    const xml = censusReturnXml({ school: school.number, year: 2026 });
    const loaded = async () =>
      (await db.selectFrom('census_returns').select('id').where('collection_id', '=', collectionId).execute())
        .length;

    const backlogRead = backlog();
    const busy = await agent.postMultipart(uploadPath, [
      { filename: censusFilename(school.number), content: xml, field: 'file' },
    ]);
    assert.equal(busy.statusCode, 503);
    assert.equal(busy.headers['retry-after'], '60');
    assert.match(
      textOf(busy.body),
      /s2s is busy just now Many files are being checked at the moment\. If you were sending a file, it was not kept\. Go back and try again in a few minutes\./,
    );
    const token = await makeToken(db, user, 'transfer', t.clock);
    const viaApi = await uploadReturn(t.app, token, collectionId, [
      { filename: censusFilename(school.number), content: xml },
    ]);
    assert.equal(viaApi.statusCode, 503, viaApi.body);
    assert.equal(viaApi.json().type, '/api/docs#problem-busy');
    assert.equal(viaApi.headers['retry-after'], '60');
    assert.equal(await loaded(), 0);
    await backlogRead;

    await agent.get(uploadPath);
    const again = await agent.postMultipart(uploadPath, [
      { filename: censusFilename(school.number), content: xml, field: 'file' },
    ]);
    assert.equal(again.statusCode, 200);
    assert.equal(await loaded(), 1);
  });
});
