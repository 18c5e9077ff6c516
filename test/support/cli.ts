// Running `s2s` as people run it, for the command-line tests: `node bin/s2s.js` in a child process, with
// the test settings and, for the commands that need them, a database and a file store in a temporary folder.

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import { createDatabase } from '../../src/platform/db/database.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { withTestAuditKeys } from './databases.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** How a run of the command ended. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The command's environment: this process's, with S2S_ENV=test and LOG_LEVEL=silent, and given a folder,
 * DATABASE_URL an SQLite file in it (`database`) and FILE_STORE_DIR a folder in it.
 */
export function s2sEnv(dir?: string, database = 'x.sqlite'): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, S2S_ENV: 'test', LOG_LEVEL: 'silent' };
  if (dir !== undefined) {
    env.DATABASE_URL = `sqlite:${join(dir, database)}`;
    env.FILE_STORE_DIR = join(dir, 'files');
  }
  return env;
}

/** Runs `s2s ARGS...` to its end, from the project folder; `as` another user (the test must run as root). */
export function runS2s(
  args: string[],
  env: NodeJS.ProcessEnv = s2sEnv(),
  as?: { uid: number; gid: number },
): Run {
  const result = spawnSync(process.execPath, ['bin/s2s.js', ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    ...as,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** How a run of `s2s serve` ended: `listened` when it started serving (and was then stopped). */
export interface ServeRun extends Run {
  listened: boolean;
}

/**
 * Runs `s2s serve` (on a free port of 127.0.0.1, no scheduler, no demo data) until it exits by itself or
 * logs that it listens; then it is stopped (SIGTERM) and waited for. Logs at `info` at least, to see that
 * line. `as` runs it as another user (the test must run as root).
 */
export function runServe(env: NodeJS.ProcessEnv, as?: { uid: number; gid: number }): Promise<ServeRun> {
  const child = spawn(process.execPath, ['bin/s2s.js', 'serve'], {
    cwd: ROOT,
    env: {
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      SCHEDULER: 'off',
      SEED_DEMO_DATA: 'false',
      LOG_LEVEL: 'info',
    },
    ...as,
  });
  let stdout = '';
  let stderr = '';
  let listened = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (!listened && /"msg":"Server listening at /.test(stdout)) {
      listened = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, listened }));
  });
}

export interface CliSandbox {
  /** The temporary folder: made before the tests, removed after them. */
  readonly dir: string;
  /** The command's environment; with `database`, its database and file store are in `dir`. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs `s2s ARGS...` in `env`. */
  s2s(...args: string[]): Run;
  /**
   * The command's database (with `database`), opened on first use and closed after the tests; it carries
   * the tests' audit keys (TEST_AUDIT_KEYS), not those the command derives from its master key.
   */
  db(): Db;
}

/**
 * A temporary folder `s2s-cli-NAME-...` for the tests of the enclosing describe (or file), made in a
 * `before` hook and removed in an `after` hook; with `database`, the command runs on an SQLite database
 * and a file store in it.
 */
export function cliSandbox(name: string, options: { database?: boolean } = {}): CliSandbox {
  let dir: string | undefined;
  let db: Db | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), `s2s-cli-${name}-`));
  });
  after(async () => {
    await db?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  const sandbox: CliSandbox = {
    get dir() {
      if (dir === undefined) throw new Error('The sandbox folder is only made before the tests run.');
      return dir;
    },
    get env() {
      return options.database ? s2sEnv(sandbox.dir) : s2sEnv();
    },
    s2s: (...args) => runS2s(args, sandbox.env),
    db() {
      if (!options.database) throw new Error('This sandbox has no database.');
      db ??= withTestAuditKeys(createDatabase(sandbox.env.DATABASE_URL ?? ''));
      return db;
    },
  };
  return sandbox;
}

/**
 * A tmpfs of 1 MB at a new folder `name` of `dir`, mounted with `options` (`ro`, `rw`) until the test `t`
 * ends: a read-only or (filled) full disk for the tests of what s2s says of one. Needs root.
 */
export function tmpfs(t: TestContext, dir: string, name: string, options: string): string {
  const mount = join(dir, name);
  mkdirSync(mount);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=1m,${options}`, 'tmpfs', mount]);
  t.after(() => execFileSync('umount', [mount]));
  return mount;
}

/**
 * A full disk: a tmpfs (as `tmpfs` makes), with `folders` made in it and whatever `prepare` puts there
 * (given the mount), then filled to the last byte, so that a write stops with ENOSPC.
 */
export function fullTmpfs(
  t: TestContext,
  dir: string,
  name: string,
  folders: string[] = [],
  prepare?: (mount: string) => void,
): string {
  const mount = tmpfs(t, dir, name, 'rw');
  for (const folder of folders) mkdirSync(join(mount, folder));
  prepare?.(mount);
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${join(mount, 'filler')}`, 'bs=64k'], { stdio: 'ignore' });
  } catch {
    // dd stops, failing, when the disk is full: what was wanted.
    return mount;
  }
  throw new Error(`${mount} did not fill up`);
}

/** The user the tests run s2s as to show it a file or folder it may not write (`runS2s`'s `as`). */
export const NOBODY = { uid: 65534, gid: 65534 };

/**
 * For tests that run s2s as `nobody` (the test runs as root, `why` says what for): in the sandbox folder
 * `dir`, nobody's folder `home` with its file store `home/files`, and root's `roots`, which nobody may
 * read but not write.
 */
export function nobodysFolders(dir: string, why: string): { home: string; roots: string } {
  assert.equal(process.getuid?.(), 0, `${why}, which needs root (as on the development and CI machines)`);
  chmodSync(dir, 0o711);
  const home = join(dir, 'nobody');
  mkdirSync(join(home, 'files'), { recursive: true });
  chownSync(home, NOBODY.uid, NOBODY.gid);
  chownSync(join(home, 'files'), NOBODY.uid, NOBODY.gid);
  const roots = join(dir, 'roots');
  mkdirSync(roots, { mode: 0o755 });
  return { home, roots };
}
