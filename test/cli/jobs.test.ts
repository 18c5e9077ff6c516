// `s2s jobs run purge-files`, run as operators run it: a separate process on a database and file store.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { JOB_NAMES } from '../../src/jobs.ts';
import { DiskFileStore } from '../../src/platform/storage/file-store.ts';
import { insertTransfer } from '../../src/transfers/repository.ts';
import { cliSandbox, runS2s } from '../support/cli.ts';

describe('s2s jobs', () => {
  const sandbox = cliSandbox('jobs', { database: true });
  const { s2s } = sandbox;

  test('usage errors: no job, an unknown job, two jobs', () => {
    for (const args of [
      ['jobs'],
      ['jobs', 'start'],
      ['jobs', 'list', 'extra'],
      ['jobs', 'run'],
      ['jobs', 'run', 'nonsense'],
      ['jobs', 'run', 'purge-files', 'x'],
    ]) {
      const run = s2s(...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /jobs run NAME/);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('deletes the content of a file collected more than 7 days ago; the record stays', async () => {
    const first = s2s('jobs', 'run', 'purge-files', '--json'); // also creates the database
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(JSON.parse(first.stdout), {
      job: 'purge-files',
      ok: true,
      summary: 'Deleted the content of 0 files.',
      purged: 0,
      failed: 0,
    });

    const store = new DiskFileStore(join(sandbox.dir, 'files'));
    const key = randomUUID();
    await store.put(key, Readable.from([Buffer.from('encrypted bytes')]));
    const id = randomUUID();
    const longAgo = '2020-01-01T09:00:00.000Z';
    await insertTransfer(
      sandbox.db(),
      {
        id,
        filename: '9165402_CTF_8171234_003.XML',
        category: 'ctf',
        kind: 'ctf',
        type_code: 'CTF',
        source_la: '916',
        source_school: '9165402',
        source_inbox: null,
        dest_kind: 'school',
        dest_la: '817',
        dest_school: '8171234',
        dest_inbox: null,
        lost_reason: null,
        uploaded_by: randomUUID(),
        uploaded_at: longAgo,
        size: 15,
        sha256: 'ab'.repeat(32),
        storage_key: key,
        wrapped_key: 'wrapped',
        master_key_id: '0123456789abcdef',
        pupil_count: 1,
        status: 'collected',
        first_downloaded_at: longAgo,
        last_downloaded_at: longAgo,
        collected_at: longAgo,
      },
      [],
    );

    const run = s2s('jobs', 'run', 'purge-files');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /purge-files: Deleted the content of 1 file\./);
    assert.equal(await store.exists(key), false);
    const row = await sandbox
      .db()
      .selectFrom('transfers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    assert.equal(row?.storage_key, null);
    assert.equal(row?.wrapped_key, null);
    assert.ok(row?.purged_at);
    assert.equal(row?.filename, '9165402_CTF_8171234_003.XML');
    const audit = await sandbox
      .db()
      .selectFrom('audit_events')
      .selectAll()
      .where('subject_id', '=', id)
      .execute();
    assert.deepEqual(
      audit.map((a) => a.action),
      ['file-purged'],
    );
  });

  test("at the operators' log level, the log goes to standard error: standard output is the answer alone", () => {
    const env = { ...sandbox.env, LOG_LEVEL: 'info' };
    const list = runS2s(['jobs', 'list', '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(Array.isArray(JSON.parse(list.stdout)), 'JSON alone');
    assert.match(list.stderr, /malware scanning is off/, 'the warning, on standard error');
    const ran = runS2s(['jobs', 'run', 'seal-audit', '--json'], env);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal((JSON.parse(ran.stdout) as { ok: boolean }).ok, true);
    const csv = runS2s(['audit', 'export'], env);
    assert.equal(csv.code, 0, csv.stderr);
    assert.match(csv.stdout, /^\uFEFF?Sequence,/, 'the CSV starts with its header');
    assert.doesNotMatch(csv.stdout, /"level":/);
  });

  test('jobs list names every job, its schedule and next run, and the last run of the ones that ran', () => {
    const run = s2s('jobs', 'list', '--json');
    assert.equal(run.code, 0, run.stderr);
    const jobs = JSON.parse(run.stdout) as {
      job: string;
      schedule: string;
      next: string;
      lastRun: unknown;
    }[];
    assert.deepEqual(
      jobs.map((job) => job.job),
      [...JOB_NAMES],
    );
    for (const job of jobs) {
      assert.ok(job.schedule.length > 0, job.job);
      assert.ok(new Date(job.next).getTime() > Date.now() - 60_000, `${job.job} runs next in the future`);
    }
    const purge = jobs.find((job) => job.job === 'purge-files');
    const lastRun = purge?.lastRun as { status: string; summary: string } | null;
    assert.deepEqual(
      { status: lastRun?.status, summary: lastRun?.summary },
      { status: 'succeeded', summary: 'Deleted the content of 1 file.' },
    );
    const text = s2s('jobs', 'list');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /purge-files\n {2}Deletes the content/);
  });
});
