// Stored files deleted while `s2s backup` runs: between its snapshot of the rows and its copy of the files,
// the purge-files job purges a file, a sender removes one, or a purge is half done (the content deleted,
// not yet recorded). Each backup finishes, and restores to a service where that file is purged (its
// record kept, its content and pupils gone, as the live database has it) and every other file reads back
// byte for byte. A file deleted behind s2s's back (no record let it go) still fails the backup, naming
// the record. The deletion is made "during" the backup by the store the backup is given: it deletes, the
// way s2s does, when the backup first asks for that file. Every engine, the disk store and S3 (s3rver,
// with the permissions docs/operations.md grants).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { createBackup } from '../../src/backup/backup.ts';
import { runBackupCommand, runRestoreCommand } from '../../src/backup/cli.ts';
import { BackupError, type Instance } from '../../src/backup/instance.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { TransferRow } from '../../src/platform/db/schema.ts';
import { Invalid, NotFound } from '../../src/platform/errors.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import type { FileStore } from '../../src/platform/storage/file-store.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { S3FileStore } from '../../src/platform/storage/s3-store.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import { purgeContent, purgeExpiredContent } from '../../src/transfers/jobs.ts';
import { SentService } from '../../src/transfers/sent-service.ts';
import { ENGINES } from '../support/databases.ts';
import { s3ForTests } from '../support/s3.ts';
import { signal } from '../support/signals.ts';
import { actorOf, makeTransfer, readAll, readStored, school } from '../support/transfers.ts';
import { allRows, emptyInstance, populatedInstance, type TestInstance } from './support.ts';

const masterKey = MasterKey.generate();
const NOW = '2026-11-23T09:00:00.000Z';
/**
 * The S3 store's credentials are those of docs/operations.md's policy, limited to this prefix: S3 then
 * refuses (403) a request for a missing object rather than saying it is not found.
 */
const POLICY_PREFIX = 's2s/';
const folders: string[] = [];

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 's2s-backup-during-'));
  folders.push(dir);
  return join(dir, 'backup');
}

after(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** The store the backup is given: as `store`, but `during` runs when the backup first asks for `key`. */
function deletingOn(store: FileStore, key: string, during: () => Promise<void>): FileStore {
  const wrapped = Object.create(store) as FileStore;
  let asked = false;
  wrapped.get = async (wanted: string) => {
    if (wanted === key && !asked) {
      asked = true;
      await during();
    }
    return store.get(wanted);
  };
  return wrapped;
}

/**
 * A new CTF from the source's first school to its second, with pupils, stored like any other (and
 * remembered in `contents`): the file the tests delete during the backup.
 */
async function newFile(instance: TestInstance, overrides: Partial<TransferRow> = {}): Promise<TransferRow> {
  const first = await instance.db
    .selectFrom('transfers')
    .select(['source_school', 'dest_school', 'uploaded_by'])
    .where('category', '=', 'generic')
    .executeTakeFirstOrThrow();
  const made = await makeTransfer(instance.db, new EncryptedFileStore(instance.store, instance.keyring), {
    from: school(String(first.source_school)),
    to: school(String(first.dest_school)),
    uploadedBy: first.uploaded_by,
    overrides,
  });
  instance.contents.set(String(made.row.storage_key), made.content);
  assert.ok(made.row.pupil_count > 0);
  return made.row;
}

async function userOf(instance: Instance, where: { id?: string; school?: string }) {
  let query = instance.db.selectFrom('users').selectAll();
  if (where.id) query = query.where('id', '=', where.id);
  if (where.school) query = query.where('establishment_number', '=', where.school);
  return actorOf(await query.executeTakeFirstOrThrow());
}

async function backup(instance: Instance, dir: string, ...more: string[]) {
  const io = { out: '', err: '' };
  const code = await runBackupCommand(['--to', dir, '--json', ...more], async () => instance, {
    out: (text) => (io.out += text),
    err: (text) => (io.err += text),
  });
  return { code, ...io };
}

/**
 * Restores the backup into an empty instance and checks it: the rows are those of the snapshot
 * (`snapshot`, read before the backup), but the purged file's record as the live database has it now,
 * without its pupils; the purged file is shown as purged and cannot be downloaded; every other stored
 * file reads back byte for byte, one through a download.
 */
async function assertRestoredWithPurged(
  source: TestInstance,
  target: TestInstance,
  dir: string,
  snapshot: Record<string, unknown[]>,
  purged: TransferRow,
): Promise<void> {
  const io = { out: '', err: '' };
  const code = await runRestoreCommand(['--from', dir], async () => target, {
    out: (text) => (io.out += text),
    err: (text) => (io.err += text),
  });
  assert.equal(code, 0, io.err);

  const live = (await source.db
    .selectFrom('transfers')
    .selectAll()
    .where('id', '=', purged.id)
    .executeTakeFirstOrThrow()) as TransferRow;
  assert.equal(live.storage_key, null, 'the file was purged in the live database');
  assert.ok(live.purged_at);
  const expected = {
    ...snapshot,
    transfers: (snapshot.transfers as TransferRow[]).map((row) => (row.id === purged.id ? live : row)),
    transfer_pupils: (snapshot.transfer_pupils as { transfer_id: string }[]).filter(
      (row) => row.transfer_id !== purged.id,
    ),
  };
  assert.ok(
    (snapshot.transfer_pupils as { transfer_id: string }[]).some((row) => row.transfer_id === purged.id),
    'the purged file had pupils in the snapshot',
  );
  assert.deepEqual(await allRows(target), expected);

  // Every other stored file reads back byte for byte; the purged one is not in the store.
  const files = new EncryptedFileStore(target.store, target.keyring);
  const stored = [
    ...(await target.db.selectFrom('transfers').selectAll().where('storage_key', 'is not', null).execute()),
    ...(await target.db.selectFrom('census_returns').selectAll().execute()),
  ];
  for (const row of stored) {
    assert.deepEqual(
      await readStored(files, row),
      source.contents.get(String(row.storage_key)),
      `the content of ${row.storage_key}`,
    );
  }
  assert.equal(stored.length, source.contents.size - 1, 'every other stored file');
  const keys: string[] = [];
  for await (const object of target.store.list()) keys.push(object.key);
  assert.equal(keys.includes(String(purged.storage_key)), false, 'the purged content is not restored');
  assert.equal(keys.length, source.contents.size - 1);

  // The restored service: the file is listed as purged, its metadata kept, and cannot be downloaded.
  const clock = new ManualClock(NOW);
  const downloads = new DownloadService({
    db: target.db,
    files,
    clock,
    logger: createLogger('silent'),
  });
  const receiver = await userOf(target, { school: String(purged.dest_school) });
  if (live.status !== 'removed') {
    const shown = await downloads.file(receiver, purged.id);
    assert.equal(shown.file.contentHeld, false);
    assert.equal(shown.file.purgedAt, live.purged_at);
    assert.equal(shown.file.filename, purged.filename);
    assert.equal(shown.file.pupilCount, purged.pupil_count, 'the number of pupils is kept');
    assert.deepEqual(shown.pupils, [], "the pupils' details went with the content");
  }
  await assert.rejects(
    downloads.download(receiver, purged.category as 'generic', [purged.id], 'again'),
    (error) => error instanceof Invalid || error instanceof NotFound,
  );
  // Another file downloads, byte for byte.
  const ctf = (snapshot.transfers as TransferRow[]).find(
    (row) =>
      row.id !== purged.id &&
      row.category === 'ctf' &&
      row.status === 'available' &&
      row.storage_key &&
      row.dest_school === purged.dest_school,
  ) as TransferRow;
  const download = await downloads.download(receiver, 'ctf', [ctf.id], 'download');
  assert.deepEqual(await readAll(download.stream), source.contents.get(String(ctf.storage_key)));
}

function suite(
  engine: (typeof ENGINES)[number],
  storeKind: 'disk' | 's3',
  s3?: ReturnType<typeof s3ForTests>,
) {
  const storeOf = () =>
    s3
      ? new S3FileStore(s3().storeConfig(`${POLICY_PREFIX}${randomUUID()}/`))
      : (undefined as FileStore | undefined);

  describe(`deletions during a backup: ${engine}, ${storeKind} store`, () => {
    test('a file the purge-files job purges while the backup runs: the backup finishes, and restores it as purged', async () => {
      const source = await populatedInstance(engine, masterKey, storeOf());
      const target = await emptyInstance(engine, masterKey, storeOf());
      try {
        // Collected and last downloaded more than 7 days ago: the purge's to delete.
        const file = await newFile(source, {
          status: 'collected',
          collected_at: '2026-11-01T09:00:00.000Z',
          first_downloaded_at: '2026-11-01T09:00:00.000Z',
          last_downloaded_at: '2026-11-01T09:00:00.000Z',
        });
        const snapshot = await allRows(source);
        const store = deletingOn(source.store, String(file.storage_key), async () => {
          const result = await purgeExpiredContent(
            source.db,
            new EncryptedFileStore(source.store, source.keyring),
            new ManualClock(NOW),
          );
          assert.equal(result.purged, 1, 'the purge deleted the file during the backup');
        });
        const dir = folder();
        const run = await backup({ ...source, store }, dir);
        assert.equal(run.code, 0, run.err);
        const summary = JSON.parse(run.out);
        assert.equal(summary.purged, 1, 'the summary counts the file purged while it ran');
        assert.equal(summary.blobs, source.contents.size - 1);
        await assertRestoredWithPurged(source, target, dir, snapshot, file);
      } finally {
        await source.drop();
        await target.drop();
      }
    });

    test('a file its sender removes while the backup runs: the backup finishes, and restores it as removed', async () => {
      const source = await populatedInstance(engine, masterKey, storeOf());
      const target = await emptyInstance(engine, masterKey, storeOf());
      try {
        const file = await newFile(source);
        const sender = await userOf(source, { school: String(file.source_school) });
        const snapshot = await allRows(source);
        const store = deletingOn(source.store, String(file.storage_key), async () => {
          const sent = new SentService({
            db: source.db,
            files: new EncryptedFileStore(source.store, source.keyring),
            clock: new ManualClock(NOW),
            logger: createLogger('silent'),
          });
          const removed = await sent.remove(sender, file.id);
          assert.equal(removed.status, 'removed');
        });
        const dir = folder();
        const run = await backup({ ...source, store }, dir);
        assert.equal(run.code, 0, run.err);
        assert.equal(JSON.parse(run.out).purged, 1);
        await assertRestoredWithPurged(source, target, dir, snapshot, file);
        const restored = await target.db
          .selectFrom('transfers')
          .selectAll()
          .where('id', '=', file.id)
          .executeTakeFirstOrThrow();
        assert.equal(restored.status, 'removed', 'restored as the live database has it');
        assert.equal(restored.removed_by, sender.userId);
      } finally {
        await source.drop();
        await target.drop();
      }
    });

    test('a file whose purge (on a node of an earlier version) has deleted the content but not yet recorded it: the backup waits for the record', async () => {
      const source = await populatedInstance(engine, masterKey, storeOf());
      const target = await emptyInstance(engine, masterKey, storeOf());
      try {
        const file = await newFile(source, { status: 'rejected', rejected_at: '2026-11-01T09:00:00.000Z' });
        const snapshot = await allRows(source);
        let recorded: Promise<boolean> | undefined;
        const store = deletingOn(source.store, String(file.storage_key), async () => {
          // A purge of an earlier version deleted the content, then recorded the purge (purgeContent now
          // records first): held back here for a moment, the backup finds the file gone while its record
          // still names it.
          const files = new EncryptedFileStore(source.store, source.keyring);
          await files.remove(String(file.storage_key));
          recorded = new Promise((resolve) => setTimeout(resolve, 1500)).then(() =>
            purgeContent(source.db, files, new ManualClock(NOW), file, 'rejected', {
              userId: null,
              username: null,
              organisation: file.dest_school,
            }),
          );
        });
        const dir = folder();
        const made = await createBackup({ ...source, store }, dir, new Date(NOW), { settleMs: 10_000 });
        assert.equal(await recorded, true);
        assert.equal(made.purged, 1);
        await assertRestoredWithPurged(source, target, dir, snapshot, file);
      } finally {
        await source.drop();
        await target.drop();
      }
    });

    test('--settle-seconds 0: a file whose purge (on a node of an earlier version) has deleted the content but not yet recorded it fails the backup at once', async () => {
      const source = await populatedInstance(engine, masterKey, storeOf());
      try {
        const file = await newFile(source, { status: 'rejected', rejected_at: '2026-11-01T09:00:00.000Z' });
        // The purge (deleting first, as an earlier version did) records the deletion only once the backup
        // has ended: with no time to settle, the backup takes the file for lost (by default it would wait
        // 30 seconds for the record).
        const { fired: ended, fire: backupEnded } = signal();
        let recorded: Promise<boolean> | undefined;
        const store = deletingOn(source.store, String(file.storage_key), async () => {
          const files = new EncryptedFileStore(source.store, source.keyring);
          await files.remove(String(file.storage_key));
          recorded = ended.then(() =>
            purgeContent(source.db, files, new ManualClock(NOW), file, 'rejected', {
              userId: null,
              username: null,
              organisation: file.dest_school,
            }),
          );
        });
        const dir = folder();
        const run = await backup({ ...source, store }, dir, '--settle-seconds', '0');
        backupEnded();
        assert.equal(await recorded, true, 'the purge recorded it afterwards');
        assert.equal(run.code, 1);
        assert.match(
          run.err,
          new RegExp(
            `^The stored file of transfer ${file.id} \\(${file.storage_key}\\) is missing from the file store, although the database still refers to it`,
          ),
        );
        assert.throws(() => readdirSync(dir), /ENOENT/, 'the unfinished backup is removed');
      } finally {
        await source.drop();
      }
    });

    test('a file purged while the backup runs, the only one under an earlier master key: the backup does not need that key', async () => {
      const source = await populatedInstance(engine, masterKey, storeOf());
      const target = await emptyInstance(engine, masterKey, storeOf());
      try {
        // Stored before the master key was rotated, and not re-wrapped since: its data key is under the
        // earlier key, which the instance is still given (MASTER_KEY_PREVIOUS).
        const earlier = MasterKey.generate();
        const file = await newFile(
          { ...source, keyring: new MasterKeyring(earlier) },
          {
            status: 'collected',
            collected_at: '2026-11-01T09:00:00.000Z',
            first_downloaded_at: '2026-11-01T09:00:00.000Z',
            last_downloaded_at: '2026-11-01T09:00:00.000Z',
          },
        );
        assert.equal(file.master_key_id, earlier.id);
        const keyring = new MasterKeyring(masterKey, [earlier]);
        const snapshot = await allRows(source);
        const store = deletingOn(source.store, String(file.storage_key), async () => {
          const result = await purgeExpiredContent(
            source.db,
            new EncryptedFileStore(source.store, keyring),
            new ManualClock(NOW),
          );
          assert.equal(result.purged, 1);
        });
        const dir = folder();
        const run = await backup({ ...source, keyring, store }, dir);
        assert.equal(run.code, 0, run.err);
        assert.deepEqual(JSON.parse(run.out).masterKeyIds, [masterKey.id], 'only the key of what it holds');
        const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
        assert.deepEqual(manifest.masterKeyIds, [masterKey.id]);
        // Restored into an instance given the current key alone.
        await assertRestoredWithPurged(source, target, dir, snapshot, file);
      } finally {
        await source.drop();
        await target.drop();
      }
    });

    test("a file deleted behind s2s's back fails the backup, naming the record; nothing is kept", async () => {
      const source = await populatedInstance(engine, masterKey, storeOf());
      try {
        const file = await newFile(source);
        const census = await source.db
          .selectFrom('census_returns')
          .select(['id', 'storage_key'])
          .executeTakeFirstOrThrow();
        const surnames = (await source.db.selectFrom('transfer_pupils').select('surname').execute()).map(
          (row) => String(row.surname),
        );
        for (const [table, id, key] of [
          ['transfer', file.id, String(file.storage_key)],
          ['census return', census.id, census.storage_key],
        ] as const) {
          const stored = await readAll(await source.store.get(key));
          const store = deletingOn(source.store, key, () => source.store.remove(key));
          const dir = folder();
          const started = Date.now();
          await assert.rejects(
            createBackup({ ...source, store }, dir, new Date(NOW), { settleMs: 300 }),
            (error: Error) => {
              assert.ok(error instanceof BackupError, error.stack);
              assert.match(
                error.message,
                new RegExp(
                  `^The stored file of ${table} ${id} \\(${key}\\) is missing from the file store, although the database still refers to it`,
                ),
              );
              for (const surname of surnames) assert.equal(error.message.includes(surname), false);
              return true;
            },
          );
          assert.ok(Date.now() - started >= 300, 'it waited for a purge to record it first');
          assert.throws(() => readdirSync(dir), /ENOENT/, 'the unfinished backup is removed');
          await source.store.put(key, Readable.from([stored]));
        }
      } finally {
        await source.drop();
      }
    });
  });
}

for (const engine of ENGINES) suite(engine, 'disk');
describe('with the S3 store, its credentials limited to its prefix', () => {
  const s3 = s3ForTests({ onlyPrefix: POLICY_PREFIX });
  for (const engine of ENGINES) suite(engine, 's3', s3);
});
