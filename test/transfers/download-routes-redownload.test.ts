// Issue 4, "re-download works on day 6 and is gone on day 8 (injected clock)", through the pages: the
// app's own clock (createTestApp's ManualClock) is moved on, and Previously Downloaded CTF Files, the
// menu's Previously Downloaded Files, "Download again" and the file's page are asked each time. The
// 7 days run from the last download, so a file downloaded again on day 6 stays until day 13. Sessions
// do not last days, so the user signs in again each time the clock moves on.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { purgeExpiredContent } from '../../src/transfers/jobs.ts';
import { getTransfer } from '../../src/transfers/repository.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { makeTransfer, type StoredTransfer, school } from '../support/transfers.ts';
import { Agent, createTestApp, errorSummary, type TestApp, textOf } from '../support/web.ts';

const DAY = 24 * 60;

/** The files a re-download list offers (its checkboxes). */
function offered(html: string): string[] {
  return [...html.matchAll(/name="file" type="checkbox" value="([0-9a-f-]{36})"/g)].map(
    (m) => m[1] as string,
  );
}

describeEachEngine('download again from the pages: day 6 yes, day 8 no', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  /** Two CTFs for a school, each accepted, downloaded and confirmed by its user on day 0. */
  async function collectedOnDayZero() {
    const db = database().db;
    const receiving = await makeSchool(db, (await makeLa(db)).number, { name: 'Receiving Primary' });
    const sending = await makeSchool(db, (await makeLa(db)).number, { name: 'Sending Primary' });
    const user = await makeUser(db, 'school', { establishmentNumber: receiving.number });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    const files: StoredTransfer[] = [];
    for (let n = 0; n < 2; n += 1) {
      const sent = await makeTransfer(db, t.deps.files, {
        from: school(sending.number),
        to: school(receiving.number),
        content: randomBytes(20_000),
      });
      await agent.get(`/download/ctf/confirm?action=accept&file=${sent.row.id}`);
      const yes = await agent.post('/download/ctf/confirm', { file: sent.row.id });
      assert.equal(yes.statusCode, 303);
      const check = await agent.get(String(yes.headers.location));
      const link = /<meta http-equiv="refresh" content="0; url=([^"]+)">/.exec(check.body)?.[1];
      assert.ok(link, 'the question page starts the download');
      const download = await agent.get(link.replace(/&amp;/g, '&'));
      assert.ok(download.rawPayload.equals(sent.content));
      const collected = await agent.post('/download/ctf/check', { file: sent.row.id, answer: 'yes' });
      assert.equal(collected.statusCode, 302);
      assert.equal((await getTransfer(db, sent.row.id))?.status, 'collected');
      files.push(sent);
    }
    /** Days later: the clock moves on, and the user signs in again (the session has expired). */
    const later = async (days: number) => {
      t.clock.advanceMinutes(days * DAY);
      assert.equal((await agent.signIn(user.username)).headers.location, '/', 'signed in again');
    };
    return { db, agent, later, a: files[0] as StoredTransfer, b: files[1] as StoredTransfer };
  }

  test('listed and downloadable again on day 6; on day 8 gone from every list and refused', async () => {
    const { db, agent, later, a, b } = await collectedOnDayZero();

    await later(6);
    assert.deepEqual(
      offered((await agent.get('/download/ctf/previous')).body).sort(),
      [a.row.id, b.row.id].sort(),
    );
    assert.deepEqual(
      offered((await agent.get('/previously-downloaded')).body).sort(),
      [a.row.id, b.row.id].sort(),
    );
    const filePage = await agent.get(`/download/ctf/files/${b.row.id}`);
    assert.match(textOf(filePage.body), /You can download this file again until/);
    await agent.get('/download/ctf/previous');
    const again = await agent.post('/download/ctf/previous', { file: a.row.id });
    assert.equal(again.statusCode, 200, 'downloaded again on day 6');
    assert.equal(again.headers['content-type'], 'application/octet-stream');
    assert.ok(again.rawPayload.equals(a.content), 'the same bytes');
    assert.equal((await getTransfer(db, a.row.id))?.last_downloaded_at, t.clock.now().toISOString());

    // Day 8: b (last downloaded on day 0) is gone; a (downloaded again on day 6) is not.
    await later(2);
    assert.deepEqual(offered((await agent.get('/download/ctf/previous')).body), [a.row.id]);
    assert.deepEqual(offered((await agent.get('/previously-downloaded')).body), [a.row.id]);
    await agent.get('/download/ctf/previous');
    const refused = await agent.post('/download/ctf/previous', { file: [a.row.id, b.row.id] });
    assert.equal(refused.statusCode, 400, 'not downloaded again on day 8');
    assert.match(refused.body, new RegExp(`value="${a.row.id}" checked`), 'what was ticked stays ticked');
    assert.match(
      errorSummary(refused.body),
      new RegExp(
        `${b.row.filename} can no longer be downloaded again: files can be downloaded again for 7 days`,
      ),
    );
    assert.equal(refused.headers['content-disposition'], undefined, 'no file is sent');

    // Day 14, 8 days after a's last download: a is gone too.
    await later(6);
    assert.deepEqual(offered((await agent.get('/download/ctf/previous')).body), []);
    assert.match(
      textOf((await agent.get('/previously-downloaded')).body),
      /You have not downloaded any files in the last 7 days/,
    );
    const late = await agent.post('/download/ctf/previous', { file: a.row.id });
    assert.equal(late.statusCode, 400);
    assert.match(errorSummary(late.body), /can no longer be downloaded again/);

    // The purge job deletes the content; the file's page says it can no longer be downloaded.
    const purged = await purgeExpiredContent(db, t.deps.files, t.clock);
    assert.ok(purged.purged >= 2, 'both contents purged');
    for (const file of [a, b]) {
      const row = await getTransfer(db, file.row.id);
      assert.equal(row?.storage_key, null);
      assert.equal(row?.status, 'collected', 'the record is kept');
      const page = await agent.get(`/download/ctf/files/${file.row.id}`);
      assert.equal(page.statusCode, 200);
      assert.match(textOf(page.body), /This file can no longer be downloaded/);
      assert.doesNotMatch(page.body, /Download again/);
      // Its pupils' details went with the content: no table, and the page says when.
      assert.doesNotMatch(page.body, /id="pupils"/);
      assert.match(
        textOf(page.body),
        /The pupils’ details were deleted with the file’s content on 7 December 2026 at 9:00am\./,
      );
    }
    await agent.get('/download/ctf/previous');
    assert.equal((await agent.post('/download/ctf/previous', { file: b.row.id })).statusCode, 400);
  });

  test("on day 8, before the purge job has run, the file's page no longer offers Download again", async () => {
    const { agent, later, b } = await collectedOnDayZero();
    await later(8);
    const page = await agent.get(`/download/ctf/files/${b.row.id}`);
    assert.equal(page.statusCode, 200);
    assert.match(textOf(page.body), /This file can no longer be downloaded/);
    assert.doesNotMatch(page.body, /Download again/);
  });
});
