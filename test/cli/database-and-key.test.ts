// `s2s` with an SQLite database (DATABASE_URL) or a master key file (MASTER_KEY_FILE) it cannot write
// or read, run as operators meet it: a path running through a file, folders and files another user owns
// (the command run as `nobody`), a read-only disk and a full one (small tmpfs mounts). Each stops the
// command with what is wrong, with which setting, and what to do; none gives Node's or SQLite's own words.
// The mounts and the other user need root, as the suite runs (README, Layout).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { createDatabase, databaseIsReachable } from '../../src/platform/db/database.ts';
import type { Db } from '../../src/platform/db/schema.ts';
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

const AS_NOBODY = '\\(nobody, uid 65534\\)';

/** A message for the operator: one line, no stack trace, nothing of Node's or SQLite's own words. */
function assertPlain(run: Run): void {
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  assert.doesNotMatch(
    run.stderr,
    /EACCES|EROFS|ENOTDIR|EEXIST|ENOSPC|unable to open|disk is full|I\/O error/,
  );
}

describe('s2s with a database or master key file it cannot write', () => {
  const sandbox = cliSandbox('database-and-key');
  let home: string;
  let roots: string;
  before(() => {
    // s2s's user: `nobody`, with a folder of its own; `roots` is root's, which nobody may read but not write.
    ({ home, roots } = nobodysFolders(
      sandbox.dir,
      'These tests mount small file systems and run s2s as another user',
    ));
  });

  /** Settings with the file store and (unless given) the database and key in `home`. */
  function env(settings: Record<string, string>): NodeJS.ProcessEnv {
    return {
      ...sandbox.env,
      HOME: home,
      TMPDIR: home,
      FILE_STORE_DIR: join(home, 'files'),
      DATABASE_URL: `sqlite:${join(home, 's2s.sqlite')}`,
      MASTER_KEY_FILE: join(home, 'master.key'),
      ...settings,
    };
  }

  test('serve with the database under a file (ENOTDIR) stops, naming DATABASE_URL and what to do', async () => {
    const file = join(sandbox.dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const itself = await runServe(env({ DATABASE_URL: `sqlite:${join(file, 's2s.sqlite')}` }));
    assert.equal(itself.listened, false, 'serve did not start');
    assert.equal(itself.code, 1);
    assert.equal(
      itself.stderr,
      `s2s: The SQLite database's folder ${file} (DATABASE_URL) is a file, not a folder. ` +
        'Move it away, or set DATABASE_URL to sqlite:PATH in a folder s2s can write.\n',
    );
    const below = runS2s(['migrate'], env({ DATABASE_URL: `sqlite:${join(file, 'data', 's2s.sqlite')}` }));
    assert.equal(below.code, 1);
    assert.equal(
      below.stderr,
      `s2s: The SQLite database's folder ${join(file, 'data')} (DATABASE_URL) does not exist and cannot be created: ` +
        `${file} is a file, not a folder. Set DATABASE_URL to sqlite:PATH in a folder s2s can write.\n`,
    );
  });

  test('a file that is not an SQLite database, or a PostgreSQL server not there, is named with DATABASE_URL and what to do', () => {
    const notADatabase = join(sandbox.dir, 'not-a-database.sqlite');
    writeFileSync(notADatabase, 'This is a text file, not a database. '.repeat(200));
    for (const args of [['migrate'], ['audit', 'verify']]) {
      const run = runS2s(args, env({ DATABASE_URL: `sqlite:${notADatabase}` }));
      assert.equal(run.code, 1, args.join(' '));
      assert.equal(
        run.stderr,
        `s2s: The SQLite database ${notADatabase} (DATABASE_URL) is not an SQLite database, or is damaged. ` +
          "Set DATABASE_URL to sqlite:PATH of s2s's database, or restore it from a backup (s2s restore).\n",
      );
    }
    const refused = runS2s(['jobs', 'list'], env({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/s2s' }));
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      's2s: The PostgreSQL server at 127.0.0.1:1 (DATABASE_URL) refused the connection: start it, or set ' +
        'DATABASE_URL to the server s2s should use.\n',
    );
    assertPlain(refused);
  });

  test('restore into a database it cannot create is refused in the same words as every command', () => {
    const key = { MASTER_KEY: randomBytes(32).toString('base64') };
    const source = env({ ...key, DATABASE_URL: `sqlite:${join(sandbox.dir, 'backed-up.sqlite')}` });
    assert.equal(runS2s(['migrate'], source).code, 0);
    const backup = runS2s(['backup', '--to', join(sandbox.dir, 'backup')], source);
    assert.equal(backup.code, 0, backup.stderr);
    const file = join(sandbox.dir, 'restore-file');
    writeFileSync(file, '');
    const restore = runS2s(
      ['restore', '--from', join(sandbox.dir, 'backup')],
      env({
        ...key,
        DATABASE_URL: `sqlite:${join(file, 's2s.sqlite')}`,
        FILE_STORE_DIR: join(sandbox.dir, 'restored-files'),
      }),
    );
    assert.equal(restore.code, 1);
    assert.equal(
      restore.stderr,
      `The SQLite database's folder ${file} (DATABASE_URL) is a file, not a folder. ` +
        'Move it away, or set DATABASE_URL to sqlite:PATH in a folder s2s can write.\n',
    );
  });

  test('as a user who may not write its folder or file (EACCES), serve and migrate name the user and what to do', async () => {
    const inRoots = await runServe(env({ DATABASE_URL: `sqlite:${join(roots, 's2s.sqlite')}` }), NOBODY);
    assert.equal(inRoots.listened, false, 'serve did not start');
    assert.equal(inRoots.code, 1);
    assertPlain(inRoots);
    assert.match(
      inRoots.stderr,
      new RegExp(
        `^s2s: The SQLite database's folder ${roots} \\(DATABASE_URL\\) is not writable by the user s2s runs as ${AS_NOBODY}: permission denied\\. ` +
          `Give that user the folder \\(chown nobody ${roots}; chmod 700 ${roots}\\), or set DATABASE_URL to sqlite:PATH in a folder s2s can write\\.\n$`,
      ),
    );

    const below = runS2s(
      ['migrate'],
      env({ DATABASE_URL: `sqlite:${join(roots, 'data', 's2s.sqlite')}` }),
      NOBODY,
    );
    assert.equal(below.code, 1);
    assertPlain(below);
    assert.match(
      below.stderr,
      new RegExp(
        `does not exist and cannot be created: the user s2s runs as ${AS_NOBODY} may not create folders in ${roots}\\. ` +
          `Create it for that user \\(mkdir -m 700 ${roots}/data; chown nobody ${roots}/data\\)`,
      ),
    );

    // A database root made (an operator's `s2s migrate` run as root), in s2s's user's folder: SQLite would
    // open it for reading alone, and serve would start and fail every sign-in.
    const made = join(sandbox.dir, 'made-by-root.sqlite');
    assert.equal(runS2s(['migrate'], env({ DATABASE_URL: `sqlite:${made}` })).code, 0);
    const theirs = join(home, 'roots-database.sqlite');
    copyFileSync(made, theirs);
    chmodSync(theirs, 0o644);
    const file = await runServe(env({ DATABASE_URL: `sqlite:${theirs}` }), NOBODY);
    assert.equal(file.listened, false, `serve did not start: ${file.stdout}`);
    assert.equal(file.code, 1);
    assert.equal(
      file.stderr,
      `s2s: The SQLite database ${theirs} (DATABASE_URL) is not readable and writable by the user s2s runs as (nobody, uid 65534): ` +
        `permission denied. Give that user the file (chown nobody ${theirs}; chmod 600 ${theirs}), ` +
        'or set DATABASE_URL to sqlite:PATH in a folder s2s can write.\n',
    );
    chmodSync(theirs, 0o600);
    const unreadable = runS2s(['migrate'], env({ DATABASE_URL: `sqlite:${theirs}` }), NOBODY);
    assert.equal(unreadable.code, 1);
    assert.match(unreadable.stderr, /is not readable and writable by the user s2s runs as \(nobody/);

    // In a folder it may not even open (a 0700 folder of root's).
    const closed = join(sandbox.dir, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    copyFileSync(made, join(closed, 's2s.sqlite'));
    const unreachable = runS2s(
      ['migrate'],
      env({ DATABASE_URL: `sqlite:${join(closed, 's2s.sqlite')}` }),
      NOBODY,
    );
    assert.equal(unreachable.code, 1);
    assert.equal(
      unreachable.stderr,
      `s2s: The SQLite database ${join(closed, 's2s.sqlite')} (DATABASE_URL) cannot be reached: the user s2s runs as (nobody, uid 65534) ` +
        `may not open the folder ${closed}. Give that user access to ${closed}, or set DATABASE_URL to sqlite:PATH in a folder s2s can write.\n`,
    );
  });

  test('a database on a read-only disk (EROFS) or a full one (ENOSPC) stops serve and migrate, saying so', async (t) => {
    const readOnly = tmpfs(t, sandbox.dir, 'read-only', 'ro');
    const top = await runServe(env({ DATABASE_URL: `sqlite:${join(readOnly, 's2s.sqlite')}` }));
    assert.equal(top.listened, false, 'serve did not start');
    assert.equal(top.code, 1);
    assertPlain(top);
    assert.equal(
      top.stderr,
      `s2s: The SQLite database's folder ${readOnly} (DATABASE_URL) is on a read-only file system: the database cannot be written. ` +
        'Mount it read-write, or set DATABASE_URL to sqlite:PATH in a folder s2s can write.\n',
    );
    const below = runS2s(
      ['migrate'],
      env({ DATABASE_URL: `sqlite:${join(readOnly, 'data', 's2s.sqlite')}` }),
    );
    assert.equal(below.code, 1);
    assert.match(
      below.stderr,
      new RegExp(`does not exist and cannot be created: ${readOnly} is on a read-only file system\\.`),
    );

    const full = fullTmpfs(t, sandbox.dir, 'full');
    const onFull = await runServe(env({ DATABASE_URL: `sqlite:${join(full, 's2s.sqlite')}` }));
    assert.equal(onFull.listened, false, 'serve did not start');
    assert.equal(onFull.code, 1);
    assertPlain(onFull);
    assert.equal(
      onFull.stderr,
      `s2s: The SQLite database ${join(full, 's2s.sqlite')} (DATABASE_URL) is on a full disk: the database cannot be written ` +
        'until space is freed. Free space on that disk, or give it more.\n',
    );
  });

  test('an existing database on a full disk stops serve at start, saying so, whether or not its -shm file is there', async (t) => {
    const made = join(sandbox.dir, 'made-for-full-disk.sqlite');
    assert.equal(runS2s(['migrate'], env({ DATABASE_URL: `sqlite:${made}` })).code, 0);
    const onFull = (database: string) =>
      `s2s: The SQLite database ${database} (DATABASE_URL) is on a full disk: the database cannot be written ` +
      'until space is freed. Free space on that disk, or give it more.\n';

    // Closed cleanly: no -wal or -shm file beside it, which SQLite must make.
    const closed = join(
      fullTmpfs(t, sandbox.dir, 'full-existing', [], (mount) =>
        copyFileSync(made, join(mount, 's2s.sqlite')),
      ),
      's2s.sqlite',
    );
    const start = await runServe(env({ DATABASE_URL: `sqlite:${closed}` }));
    assert.equal(start.listened, false, 'serve did not start');
    assert.equal(start.code, 1);
    assertPlain(start);
    assert.equal(start.stderr, onFull(closed));

    // Open in another process (a command running, or one killed): the -wal and -shm files are there, and
    // SQLite opens it and fails only at the first write.
    let other: Db | undefined;
    const held = join(
      fullTmpfs(t, sandbox.dir, 'full-held', [], (mount) => {
        copyFileSync(made, join(mount, 's2s.sqlite'));
        other = createDatabase(`sqlite:${join(mount, 's2s.sqlite')}`);
      }),
      's2s.sqlite',
    );
    try {
      // (Queried once, so that Kysely closes the connection at destroy: it opens its driver at the first query.)
      assert.ok(other && (await databaseIsReachable(other)));
      assert.ok(existsSync(`${held}-shm`), 'the -shm file is there');
      const run = await runServe(env({ DATABASE_URL: `sqlite:${held}` }));
      assert.equal(run.listened, false, 'serve did not start');
      assert.equal(run.code, 1);
      assertPlain(run);
      assert.equal(run.stderr, onFull(held));
    } finally {
      await other?.destroy();
    }
  });

  test('a master key file that cannot be made stops serve and seed-demo, naming MASTER_KEY_FILE and what to do', async (t) => {
    const inRoots = await runServe(env({ MASTER_KEY_FILE: join(roots, 'master.key') }), NOBODY);
    assert.equal(inRoots.listened, false, 'serve did not start');
    assert.equal(inRoots.code, 1);
    assert.equal(
      inRoots.stderr,
      `s2s: The master key file's folder ${roots} (MASTER_KEY_FILE) is not writable by the user s2s runs as (nobody, uid 65534): ` +
        `permission denied. Give that user the folder (chown nobody ${roots}; chmod 700 ${roots}), ` +
        'or set MASTER_KEY_FILE to another file, or give the key in MASTER_KEY.\n',
    );

    const file = join(sandbox.dir, 'key-under-a-file');
    writeFileSync(file, '');
    const under = runS2s(['seed-demo'], env({ MASTER_KEY_FILE: join(file, 'master.key') }));
    assert.equal(under.code, 1);
    assertPlain(under);
    assert.match(
      under.stderr,
      new RegExp(
        `^s2s: The master key file's folder ${file} \\(MASTER_KEY_FILE\\) is a file, not a folder\\.`,
      ),
    );

    const readOnly = tmpfs(t, sandbox.dir, 'key-read-only', 'ro');
    const onReadOnly = await runServe(env({ MASTER_KEY_FILE: join(readOnly, 'master.key') }));
    assert.equal(onReadOnly.code, 1);
    assertPlain(onReadOnly);
    assert.match(
      onReadOnly.stderr,
      /is on a read-only file system: no master key can be made\. Mount it read-write/,
    );

    // A full disk: no key made, and no empty key file left to be taken for a broken key at the next start.
    const full = fullTmpfs(t, sandbox.dir, 'key-full');
    for (let start = 0; start < 2; start++) {
      const onFull = await runServe(env({ MASTER_KEY_FILE: join(full, 'master.key') }));
      assert.equal(onFull.code, 1);
      assert.equal(
        onFull.stderr,
        `s2s: The master key file ${join(full, 'master.key')} (MASTER_KEY_FILE) is on a full disk: no master key can be made ` +
          'until space is freed. Free space on that disk, or give it more.\n',
      );
    }
    assert.equal(existsSync(join(full, 'master.key')), false, 'no empty key file left');
  });

  test('a master key file s2s may not read stops serve, naming the file and what to do', async () => {
    const key = join(home, 'roots.key');
    writeFileSync(key, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const run = await runServe(env({ MASTER_KEY_FILE: key }), NOBODY);
    assert.equal(run.listened, false, 'serve did not start');
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `s2s: The master key file ${key} (MASTER_KEY_FILE) is not readable by the user s2s runs as (nobody, uid 65534): ` +
        `permission denied. Give that user the file (chown nobody ${key}; chmod 600 ${key}), ` +
        'or set MASTER_KEY_FILE to another file, or give the key in MASTER_KEY.\n',
    );

    // The same file as a previous key: named by its own setting.
    const previous = await runServe(
      env({ MASTER_KEY: randomBytes(32).toString('base64'), MASTER_KEY_PREVIOUS_FILES: key }),
      NOBODY,
    );
    assert.equal(previous.code, 1);
    assert.equal(
      previous.stderr,
      `s2s: The previous master key file ${key} (MASTER_KEY_PREVIOUS_FILES) is not readable by the user s2s runs as (nobody, uid 65534): ` +
        `permission denied. Give that user the file (chown nobody ${key}; chmod 600 ${key}), ` +
        'or take it out of MASTER_KEY_PREVIOUS_FILES and give the key in MASTER_KEY_PREVIOUS.\n',
    );

    const closed = join(sandbox.dir, 'closed-key');
    mkdirSync(closed, { mode: 0o700 });
    writeFileSync(join(closed, 'master.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const keys = runS2s(['keys', 'status'], env({ MASTER_KEY_FILE: join(closed, 'master.key') }), NOBODY);
    assert.equal(keys.code, 1);
    assertPlain(keys);
    assert.match(
      keys.stderr,
      new RegExp(
        `The master key file ${closed}/master.key \\(MASTER_KEY_FILE\\) cannot be reached: the user s2s runs as ${AS_NOBODY} may not open the folder ${closed}\\.`,
      ),
    );
  });
});
