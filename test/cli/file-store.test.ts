// `s2s` with a disk file store (FILE_STORE_DIR) it cannot write, run as operators meet it: a path running
// through a file (ENOTDIR), a folder another user owns (EACCES: the command run as `nobody`), a read-only
// disk (EROFS: a tmpfs mounted read-only) and a full one (ENOSPC: a small tmpfs filled). The commands that
// write to the store (serve, restore, the jobs that delete files) say what is wrong and what to do and
// stop before changing anything; those that only read it carry on. The mounts and the other user need
// root, as the suite runs (README, Layout).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { migrateToLatest } from '../../src/platform/db/database.ts';
import { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { DiskFileStore } from '../../src/platform/storage/file-store.ts';
import { loadMasterKeyring } from '../../src/platform/storage/master-key.ts';
import {
  cliSandbox,
  fullTmpfs,
  NOBODY,
  nobodysFolders,
  type Run,
  runS2s,
  runServe,
  tmpfs,
} from '../support/cli.ts';
import { makeLa, makeSchool } from '../support/factories.ts';
import { la, makeTransfer, school } from '../support/transfers.ts';

/** A message for the operator: no stack trace. */
function assertPlain(run: Run): void {
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
}

describe('s2s with a file store it cannot write', () => {
  const sandbox = cliSandbox('file-store', { database: true });
  before(async () => {
    assert.equal(
      process.getuid?.(),
      0,
      'These tests mount small file systems and run s2s as another user, which needs root (as on the development and CI machines)',
    );
    await migrateToLatest(sandbox.db());
  });

  /** The sandbox's settings with the store at `store` and, when named, a database of its own. */
  function env(store: string, database?: string): NodeJS.ProcessEnv {
    return {
      ...sandbox.env,
      FILE_STORE_DIR: store,
      ...(database ? { DATABASE_URL: `sqlite:${join(sandbox.dir, database)}` } : {}),
    };
  }

  test('serve stops, saying so, when the path runs through a file (ENOTDIR), and creates nothing', async () => {
    const file = join(sandbox.dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const under = await runServe(env(join(file, 'files'), 'enotdir.sqlite'));
    assert.equal(under.listened, false, 'serve did not start');
    assert.equal(under.code, 1);
    assert.equal(
      under.stderr,
      `s2s: The file store folder ${join(file, 'files')} (FILE_STORE_DIR) does not exist and cannot be created: ` +
        `${file} is a file, not a folder. Set FILE_STORE_DIR to a folder s2s can write.\n`,
    );
    assert.equal(existsSync(join(sandbox.dir, 'enotdir.sqlite')), false, 'no database made or migrated');

    const itself = await runServe(env(file, 'enotdir.sqlite'));
    assert.equal(itself.code, 1);
    assertPlain(itself);
    assert.match(
      itself.stderr,
      /^s2s: The file store folder .*a-file \(FILE_STORE_DIR\) is a file, not a folder\./,
    );
  });

  test('serve as a user who may not write the folder (EACCES) names the user and what to do', async () => {
    // s2s's user: `nobody`, with a folder of its own for the database; the store's folder is root's.
    const { home, roots: store } = nobodysFolders(sandbox.dir, 'This test runs s2s as another user');
    const asNobody = (folder: string) => ({
      ...env(folder),
      DATABASE_URL: `sqlite:${join(home, 's2s.sqlite')}`,
      MASTER_KEY: randomBytes(32).toString('base64'),
      HOME: home,
      TMPDIR: home,
    });

    const existing = await runServe(asNobody(store), NOBODY);
    assert.equal(existing.listened, false, 'serve did not start');
    assert.equal(existing.code, 1);
    assertPlain(existing);
    assert.match(
      existing.stderr,
      new RegExp(
        `^s2s: The file store folder ${store} \\(FILE_STORE_DIR\\) is not writable by the user s2s runs as \\(nobody, uid 65534\\): permission denied\\. ` +
          `Give that user the folder \\(chown nobody ${store}; chmod 700 ${store}\\), or set FILE_STORE_DIR to a folder s2s can write\\.\n$`,
      ),
    );

    const missing = await runServe(asNobody(join(store, 'files')), NOBODY);
    assert.equal(missing.code, 1);
    assertPlain(missing);
    assert.match(
      missing.stderr,
      new RegExp(
        `does not exist and cannot be created: the user s2s runs as \\(nobody, uid 65534\\) may not create folders in ${store}\\. ` +
          `Create it for that user \\(mkdir -m 700 ${store}/files; chown nobody ${store}/files\\)`,
      ),
    );
    assert.equal(existsSync(join(home, 's2s.sqlite')), false, 'no database made or migrated');
  });

  test('serve on a read-only disk (EROFS) stops, saying so', async (t) => {
    const mount = tmpfs(t, sandbox.dir, 'read-only', 'ro');
    const top = await runServe(env(mount, 'erofs.sqlite'));
    assert.equal(top.listened, false, 'serve did not start');
    assert.equal(top.code, 1);
    assertPlain(top);
    assert.match(
      top.stderr,
      new RegExp(
        `^s2s: The file store folder ${mount} \\(FILE_STORE_DIR\\) is on a read-only file system: no file can be stored\\.`,
      ),
    );
    const below = await runServe(env(join(mount, 'files'), 'erofs.sqlite'));
    assert.equal(below.code, 1);
    assert.match(
      below.stderr,
      new RegExp(`does not exist and cannot be created: ${mount} is on a read-only file system\\.`),
    );
  });

  test('serve on a full disk (ENOSPC) starts, and says no file can be stored; restore there is refused', async (t) => {
    const mount = fullTmpfs(t, sandbox.dir, 'full', ['files']);
    const run = await runServe(env(join(mount, 'files'), 'enospc.sqlite'));
    assert.equal(run.listened, true, `serve started: ${run.stderr}`);
    assert.match(
      run.stdout,
      /"msg":"The file store folder .*full\/files \(FILE_STORE_DIR\) is on a full disk: no file can be stored until space is freed\. Free space on that disk, or give it more\. s2s starts all the same: files can be downloaded, not stored"/,
    );

    const backup = sandbox.s2s('backup', '--to', join(sandbox.dir, 'backup-for-full'));
    assert.equal(backup.code, 0, backup.stderr);
    const restore = runS2s(
      ['restore', '--from', join(sandbox.dir, 'backup-for-full')],
      env(join(mount, 'files'), 'restored-full.sqlite'),
    );
    assert.equal(restore.code, 1);
    assertPlain(restore);
    assert.match(restore.stderr, /^The file store folder .* is on a full disk/);
    assert.equal(existsSync(join(sandbox.dir, 'restored-full.sqlite')), false, 'nothing restored');
  });

  test('restore into a store it cannot write is refused before anything is written', () => {
    const backup = sandbox.s2s('backup', '--to', join(sandbox.dir, 'backup'));
    assert.equal(backup.code, 0, backup.stderr);
    const file = join(sandbox.dir, 'restore-file');
    writeFileSync(file, '');
    const restore = runS2s(
      ['restore', '--from', join(sandbox.dir, 'backup')],
      env(join(file, 'files'), 'restored.sqlite'),
    );
    assert.equal(restore.code, 1);
    assertPlain(restore);
    assert.match(
      restore.stderr,
      /^The file store folder .*restore-file\/files \(FILE_STORE_DIR\) does not exist and cannot be created/,
    );
    assert.equal(existsSync(join(sandbox.dir, 'restored.sqlite')), false, 'no database made');
  });

  test('a store on a read-only disk still serves the commands that only read it; the jobs that delete files are not run', async (t) => {
    // A store with a file in it, then made read-only (a snapshot, a disk remounted after errors).
    const mount = tmpfs(t, sandbox.dir, 'was-writable', 'rw');
    const { keyring } = loadMasterKeyring({
      file: String(sandbox.env.MASTER_KEY_FILE),
      mayGenerate: true,
      previous: { values: [], files: [] },
    });
    const db = sandbox.db();
    const authority = await makeLa(db);
    const office = await makeSchool(db, authority.number);
    await makeTransfer(db, new EncryptedFileStore(new DiskFileStore(mount), keyring), {
      from: school(office.number),
      to: la(authority.number),
    });
    execFileSync('mount', ['-o', 'remount,ro', mount]);
    const readOnly = env(mount);

    assert.equal(runS2s(['migrate'], readOnly).code, 0);
    const backup = runS2s(['backup', '--to', join(sandbox.dir, 'backup-read-only'), '--json'], readOnly);
    assert.equal(backup.code, 0, backup.stderr);
    assert.equal(JSON.parse(backup.stdout).blobs, 1, 'the stored file is in the backup');
    const seal = runS2s(['jobs', 'run', 'seal-audit'], readOnly);
    assert.equal(seal.code, 0, seal.stderr);

    for (const job of ['purge-files', 'sweep-files']) {
      const run = runS2s(['jobs', 'run', job], readOnly);
      assert.equal(run.code, 1, `${job}: ${run.stdout}`);
      assertPlain(run);
      assert.equal(
        run.stderr,
        `The file store folder ${mount} (FILE_STORE_DIR) is on a read-only file system: no file can be stored. ` +
          `Mount it read-write, or set FILE_STORE_DIR to a folder s2s can write. ${job} deletes stored files, so it was not run.\n`,
      );
    }
  });
});
