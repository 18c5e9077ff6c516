import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ScaleCounts, scaleCounts, seedScale } from '../../src/demo/scale.ts';
import { DEMO_PASSWORD } from '../../src/demo/seed.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { toCount } from '../../src/platform/db/database.ts';
import type { Database, Db } from '../../src/platform/db/schema.ts';
import { cliSandbox, runS2s, s2sEnv } from '../support/cli.ts';
import { describeEachEngine } from '../support/databases.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';

/** A tiny share of the country: 10 schools, 500 transfers, 500 lost pupils, 2,500 messages. */
const FRACTION = 0.0005;

async function rows(db: Db, table: keyof Database): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirstOrThrow();
  return toCount(row.n);
}

const linksTo = (html: string, prefix: string) =>
  new Set([...html.matchAll(new RegExp(`href="${prefix}([0-9a-f-]{36})"`, 'g'))].map((m) => m[1] as string));

describeEachEngine('s2s seed-scale', (database) => {
  let summary: ScaleCounts | null;
  let t: TestApp;
  before(async () => {
    // The app's clock starts at the same instant (ManualClock's default) as the one the data is made by.
    summary = await seedScale(database().db, new ManualClock(), { fraction: FRACTION });
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  test('loads the share of the country asked for, with the demo data, and says what it loaded', async () => {
    const { db } = database();
    const expected = scaleCounts(FRACTION);
    assert.deepEqual(expected, { las: 3, schools: 10, transfers: 500, lostPupils: 500, messages: 2500 });
    assert.ok(summary);
    assert.equal(await rows(db, 'local_authorities'), expected.las);
    assert.equal(await rows(db, 'establishments'), expected.schools);
    // Each lost pupil came in a file of its own.
    assert.equal(await rows(db, 'transfers'), expected.transfers + expected.lostPupils);
    assert.equal(await rows(db, 'lost_pupils'), expected.lostPupils);
    assert.equal(await rows(db, 'messages'), expected.messages);
    assert.ok((await rows(db, 'lost_pupil_keys')) >= expected.lostPupils, 'every record has search keys');
    assert.deepEqual(summary, {
      las: expected.las,
      schools: expected.schools,
      users: await rows(db, 'users'),
      transfers: expected.transfers + expected.lostPupils,
      transferPupils: await rows(db, 'transfer_pupils'),
      lostPupils: expected.lostPupils,
      messages: expected.messages,
      messageRecipients: await rows(db, 'message_recipients'),
    });
    assert.ok(summary.transferPupils > 0);
  });

  test('CFR and exclusion returns go to LAs only, who alone can collect them', async () => {
    const misaddressed = await database()
      .db.selectFrom('transfers')
      .select('filename')
      .where('category', 'in', ['cfr', 'exclusion'])
      .where('dest_kind', '!=', 'la')
      .execute();
    assert.deepEqual(misaddressed, []);
  });

  test('demo-school-b signs in and sees the files waiting for it', async () => {
    const { db } = database();
    const waiting = await db
      .selectFrom('transfers')
      .select('id')
      .where('dest_school', '=', '8171234')
      .where('category', '=', 'ctf')
      .where('status', '=', 'available')
      .execute();
    assert.ok(waiting.length > 0, 'the busy school has files waiting');
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn('demo-school-b', DEMO_PASSWORD)).headers.location, '/');
    const home = await agent.get('/');
    assert.match(home.body, new RegExp(`${waiting.length} CTF files? (are|is) waiting for you to download`));
    const list = await agent.get('/download/ctf');
    const listed = linksTo(list.body, '/download/ctf/files/');
    for (const { id } of waiting) assert.ok(listed.has(id), `file ${id} is listed`);
  });

  test('demo-school-a signs in and sees the messages in its inbox', async () => {
    const { db } = database();
    const inbox = await db
      .selectFrom('message_recipients as r')
      .innerJoin('messages as m', 'm.id', 'r.message_id')
      .select('m.id')
      .where('r.mailbox', '=', 'school:9165402')
      .where('r.removed_at', 'is', null)
      .where('m.delivery', '=', 'message')
      .execute();
    assert.ok(inbox.length > 0, 'the busy mailbox holds messages');
    const agent = new Agent(t.app);
    await agent.signIn('demo-school-a', DEMO_PASSWORD);
    const page = await agent.get('/messages/inbox');
    assert.deepEqual(linksTo(page.body, '/messages/inbox/'), new Set(inbox.map((m) => m.id)));
  });

  test("an LA user signs in and runs the LA's General Usage report over its schools' files", async () => {
    const agent = new Agent(t.app);
    await agent.signIn('demo-la-user', DEMO_PASSWORD);
    const report = await agent.get('/reports/general-usage?run=1&scope=all');
    assert.equal(report.statusCode, 200);
    assert.match(report.body, /Cotswold Edge Primary School/);
  });

  test('a second run is refused and changes nothing', async () => {
    const { db } = database();
    const before = await rows(db, 'transfers');
    assert.equal(await seedScale(db, new ManualClock(), { fraction: FRACTION }), null);
    assert.equal(await rows(db, 'transfers'), before);
  });
});

describe('s2s seed-scale (the command)', () => {
  const cli = cliSandbox('seed-scale', { database: true });

  test('loads into an empty database, then refuses a second run', () => {
    const first = cli.s2s('seed-scale', '--fraction', String(FRACTION), '--json');
    assert.equal(first.code, 0, first.stderr);
    assert.equal((JSON.parse(first.stdout) as ScaleCounts).transfers, 1000);
    assert.match(first.stderr, /messages: 2,500 of 2,500/);
    const second = cli.s2s('seed-scale', '--fraction', String(FRACTION));
    assert.equal(second.code, 1);
    assert.match(second.stderr, /already holds organisations or users; nothing was loaded/);
  });

  test('refuses a fraction outside (0, 1] as a usage error', () => {
    const run = cli.s2s('seed-scale', '--fraction', '2');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--fraction must be a number above 0 and at most 1/);
  });

  test('never loads in production, and does not touch the database', () => {
    const run = runS2s(['seed-scale', '--fraction', String(FRACTION)], {
      ...s2sEnv(cli.dir, 'production.sqlite'),
      S2S_ENV: 'production',
      COOKIE_SECRET: 'a-production-secret-of-32-characters-or-more',
      SERVICE_URL: 'https://s2s.example.gov.uk',
      SMTP_HOST: '127.0.0.1',
      CLAMD_SOCKET: join(cli.dir, 'clamd.ctl'),
      MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Demo data is never loaded in production/);
    assert.equal(existsSync(join(cli.dir, 'production.sqlite')), false);
  });
});
