// `s2s backup` and `s2s restore` run as operators run them: separate processes, on the configured
// database and file store (the in-process cases are in test/backup/backup.test.ts).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { TABLE_ORDER } from '../../src/backup/tables.ts';
import { createDatabase, migrateToLatest } from '../../src/platform/db/database.ts';
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
  s2sEnv,
  tmpfs,
} from '../support/cli.ts';
import { makeLa, makeSchool } from '../support/factories.ts';
import { la, makeTransfer, readStored, school } from '../support/transfers.ts';

describe('s2s backup and s2s restore', () => {
  const sandbox = cliSandbox('backup', { database: true });

  test('a backup restored into a new database and file store gives back the rows and the files', async (t) => {
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
    // Larger than the few kilobytes left on the full disk below.
    const transfer = await makeTransfer(db, files, {
      from: school(office.number),
      to: la(authority.number),
      content: `<?xml version="1.0"?><CTfile><Header><Noise>${randomBytes(32 * 1024).toString('hex')}</Noise></Header></CTfile>\n`,
    });

    const backup = sandbox.s2s('backup', '--to', join(sandbox.dir, 'backup'));
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, new RegExp(`${TABLE_ORDER.length} tables, \\d+ rows, 1 stored files`));
    assert.match(backup.stdout, /IMPORTANT: the master key is NOT in the backup/);

    const restoredEnv = s2sEnv(sandbox.dir, 'restored.sqlite');
    restoredEnv.FILE_STORE_DIR = join(sandbox.dir, 'restored-files');
    const restore = runS2s(['restore', '--from', join(sandbox.dir, 'backup'), '--json'], restoredEnv);
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal(JSON.parse(restore.stdout).blobs, 1);
    const restoredFiles = new EncryptedFileStore(new DiskFileStore(join(sandbox.dir, 'restored-files')), key);
    const content = await readStored(restoredFiles, transfer.row);
    assert.equal(createHash('sha256').update(content).digest('hex'), transfer.row.sha256);

    // Onto a file store with room for s2s's probe at start, not for the stored file: the folder is named.
    const full = fullTmpfs(t, sandbox.dir, 'full-disk', ['files'], (mount) =>
      writeFileSync(join(mount, 'spare'), Buffer.alloc(8192)),
    );
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${join(full, 'top')}`, 'bs=4k'], { stdio: 'ignore' });
    } catch {
      // Full to the last page.
    }
    rmSync(join(full, 'spare'));
    const onFullEnv = s2sEnv(sandbox.dir, 'restored-on-full.sqlite');
    onFullEnv.FILE_STORE_DIR = join(full, 'files');
    const onFull = runS2s(['restore', '--from', join(sandbox.dir, 'backup')], onFullEnv);
    assert.equal(onFull.code, 1, onFull.stdout);
    assert.match(
      onFull.stderr,
      new RegExp(`The file store folder ${join(full, 'files')} \\(FILE_STORE_DIR\\)`),
    );
    assert.match(onFull.stderr, /Nothing was restored/);
    assert.doesNotMatch(onFull.stderr, /ENOSPC/);
  });
});

// A backup only reads: a database s2s may read but not write (a file of mode 0444 or another user's, a
// folder it may not write, so that SQLite cannot make its -wal and -shm files there, a read-only disk)
// is backed up all the same. Run as `nobody` (and a read-only mount), which needs root, as the suite runs.
describe('s2s backup of an SQLite database it may read but not write', () => {
  const sandbox = cliSandbox('backup-read-only');
  const key = { MASTER_KEY: randomBytes(32).toString('base64') };
  let home: string;
  let roots: string;
  let made: string;
  let madeRows: number;
  before(() => {
    // s2s's user's folder (with its file store), and root's, which nobody may read but not write.
    ({ home, roots } = nobodysFolders(
      sandbox.dir,
      'These tests run s2s as another user and mount a file system',
    ));
    made = join(sandbox.dir, 'made.sqlite');
    const migrate = runS2s(['migrate'], env(made));
    assert.equal(migrate.code, 0, migrate.stderr);
    const backup = runS2s(['backup', '--to', join(sandbox.dir, 'of-made'), '--json'], env(made));
    assert.equal(backup.code, 0, backup.stderr);
    madeRows = JSON.parse(backup.stdout).rows;
  });

  function env(database: string): NodeJS.ProcessEnv {
    return {
      ...s2sEnv(),
      ...key,
      HOME: home,
      TMPDIR: home,
      DATABASE_URL: `sqlite:${database}`,
      FILE_STORE_DIR: join(home, 'files'),
    };
  }

  /** `s2s backup --json` of `database` into a new folder of nobody's, as nobody (or `asRoot`). */
  function backUp(database: string, { asRoot = false } = {}): Run {
    const to = join(home, `backup-${randomUUID()}`);
    return runS2s(['backup', '--to', to, '--json'], env(database), asRoot ? undefined : NOBODY);
  }

  /** A copy of the migrated database at `path`, root's, of `mode`. */
  function copyOfMade(path: string, mode: number): string {
    copyFileSync(made, path);
    chmodSync(path, mode);
    return path;
  }

  test('a file of mode 0444 in a folder it may write is backed up, and no -wal or -shm file is left beside it', () => {
    const database = copyOfMade(join(home, 'read-only.sqlite'), 0o444);
    const run = backUp(database);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).rows, madeRows);
    assert.deepEqual(
      readdirSync(home).filter((name) => name.startsWith('read-only.sqlite')),
      ['read-only.sqlite'],
    );
  });

  test('a file in a folder it may not write (no -wal or -shm can be made) is backed up', () => {
    const database = copyOfMade(join(roots, 'in-roots.sqlite'), 0o644);
    const run = backUp(database);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).rows, madeRows);
  });

  test('a database on a read-only disk is backed up', (t) => {
    const disk = tmpfs(t, sandbox.dir, 'read-only-disk', 'rw');
    const database = copyOfMade(join(disk, 's2s.sqlite'), 0o600);
    execFileSync('mount', ['-o', 'remount,ro', disk]);
    const run = backUp(database, { asRoot: true });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).rows, madeRows);
  });

  test('changes in the -wal file of a database another process holds open are in the backup', async () => {
    const database = copyOfMade(join(roots, 'held.sqlite'), 0o644);
    // The service, as root: its changes stay in the -wal file while it has the database open.
    const service = createDatabase(`sqlite:${database}`);
    try {
      await makeLa(service);
      assert.ok(statSync(`${database}-wal`).size > 0, 'the change is in the -wal file');
      const run = backUp(database);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(JSON.parse(run.stdout).rows, madeRows + 1);
    } finally {
      await service.destroy();
    }
  });

  test('a -wal file holding changes without its -shm file, in a folder it may not write, is refused, saying why and what to do', async () => {
    const held = copyOfMade(join(roots, 'source.sqlite'), 0o644);
    const service = createDatabase(`sqlite:${held}`);
    const database = join(roots, 'copied.sqlite');
    try {
      await makeLa(service);
      // The database and its -wal copied, not its -shm (an operator's copy of a running service's files).
      copyFileSync(held, database);
      copyFileSync(`${held}-wal`, `${database}-wal`);
    } finally {
      await service.destroy();
    }
    const run = backUp(database);
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `The SQLite database ${database} (DATABASE_URL) cannot be read: its -wal file ${database}-wal holds changes not yet ` +
        'written into the database file, and SQLite reads them through a -shm file beside it, which is missing and which ' +
        `the user s2s runs as may not make in ${roots}. Run the command as the user s2s runs as (which may write that folder), ` +
        'or start and stop s2s once, which writes those changes into the database file.\n',
    );
    // As the service's user it is read, changes and all.
    const asRoot = backUp(database, { asRoot: true });
    assert.equal(asRoot.code, 0, asRoot.stderr);
    assert.equal(JSON.parse(asRoot.stdout).rows, madeRows + 1);
  });

  test('a database it may not read is refused in plain words, and one not there is not made', () => {
    const database = copyOfMade(join(roots, 'unreadable.sqlite'), 0o600);
    const run = backUp(database);
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `The SQLite database ${database} (DATABASE_URL) is not readable by the user s2s runs as (nobody, uid 65534): ` +
        `permission denied. Give that user the file (chown nobody ${database}; chmod 600 ${database}), ` +
        'or set DATABASE_URL to sqlite:PATH of a database s2s can read.\n',
    );
    const missing = join(home, 'missing.sqlite');
    const none = backUp(missing);
    assert.equal(none.code, 1);
    assert.equal(
      none.stderr,
      `The SQLite database ${missing} (DATABASE_URL) does not exist. Set DATABASE_URL to sqlite:PATH of the database to read.\n`,
    );
    assert.equal(existsSync(missing), false);
  });

  // Node's mkdir(path, { recursive: true }) never returns for a new folder under /proc: the backup hung.
  test('a backup folder under /proc is refused at once, in plain words', {
    skip: existsSync('/proc') ? false : 'this system has no /proc',
  }, () => {
    const to = join('/proc', `s2s-backup-${process.pid}`, 'backup');
    const run = runS2s(['backup', '--to', to], env(made));
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `The backup folder ${to} (--to) does not exist and cannot be created: /proc takes no new folders. ` +
        'Give --to a folder s2s can write.\n',
    );
  });
});
