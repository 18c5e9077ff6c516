// `s2s backup` and `s2s restore`, run in-process on real instances: a backup restored into an empty
// instance of either engine gives back every row and every file (on the disk store, and once on S3); a
// damaged backup, a non-empty instance, another master key and a failure part-way are refused and leave
// the instance as it was.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { sealAudit, verifyAudit } from '../../src/audit/chain.ts';
import { withAuditKeys } from '../../src/audit/keys.ts';
import { recordAudit } from '../../src/audit/repository.ts';
import { createBackup } from '../../src/backup/backup.ts';
import { openInstance, runBackupCommand, runRestoreCommand } from '../../src/backup/cli.ts';
import type { BlobEntry } from '../../src/backup/format.ts';
import type { Instance } from '../../src/backup/instance.ts';
import { TABLE_ORDER } from '../../src/backup/tables.ts';
import { loadConfig } from '../../src/config.ts';
import {
  appliedMigrations,
  createDatabase,
  type Engine,
  MIGRATION_NAMES,
  migrateTo,
} from '../../src/platform/db/database.ts';
import { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { DiskFileStore } from '../../src/platform/storage/file-store.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { S3FileStore } from '../../src/platform/storage/s3-store.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { s3ForTests } from '../support/s3.ts';
import { makeTransfer, school } from '../support/transfers.ts';
import {
  assertEmpty,
  assertRestored,
  asVersion1,
  asVersion2,
  auditKeysOf,
  blobListOf,
  emptyInstance,
  manifestOf,
  populatedInstance,
  rewriteBlobList,
  rowCounts,
  type TestInstance,
  writeManifest,
} from './support.ts';

/** The schema level a backup made now is at. */
const LATEST = MIGRATION_NAMES.at(-1);

const masterKey = MasterKey.generate();
const folders: string[] = [];

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 's2s-backup-'));
  folders.push(dir);
  return dir;
}

after(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

function output() {
  const io = { out: '', err: '' };
  return { io, sink: { out: (text: string) => (io.out += text), err: (text: string) => (io.err += text) } };
}

async function backup(instance: Instance, to: string, ...more: string[]) {
  const { io, sink } = output();
  const code = await runBackupCommand(['--to', to, ...more], async () => instance, sink);
  return { code, ...io };
}

async function restore(instance: Instance, from: string, ...more: string[]) {
  const { io, sink } = output();
  const code = await runRestoreCommand(['--from', from, ...more], async () => instance, sink);
  return { code, ...io };
}

/** A restore refused for `reason` (a pattern), in words and without a stack trace, the instance left empty. */
async function assertRefused(target: Instance, from: string, reason: string, ...more: string[]) {
  const run = await restore(target, from, ...more);
  assert.equal(run.code, 1, `${from}: ${run.err}`);
  assert.match(run.err, new RegExp(reason));
  assert.doesNotMatch(run.err, /\n\s+at /, 'no stack trace');
  await assertEmpty(target);
}

/** A copy of the backup to damage. */
function copyOf(dir: string): string {
  const copy = join(folder(), 'copy');
  cpSync(dir, copy, { recursive: true });
  return copy;
}

for (const sourceEngine of ['sqlite', 'postgres'] as const) {
  describe(`backup of a ${sourceEngine} instance`, () => {
    let source: TestInstance;
    let dir: string;
    before(async () => {
      source = await populatedInstance(sourceEngine, masterKey);
      dir = join(folder(), 'backup');
      const run = await backup(source, dir);
      assert.equal(run.code, 0, run.err);
    });
    after(async () => {
      await source?.drop();
    });

    test('the backup says what it holds, and loudly that the master key is not in it', async () => {
      const counts = await rowCounts(source);
      const rows = Object.values(counts).reduce((sum, n) => sum + n, 0);
      const json = await backup(source, join(folder(), 'again'), '--json');
      assert.equal(json.code, 0, json.err);
      const summary = JSON.parse(json.out);
      assert.equal(summary.engine, sourceEngine);
      assert.equal(summary.level, LATEST);
      assert.equal(summary.tables, TABLE_ORDER.length, 'every table');
      assert.equal(summary.rows, rows);
      assert.equal(summary.blobs, source.contents.size);
      assert.deepEqual(summary.masterKeyIds, [masterKey.id]);
      assert.equal(summary.masterKeyInBackup, false);
      assert.match(json.err, /IMPORTANT: the master key is NOT in the backup/);

      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      assert.deepEqual(
        Object.fromEntries(
          Object.entries(manifest.tables).map(([table, entry]) => [table, (entry as { rows: number }).rows]),
        ),
        counts,
      );
      assert.deepEqual(readdirSync(join(dir, 'files')).sort(), [...source.contents.keys()].sort());
      // Nothing in the backup is readable without the master key: no pupil's name in any file.
      const pupil = await source.db.selectFrom('transfer_pupils').select('surname').executeTakeFirstOrThrow();
      for (const sub of ['tables', 'files']) {
        for (const name of readdirSync(join(dir, sub))) {
          assert.equal(
            readFileSync(join(dir, sub, name)).includes(String(pupil.surname)),
            false,
            `${sub}/${name}`,
          );
        }
      }
      assert.equal(readFileSync(join(dir, 'manifest.json'), 'utf8').includes(String(pupil.surname)), false);
    });

    for (const targetEngine of ['sqlite', 'postgres'] as const satisfies Engine[]) {
      test(`restores into an empty ${targetEngine} instance: every row, every file, the audit chain`, async () => {
        const target = await emptyInstance(targetEngine, masterKey);
        try {
          const run = await restore(target, dir);
          assert.equal(run.code, 0, run.err);
          assert.match(
            run.out,
            new RegExp(`Restored the backup made at .* \\(${sourceEngine}, schema level ${LATEST}\\)`),
          );
          await assertRestored(source, target);
        } finally {
          await target.drop();
        }
      });
    }

    test('a damaged, truncated or altered backup is refused before anything is written', {
      skip: sourceEngine !== 'sqlite' && 'once is enough',
    }, async () => {
      const target = await emptyInstance(sourceEngine, masterKey);
      try {
        const blob = copyOf(dir);
        const blobName = readdirSync(join(blob, 'files'))[0] as string;
        const bytes = readFileSync(join(blob, 'files', blobName));
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
        writeFileSync(join(blob, 'files', blobName), bytes);
        const truncated = copyOf(dir);
        truncateSync(join(truncated, 'tables', 'users.jsonl.enc'), 100);
        const extra = copyOf(dir);
        writeFileSync(join(extra, 'files', 'planted'), 'x');
        const noManifest = copyOf(dir);
        rmSync(join(noManifest, 'manifest.json'));
        const lying = copyOf(dir);
        const manifest = manifestOf(lying);
        (manifest.tables.users as { rows: number }).rows += 1;
        writeManifest(lying, manifest);
        // Only someone holding the master key could make its MAC again: then the rows are counted.
        const lyingUnderKey = copyOf(lying);
        writeManifest(lyingUnderKey, manifest, masterKey);

        for (const [damaged, reason] of [
          [
            blob,
            `The backup is damaged: files/${blobName} does not match its SHA-256 in the manifest: it was damaged, altered, or swapped for another backup's file or another table's\\. Nothing was restored\\.`,
          ],
          [
            truncated,
            'The backup is damaged: tables/users.jsonl.enc does not match its SHA-256 in the manifest \\(100 bytes',
          ],
          [extra, 'The backup holds files its manifest does not list \\(files/planted\\)'],
          [noManifest, 'holds no manifest.json'],
          [
            `${dir}-not-there`,
            `There is no folder ${dir}-not-there: give --from the folder s2s backup wrote`,
          ],
          [
            lying,
            "The backup's manifest.json does not match its MAC \\(made under the master key \\w+\\): the backup has been altered",
          ],
          [
            lyingUnderKey,
            'tables/users.jsonl.enc holds \\d+ rows; its manifest says \\d+\\. Nothing was restored\\.',
          ],
        ] as const) {
          await assertRefused(target, damaged, reason);
        }
      } finally {
        await target.drop();
      }
    });

    test('a version-1 backup, as the previous release wrote it (every stored file in the manifest), restores', async () => {
      const v1 = copyOf(dir);
      asVersion1(v1);
      assert.equal(JSON.parse(readFileSync(join(v1, 'manifest.json'), 'utf8')).version, 1);
      const target = await emptyInstance(sourceEngine, masterKey);
      try {
        const run = await restore(target, v1, '--unsigned');
        assert.equal(run.code, 0, run.err);
        await assertRestored(source, target);
      } finally {
        await target.drop();
      }
    });

    test("a version-1 backup's checks still hold: a damaged, missing, unlisted or miscounted stored file", {
      skip: sourceEngine !== 'sqlite' && 'once is enough',
    }, async () => {
      const target = await emptyInstance(sourceEngine, masterKey);
      try {
        const damaged = copyOf(dir);
        asVersion1(damaged);
        const blobName = readdirSync(join(damaged, 'files')).sort()[0] as string;
        writeFileSync(join(damaged, 'files', blobName), 'x');
        const missing = copyOf(dir);
        asVersion1(missing);
        rmSync(join(missing, 'files', blobName));
        const extra = copyOf(dir);
        asVersion1(extra);
        writeFileSync(join(extra, 'files', 'planted'), 'x');
        const miscounted = copyOf(dir);
        asVersion1(miscounted);
        const manifest = manifestOf(miscounted);
        manifest.blobs = Number(manifest.blobs) + 1;
        writeManifest(miscounted, manifest);
        for (const [backupDir, reason] of [
          [
            damaged,
            `The backup is damaged: files/${blobName} does not match its SHA-256 in the manifest \\(1 bytes`,
          ],
          [missing, `The backup is incomplete: files/${blobName} is missing or unreadable`],
          [extra, 'The backup holds files its manifest does not list \\(files/planted\\)'],
          [
            miscounted,
            "The backup's manifest lists \\d+ stored files but says it holds \\d+: it has been altered",
          ],
        ] as const) {
          await assertRefused(target, backupDir, reason, '--unsigned');
        }
      } finally {
        await target.drop();
      }
    });

    test('an altered list of stored files (files.jsonl) is refused, saying how, before anything is written', {
      skip: sourceEngine !== 'sqlite' && 'once is enough',
    }, async () => {
      const target = await emptyInstance(sourceEngine, masterKey);
      try {
        const entries = blobListOf(dir);
        const first = entries[0] as BlobEntry;
        const altered = (change: (dir: string) => void) => {
          const copy = copyOf(dir);
          change(copy);
          return copy;
        };
        for (const [backupDir, reason] of [
          [
            altered((copy) => rewriteBlobList(copy, masterKey, [first, ...entries], entries.length + 1)),
            `The backup's files.jsonl lists ${first.path} twice or out of order: it has been altered`,
          ],
          [
            altered((copy) => rewriteBlobList(copy, masterKey, [...entries].reverse())),
            "The backup's files.jsonl lists files/\\S+ twice or out of order",
          ],
          [
            altered((copy) =>
              rewriteBlobList(copy, masterKey, [
                { ...first, path: 'files/../manifest.json' },
                ...entries.slice(1),
              ]),
            ),
            "The backup's files.jsonl names a file outside the backup's folders \\(files/\\.\\./manifest\\.json\\)",
          ],
          [
            altered((copy) => rewriteBlobList(copy, masterKey, entries, entries.length + 1)),
            `The backup's files.jsonl lists ${entries.length} stored files but the manifest says it holds ${entries.length + 1}`,
          ],
          [
            altered((copy) => rmSync(join(copy, first.path))),
            `The backup is incomplete: ${first.path} is missing or unreadable`,
          ],
          [
            altered((copy) => writeFileSync(join(copy, 'files', 'planted'), 'x')),
            'The backup holds files its manifest does not list \\(files/planted\\)',
          ],
          [
            // Its entries unchanged, its bytes not: the manifest's SHA-256 of the list catches it.
            altered((copy) =>
              writeFileSync(
                join(copy, 'files.jsonl'),
                readFileSync(join(copy, 'files.jsonl'), 'utf8').replaceAll('{"path"', '{ "path"'),
              ),
            ),
            "The backup's files.jsonl changed while it was being read, or does not match its SHA-256 in the manifest",
          ],
          [
            altered((copy) => rmSync(join(copy, 'files.jsonl'))),
            'The backup is incomplete: files.jsonl is missing or unreadable',
          ],
          [
            altered((copy) => writeFileSync(join(copy, 'files.jsonl'), 'not json\n')),
            "The backup's files.jsonl holds a line that is not a stored file's entry",
          ],
          [
            altered((copy) => {
              const manifest = manifestOf(copy);
              delete manifest.files['files.jsonl'];
              writeManifest(copy, manifest, masterKey);
            }),
            "The backup's manifest does not list files.jsonl, the list of its stored files",
          ],
        ] as const) {
          await assertRefused(target, backupDir, reason);
        }
      } finally {
        await target.drop();
      }
    });

    test('restore into an instance that holds data, or under another master key, is refused and changes nothing', async () => {
      const counts = await rowCounts(source);
      const files = readdirSync(source.storeDir).sort();
      const run = await restore(source, dir);
      assert.equal(run.code, 1);
      assert.match(
        run.err,
        /The database is not empty \(.*users.*\): s2s restores only into an empty database/,
      );
      assert.deepEqual(await rowCounts(source), counts);
      assert.deepEqual(readdirSync(source.storeDir).sort(), files);

      const target = await emptyInstance(sourceEngine, masterKey);
      try {
        writeFileSync(join(target.storeDir, 'some-file'), 'x');
        const stored = await restore(target, dir);
        assert.equal(stored.code, 1);
        assert.match(stored.err, /The file store is not empty/);
        rmSync(join(target.storeDir, 'some-file'));

        const otherKey = await restore({ ...target, keyring: new MasterKeyring(MasterKey.generate()) }, dir);
        assert.equal(otherKey.code, 1);
        assert.match(
          otherKey.err,
          new RegExp(
            `The backup was made under the master key ${masterKey.id}, which this instance is not given`,
          ),
        );
        await assertEmpty(target);
      } finally {
        await target.drop();
      }
    });

    test("an older backup's table files swapped in, with their manifest entries, are refused before anything is written", async () => {
      // The review's case: a user added between two backups, then the first backup's users and audit
      // trail put into the second, files and manifest entries, to restore without the user.
      const instance = await emptyInstance(sourceEngine, masterKey);
      const target = await emptyInstance(sourceEngine, masterKey);
      try {
        const authority = await makeLa(instance.db);
        const audited = withAuditKeys(instance.db, auditKeysOf(instance));
        const addUser = async (minute: number) => {
          const user = await makeUser(instance.db, 'la_dba', { laNumber: authority.number });
          await recordAudit(audited, {
            at: new Date(Date.UTC(2026, 11, 7, 9, minute)),
            actorUsername: 'admin',
            action: 'user-added',
            detail: { username: user.username },
          });
          await sealAudit(instance.db, auditKeysOf(instance));
        };
        await addUser(1);
        const older = join(folder(), 'older');
        assert.equal((await backup(instance, older)).code, 0);
        await addUser(2);
        const newer = join(folder(), 'newer');
        assert.equal((await backup(instance, newer)).code, 0);

        const swapped = copyOf(newer);
        const filesOnly = copyOf(newer);
        const olderManifest = manifestOf(older);
        const manifest = manifestOf(swapped);
        for (const table of ['users', 'audit_events', 'audit_chain_head']) {
          const file = `tables/${table}.jsonl.enc`;
          cpSync(join(older, file), join(swapped, file));
          cpSync(join(older, file), join(filesOnly, file));
          manifest.tables[table] = olderManifest.tables[table];
          manifest.files[file] = olderManifest.files[file];
        }
        writeManifest(swapped, manifest);
        for (const [altered, reason] of [
          [
            swapped,
            "The backup's manifest.json does not match its MAC \\(made under the master key \\w+\\): the backup has been altered, " +
              "or mixed with another backup's files and their entries in its manifest\\. Nothing was restored\\.",
          ],
          [
            filesOnly,
            'The backup is damaged: tables/(users|audit_events|audit_chain_head)\\.jsonl\\.enc does not match its SHA-256 in the manifest',
          ],
        ] as const) {
          await assertRefused(target, altered, reason);
        }
      } finally {
        await instance.drop();
        await target.drop();
      }
    });

    test("a table's file put under another table's name is refused before anything is written", async () => {
      // The empty api_tokens table's file and key, as transfers and their pupils (to restore no transfers).
      const target = await emptyInstance(sourceEngine, masterKey);
      try {
        const renamed = copyOf(dir);
        const filesOnly = copyOf(dir);
        const manifest = manifestOf(renamed);
        const tokens = manifest.tables.api_tokens as { file: string };
        for (const table of ['transfers', 'transfer_pupils']) {
          const file = `tables/${table}.jsonl.enc`;
          cpSync(join(dir, tokens.file), join(renamed, file));
          cpSync(join(dir, tokens.file), join(filesOnly, file));
          manifest.tables[table] = { ...tokens, file };
          manifest.files[file] = manifest.files[tokens.file];
        }
        writeManifest(renamed, manifest);
        for (const [altered, reason] of [
          [renamed, "The backup's manifest.json does not match its MAC"],
          [
            // The manifest as made: each table's file is checked against the SHA-256 under its name.
            filesOnly,
            'The backup is damaged: tables/(transfers|transfer_pupils)\\.jsonl\\.enc does not match its SHA-256 in the manifest.*: ' +
              "it was damaged, altered, or swapped for another backup's file or another table's",
          ],
        ] as const) {
          await assertRefused(target, altered, reason);
        }
      } finally {
        await target.drop();
      }
    });

    test('a backup of an earlier s2s (version 2, no MAC) restores only with --unsigned; a version-3 one without its MAC never', async () => {
      const v2 = copyOf(dir);
      asVersion2(v2);
      const stripped = copyOf(dir);
      const { mac: _mac, ...unsigned } = manifestOf(stripped);
      writeManifest(stripped, unsigned);
      const target = await emptyInstance(sourceEngine, masterKey);
      try {
        const refused = await restore(target, v2);
        assert.equal(refused.code, 1);
        assert.match(
          refused.err,
          new RegExp(
            'The backup is of format version 2, written by an earlier s2s before manifests were authenticated: ' +
              "s2s cannot check that none of its files was swapped for another backup's.*" +
              'restore it with --unsigned',
          ),
        );
        await assertEmpty(target);
        for (const options of [[], ['--unsigned']]) {
          const run = await restore(target, stripped, ...options);
          assert.equal(run.code, 1);
          assert.match(
            run.err,
            /The backup's manifest\.json has no MAC, which every backup of format version 3 has: the backup has been altered/,
          );
          await assertEmpty(target);
        }
        const run = await restore(target, v2, '--unsigned');
        assert.equal(run.code, 0, run.err);
        await assertRestored(source, target);
      } finally {
        await target.drop();
      }
    });

    test('a backup made under a previous master key restores, its MAC checked with that key', async () => {
      const target = await emptyInstance(sourceEngine, MasterKey.generate());
      const rotated = { ...target, keyring: new MasterKeyring(target.keyring.current, [masterKey]) };
      try {
        const run = await restore(rotated, dir);
        assert.equal(run.code, 0, run.err);
        await assertRestored(source, rotated);
      } finally {
        await target.drop();
      }
    });
  });
}

describe('backup and restore failures', () => {
  test('tables are read a page at a time, by their keys (single and composite), and none is missed', async () => {
    const source = await populatedInstance('postgres', masterKey);
    const target = await emptyInstance('sqlite', masterKey);
    try {
      const dir = join(folder(), 'backup');
      // Pages of 3 rows: transfers (120 rows), their pupils and the lost pupil's keys take many.
      const summary = await createBackup(source, dir, new Date(), { pageSize: 3 });
      const counts = await rowCounts(source);
      assert.equal(
        summary.rows,
        Object.values(counts).reduce((sum, n) => sum + n, 0),
      );
      assert.ok((counts.transfer_pupils ?? 0) > 6 && (counts.lost_pupil_keys ?? 0) >= 3);
      const run = await restore(target, dir);
      assert.equal(run.code, 0, run.err);
      await assertRestored(source, target);
    } finally {
      await source.drop();
      await target.drop();
    }
  });

  test('a restore that fails part-way leaves the instance empty: the rows rolled back, the files removed', async () => {
    // SQLite keeps a name longer than its column allows; PostgreSQL refuses it, once the files are copied.
    const target = await emptyInstance('postgres', masterKey);
    try {
      const populated = await populatedInstance('sqlite', masterKey);
      const dir = join(folder(), 'backup');
      await populated.db
        .updateTable('local_authorities')
        .set({ name: 'N'.repeat(250) })
        .execute();
      assert.equal((await backup(populated, dir)).code, 0);
      await populated.drop();
      const run = await restore(target, dir);
      assert.equal(run.code, 1);
      assert.match(run.err, /The restore failed: .*too long.*Nothing was restored/);
      await assertEmpty(target);
    } finally {
      await target.drop();
    }
  });

  for (const engine of ['sqlite', 'postgres'] as const) {
    test(`a restore stopped by SIGTERM or SIGINT while it copies the files removes them, says so and fails (${engine})`, async () => {
      const source = await populatedInstance('sqlite', masterKey);
      const dir = join(folder(), 'backup');
      try {
        assert.equal((await backup(source, dir)).code, 0);
      } finally {
        await source.drop();
      }
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const target = await emptyInstance(engine, masterKey);
        // The disk store, signalled as it stores the first file (as an operator's Ctrl-C would).
        let puts = 0;
        const store = new (class extends DiskFileStore {
          override async put(key: string, content: Readable): Promise<void> {
            await super.put(key, content);
            puts += 1;
            if (puts === 1) process.emit(signal, signal);
          }
        })(target.storeDir);
        try {
          const run = await restore({ ...target, store }, dir);
          assert.equal(run.code, 1, run.out);
          assert.equal(
            run.err,
            `The restore was stopped (${signal}) before it finished: the stored files it had copied were removed ` +
              'and no rows were written. Nothing was restored: run it again into the same empty instance.\n',
          );
          assert.equal(puts, 1, 'no file copied after the signal');
          await assertEmpty(target);
          assert.equal(process.listenerCount(signal), 0, 'the handler is gone with the restore');
        } finally {
          await target.drop();
        }
      }
    });
  }

  test('a restore refused because the file store is not empty makes no SQLite database (SQLite: PostgreSQL makes nothing)', async () => {
    const instance = await emptyInstance('sqlite', masterKey);
    const dir = join(folder(), 'backup');
    try {
      assert.equal((await backup(instance, dir)).code, 0);
    } finally {
      await instance.drop();
    }
    const place = folder();
    writeFileSync(join(place, 'some-file'), 'x');
    const database = join(place, 'restored.sqlite');
    const config = loadConfig({
      DATABASE_URL: `sqlite:${database}`,
      FILE_STORE_DIR: place,
      MASTER_KEY: masterKey.toBase64(),
    });
    const { io, sink } = output();
    assert.equal(
      await runRestoreCommand(['--from', dir], () => openInstance(config, { writesFiles: true }), sink),
      1,
    );
    assert.match(
      io.err,
      /^The file store is not empty: s2s restores only into an empty file store\..*Nothing was changed\.\n$/,
    );
    assert.deepEqual(readdirSync(place), ['some-file'], 'no database file, nor its -wal or -shm');
  });

  test('a stored file missing from the store fails the backup, naming the record; nothing is kept', async () => {
    // Files deleted while a backup runs, and deleted behind s2s's back then, are during.test.ts's.
    const source = await populatedInstance('sqlite', masterKey);
    try {
      const transfer = await source.db
        .selectFrom('transfers')
        .select(['id', 'storage_key'])
        .where('storage_key', 'is not', null)
        .executeTakeFirstOrThrow();
      rmSync(join(source.storeDir, String(transfer.storage_key)));
      const missing = new RegExp(
        `^Error: The stored file of transfer ${transfer.id} \\(${transfer.storage_key}\\) is missing from the file store, although the database still refers to it: it was not purged or removed`,
      );
      const dir = join(folder(), 'backup');
      await assert.rejects(createBackup(source, dir, new Date(), { settleMs: 0 }), missing);
      assert.throws(() => readdirSync(dir), /ENOENT/, 'the unfinished backup is removed');

      const existing = folder(); // an empty folder given: emptied again, not removed
      await assert.rejects(createBackup(source, existing, new Date(), { settleMs: 0 }), missing);
      assert.deepEqual(readdirSync(existing), []);
    } finally {
      await source.drop();
    }
  });

  test('a storage key that would name a path outside the backup fails the backup, naming the record; nothing is written outside', async () => {
    const source = await populatedInstance('sqlite', masterKey);
    try {
      const transfer = await source.db
        .selectFrom('transfers')
        .select(['id'])
        .where('storage_key', 'is not', null)
        .executeTakeFirstOrThrow();
      await source.db
        .updateTable('transfers')
        .set({ storage_key: '../outside' })
        .where('id', '=', transfer.id)
        .execute();
      const parent = folder();
      const dir = join(parent, 'backup');
      await assert.rejects(
        createBackup(source, dir, new Date(), { settleMs: 0 }),
        new RegExp(
          `^Error: The stored file of transfer ${transfer.id} \\(\\.\\./outside\\) is not a storage key s2s makes: the database has been altered`,
        ),
      );
      assert.deepEqual(readdirSync(parent), [], 'nothing beside the unfinished backup, which is removed');
    } finally {
      await source.drop();
    }
  });

  test('a backup of an older schema restores at its level, then the schema is brought up to date', async () => {
    // A database at the level before the audit chain (no seq columns, no chain head), restored into one
    // already migrated further: migrated down while empty, the rows restored, then migrated up again.
    const dir = mkdtempSync(join(tmpdir(), 's2s-backup-old-'));
    folders.push(dir);
    const db = createDatabase(`sqlite:${join(dir, 'old.sqlite')}`);
    const old: Instance = {
      db,
      store: new DiskFileStore(join(dir, 'files')),
      keyring: new MasterKeyring(masterKey),
      close: async () => {},
    };
    const target = await emptyInstance('postgres', masterKey);
    try {
      await migrateTo(db, '011-oidc-identities');
      const authority = await makeLa(db);
      // As that version wrote it: without the MAC columns, which came with migration 036.
      await db
        .insertInto('audit_events')
        .values({
          id: randomUUID(),
          occurred_at: new Date(Date.UTC(2026, 10, 1, 9)).toISOString(),
          actor_user_id: null,
          actor_username: null,
          organisation: authority.number,
          action: 'sign-in',
          subject_type: null,
          subject_id: null,
          detail: null,
        })
        .execute();
      const run = await backup(old, join(dir, 'backup'));
      assert.equal(run.code, 0, run.err);
      assert.match(run.out, /schema level 011-oidc-identities/);
      const restored = await restore(target, join(dir, 'backup'));
      assert.equal(restored.code, 0, restored.err);
      assert.deepEqual(await appliedMigrations(target.db, target.schema), [...MIGRATION_NAMES]);
      assert.equal((await target.db.selectFrom('local_authorities').selectAll().execute()).length, 1);
      // Written before the audit trail had MACs: sealed in the old form, which verifies as before.
      assert.deepEqual(await sealAudit(target.db, auditKeysOf(target)), { sealed: 1, unproven: 0 });
      const verified = await verifyAudit(target.db, auditKeysOf(target));
      assert.equal(verified.ok, true);
      assert.deepEqual([verified.legacy, verified.keyed], [1, 0]);
    } finally {
      await db.destroy();
      await target.drop();
    }
  });

  test('the manifest does not grow with the stored files: they are listed in files.jsonl, sorted by path in runs', async () => {
    // At national scale a backup holds hundreds of thousands of stored files: nothing is kept per file
    // (docs/benchmarks.md measures it), and the manifest holds only the table files and the list's digest.
    const source = await emptyInstance('sqlite', masterKey);
    try {
      const files = new EncryptedFileStore(source.store, source.keyring);
      const authority = await makeLa(source.db);
      const from = await makeSchool(source.db, authority.number);
      const to = await makeSchool(source.db, authority.number);
      const addTransfers = async (count: number) => {
        for (let n = 0; n < count; n += 1) {
          const made = await makeTransfer(source.db, files, {
            from: school(from.number),
            to: school(to.number),
            category: 'generic',
          });
          source.contents.set(made.row.storage_key as string, made.content);
        }
      };
      await addTransfers(10);
      const few = join(folder(), 'few');
      await createBackup(source, few, new Date('2026-12-01T00:00:00Z'));
      await addTransfers(50);
      const many = join(folder(), 'many');
      // Runs of 7 entries: the list is sorted in 9 runs, merged.
      await createBackup(source, many, new Date('2026-12-01T00:00:00Z'), { sortRun: 7 });

      const manifest = JSON.parse(readFileSync(join(many, 'manifest.json'), 'utf8'));
      assert.equal(manifest.version, 3);
      assert.equal(manifest.blobs, 60);
      assert.deepEqual(
        Object.keys(manifest.files).sort(),
        [
          ...Object.values(manifest.tables).map((table) => (table as { file: string }).file),
          'files.jsonl',
        ].sort(),
        'no entry per stored file',
      );
      // Only counts' digits could differ: 50 more stored files would add some 12 kB in version 1.
      const sizeOf = (dir: string) => readFileSync(join(dir, 'manifest.json')).length;
      assert.ok(Math.abs(sizeOf(many) - sizeOf(few)) <= 8, `${sizeOf(few)} and ${sizeOf(many)} bytes`);

      const paths = blobListOf(many).map((entry) => entry.path);
      assert.deepEqual(paths, [...paths].sort(), 'in path order');
      assert.deepEqual(
        paths,
        readdirSync(join(many, 'files'))
          .sort()
          .map((name) => `files/${name}`),
        'every stored file copied, once',
      );
      assert.deepEqual(readdirSync(many).sort(), ['files', 'files.jsonl', 'manifest.json', 'tables']);

      const target = await emptyInstance('sqlite', masterKey);
      try {
        const run = await restore(target, many);
        assert.equal(run.code, 0, run.err);
        assert.match(run.out, /60 stored files/);
        await assertRestored(source, target);
      } finally {
        await target.drop();
      }
    } finally {
      await source.drop();
    }
  });

  test('usage errors', async () => {
    const never = async (): Promise<Instance> => {
      throw new Error('not opened on a usage error');
    };
    for (const [command, args, problem] of [
      [runBackupCommand, [], /Say where to write the backup: --to DIR/],
      [runBackupCommand, ['--to'], /--to/],
      [runBackupCommand, ['--to', 'x', 'extra'], /Unexpected argument|positional/i],
      ...['soon', '1.5', '-1', '3601', ''].map(
        (seconds) =>
          [
            runBackupCommand,
            ['--to', 'x', `--settle-seconds=${seconds}`],
            new RegExp(
              `--settle-seconds must be a whole number of seconds from 0 to 3600, not "${seconds}": how long a ` +
                'stored file may be missing while its record still names it before the backup fails \\(default 30\\)',
            ),
          ] as const,
      ),
      [runRestoreCommand, [], /Say which backup to restore: --from DIR/],
      [runRestoreCommand, ['--from', 'x', '--force'], /Unknown option '--force'/],
    ] as const) {
      const { io, sink } = output();
      assert.equal(await command([...args], never, sink), 2, args.join(' '));
      assert.match(io.err, problem);
      assert.match(io.err, /backup --to DIR/);
    }
  });

  test('a folder that is not empty is refused', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'something'), 'x');
    const instance = await emptyInstance('sqlite', masterKey);
    try {
      const run = await backup(instance, dir);
      assert.equal(run.code, 1);
      assert.match(run.err, /is not empty: give a new or empty folder for the backup/);
      assert.deepEqual(readdirSync(dir), ['something']);
    } finally {
      await instance.drop();
    }
  });
});

describe('backup and restore with the S3 store (FILE_STORE=s3; SQLite)', () => {
  const server = s3ForTests();

  test("backs up an instance's S3 bucket and restores into the bucket the configuration names", async () => {
    const s3 = server();
    const source = await populatedInstance('sqlite', masterKey, new S3FileStore(s3.storeConfig('source/')));
    const config = loadConfig({
      ...s3.env,
      S3_PREFIX: 'restored',
      DATABASE_URL: `sqlite:${join(folder(), 'restored.sqlite')}`,
      MASTER_KEY: masterKey.toBase64(),
    });
    try {
      const dir = join(folder(), 'backup');
      const made = await backup(source, dir);
      assert.equal(made.code, 0, made.err);
      assert.deepEqual(readdirSync(join(dir, 'files')).sort(), [...source.contents.keys()].sort());

      const { io, sink } = output();
      const code = await runRestoreCommand(['--from', dir], () => openInstance(config), sink);
      assert.equal(code, 0, io.err);
      const target = await openInstance(config);
      try {
        assert.ok(target.store instanceof S3FileStore, 'the configured store');
        await assertRestored(source, target);
        // Into the prefix the configuration names, and nowhere else.
        const restored = await s3.client.send(
          new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'restored/' }),
        );
        assert.equal(restored.KeyCount, source.contents.size);
      } finally {
        await target.close();
      }

      const again = output();
      assert.equal(await runRestoreCommand(['--from', dir], () => openInstance(config), again.sink), 1);
      assert.match(again.io.err, /The database is not empty/);
    } finally {
      await source.drop();
    }
  });

  test('a bucket that does not exist fails the backup saying so and what to do, not that the files are lost', async () => {
    const s3 = server();
    const source = await populatedInstance('sqlite', masterKey, new S3FileStore(s3.storeConfig('source/')));
    try {
      const elsewhere = new S3FileStore({ ...s3.storeConfig('source/'), bucket: 'no-such-bucket' });
      const dir = join(folder(), 'backup');
      const made = await backup({ ...source, store: elsewhere }, dir);
      assert.equal(made.code, 1);
      assert.equal(
        made.err,
        `The S3 bucket no-such-bucket (S3_BUCKET) does not exist at ${s3.endpoint} (S3_ENDPOINT). ` +
          "Create it (with versioning on: docs/operations.md), or set S3_BUCKET to s2s's bucket.\n",
      );
    } finally {
      await source.drop();
    }
  });
});
