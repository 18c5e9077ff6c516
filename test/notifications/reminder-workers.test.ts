// Two app processes on one PostgreSQL database, both due to send the weekly reminder at the same
// instant: it runs once, and each school and LA is reminded once. Real processes (reminder-worker.ts),
// each with its own connection pool, started together.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Db } from '../../src/platform/db/schema.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool } from '../support/factories.ts';
import { makeFileStores, makeTransfer, school } from '../support/transfers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const WORKER = join(ROOT, 'test', 'support', 'reminder-worker.ts');

interface WorkerRun {
  job: string;
  status: string;
  summary: string;
  counts?: Record<string, number>;
}

interface Worker {
  child: ChildProcessWithoutNullStreams;
  ready: Promise<void>;
  /** The runs it reports, once it has exited. */
  done: Promise<WorkerRun[]>;
}

function startWorker(database: TestDatabase, at: string, mode: 'tick' | 'manual'): Worker {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', WORKER, database.url, database.schema ?? '-', at, mode],
    { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent' } },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let signalReady: () => void = () => {};
  let failReady: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    signalReady = resolve;
    failReady = reject;
  });
  const output: string[] = [];
  lines.on('line', (line) => {
    if (line === 'ready') signalReady();
    else output.push(line);
  });
  const done = exited.then((code) => {
    const failure = new Error(`the worker exited with ${code}: ${stderr}`);
    failReady(failure);
    if (code !== 0) throw failure;
    const last = output.at(-1);
    if (!last) throw new Error(`the worker printed no result: ${stderr}`);
    return JSON.parse(last) as WorkerRun[];
  });
  // Not awaited until the end: a worker that fails before it is ready fails `ready` too.
  done.catch(() => {});
  return { child, ready, done };
}

/** Starts the workers, lets them all go at once, and returns what each ran. */
async function race(database: TestDatabase, at: string, mode: 'tick' | 'manual', n = 2) {
  const workers = Array.from({ length: n }, () => startWorker(database, at, mode));
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.child.stdin.end('go\n');
  return Promise.all(workers.map((w) => w.done));
}

async function remindersPerRecipient(db: Db): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('notification_outbox')
    .select(['recipient_kind', 'recipient'])
    .where('template', '=', 'weekly-reminder')
    .execute();
  const counts = new Map<string, number>();
  for (const row of rows) {
    const key = `${row.recipient_kind} ${row.recipient}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

describe('weekly reminder, two worker processes on PostgreSQL', () => {
  let database: TestDatabase;
  /** The recipients: 120 schools in two LAs, and the two LAs. */
  const recipients: string[] = [];
  before(async () => {
    database = await createTestDatabase('postgres');
    const { db } = database;
    const { files } = makeFileStores();
    const sender = await makeSchool(db, (await makeLa(db)).number);
    for (let l = 0; l < 2; l += 1) {
      const theLa = await makeLa(db);
      recipients.push(`la ${theLa.number}`);
      for (let s = 0; s < 60; s += 1) {
        const here = await makeSchool(db, theLa.number);
        recipients.push(`school ${here.number}`);
        await makeTransfer(db, files, {
          from: school(sender.number),
          to: school(here.number),
          uploadedAt: '2026-11-18T10:00:00.000Z',
        });
      }
    }
    recipients.sort();
  });
  after(async () => {
    await database?.drop();
  });
  beforeEach(async () => {
    await database.db.deleteFrom('notification_outbox').execute();
    await database.db.deleteFrom('job_runs').execute();
  });

  test('both tick at 7am on Monday: one runs the job, and each recipient is reminded once', async () => {
    const outputs = await race(database, '2026-11-23T07:00:00.000Z', 'tick');
    const runs = outputs.flat();
    assert.equal(runs.length, 1, `one worker ran it: ${JSON.stringify(outputs)}`);
    assert.deepEqual(outputs.map((o) => o.length).sort(), [0, 1], 'the other found it taken');
    assert.equal(runs[0]?.status, 'succeeded');
    assert.equal(runs[0]?.summary, 'Reminded 120 schools and 2 LAs about 120 files not downloaded.');

    const jobRuns = await database.db.selectFrom('job_runs').selectAll().execute();
    assert.deepEqual(
      jobRuns.map((r) => [r.job, r.slot, r.status]),
      [['weekly-reminder', '2026-11-23T07:00:00.000Z', 'succeeded']],
    );
    const perRecipient = await remindersPerRecipient(database.db);
    assert.deepEqual([...perRecipient.keys()].sort(), recipients);
    assert.deepEqual(new Set(perRecipient.values()), new Set([1]), 'nobody twice');
  });

  test('both run it by hand at once: two runs, and still each recipient is reminded once', async () => {
    const outputs = await race(database, '2026-11-25T12:00:00.000Z', 'manual');
    const runs = outputs.flat();
    assert.deepEqual(
      runs.map((r) => r.status),
      ['succeeded', 'succeeded'],
    );
    // Between them they wrote each reminder once; what one wrote, the other found written.
    const written = runs.reduce((sum, r) => sum + (r.counts?.schools ?? 0) + (r.counts?.las ?? 0), 0);
    const skipped = runs.reduce((sum, r) => sum + (r.counts?.alreadyReminded ?? 0), 0);
    assert.equal(written, recipients.length);
    assert.equal(skipped, recipients.length);
    const perRecipient = await remindersPerRecipient(database.db);
    assert.deepEqual([...perRecipient.keys()].sort(), recipients);
    assert.deepEqual(new Set(perRecipient.values()), new Set([1]), 'nobody twice');
    const jobRuns = await database.db.selectFrom('job_runs').select(['trigger', 'status']).execute();
    assert.deepEqual(
      jobRuns.map((r) => [r.trigger, r.status]),
      [
        ['manual', 'succeeded'],
        ['manual', 'succeeded'],
      ],
    );
  });
});
