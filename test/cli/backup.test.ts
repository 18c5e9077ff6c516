// `s2s backup` and `s2s restore` run as operators run them: separate processes, on the configured
// database and file store (the in-process cases are in test/backup/backup.test.ts).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { migrateToLatest } from '../../src/platform/db/database.ts';
import { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { DiskFileStore } from '../../src/platform/storage/file-store.ts';
import { loadMasterKeyring } from '../../src/platform/storage/master-key.ts';
import { cliSandbox, runS2s, s2sEnv } from '../support/cli.ts';
import { makeLa, makeSchool } from '../support/factories.ts';
import { la, makeTransfer, readStored, school } from '../support/transfers.ts';

describe('s2s backup and s2s restore', () => {
  const sandbox = cliSandbox('backup', { database: true });

  test('a backup restored into a new database and file store gives back the rows and the files', async () => {
    await migrateToLatest(sandbox.db());
    // The key the commands use (scripts/run-tests.js gives every command one, in MASTER_KEY_FILE).
    const { keyring: key } = loadMasterKeyring({
      file: String(sandbox.env.MASTER_KEY_FILE),
      mayGenerate: true,
      previous: { values: [], files: [] },
    });
    const files = new EncryptedFileStore(new DiskFileStore(join(sandbox.dir, 'files')), key);
    const db = sandbox.db();
    const authority = await makeLa(db);
    const office = await makeSchool(db, authority.number);
    const transfer = await makeTransfer(db, files, { from: school(office.number), to: la(authority.number) });

    const backup = sandbox.s2s('backup', '--to', join(sandbox.dir, 'backup'));
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /28 tables, \d+ rows, 1 stored files/);
    assert.match(backup.stdout, /IMPORTANT: the master key is NOT in the backup/);

    const restoredEnv = s2sEnv(sandbox.dir, 'restored.sqlite');
    restoredEnv.FILE_STORE_DIR = join(sandbox.dir, 'restored-files');
    const restore = runS2s(['restore', '--from', join(sandbox.dir, 'backup'), '--json'], restoredEnv);
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal(JSON.parse(restore.stdout).blobs, 1);
    const restoredFiles = new EncryptedFileStore(new DiskFileStore(join(sandbox.dir, 'restored-files')), key);
    const content = await readStored(restoredFiles, transfer.row);
    assert.equal(createHash('sha256').update(content).digest('hex'), transfer.row.sha256);
  });
});
