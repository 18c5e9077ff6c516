// Runs every test file under test/ with Node's test runner.
// The test files and the commands are bundled first (./bundle.js says why), into .build/tests.
// Usage: node scripts/run-tests.js [--no-e2e] [path-fragment ...]
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle, bundledPath } from './bundle.js';

const args = process.argv.slice(2);
const skipBrowser = args.includes('--no-e2e');
const filters = args.filter((a) => !a.startsWith('--'));

function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

function isWritableFolder(path) {
  try {
    accessSync(path, constants.W_OK);
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isJourney(file) {
  return file.startsWith(join('test', 'e2e'));
}

function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

// The longest files start first, so that the runner's two processes finish together rather than one
// running the crawl of every page alone at the end: that crawl, then the other browser journeys, then
// the rest in order.
const LONGEST = join('test', 'e2e', 'every-page.test.ts');
const startOrder = (f) => (f === LONGEST ? 0 : isJourney(f) ? 1 : 2);
const files = testFiles('test')
  .filter((f) => !(skipBrowser && isJourney(f)))
  .filter((f) => filters.length === 0 || filters.some((fragment) => f.includes(fragment)))
  .sort((a, b) => startOrder(a) - startOrder(b) || a.localeCompare(b));

if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}

// Each run bundles into a folder of its own, removed when it ends, so that runs at the same time in one
// checkout do not replace each other's files; a folder left by a run that was killed goes at the next.
const BUILDS = join(import.meta.dirname, '..', '.build');
mkdirSync(BUILDS, { recursive: true });
for (const name of readdirSync(BUILDS)) {
  const pid = Number(/^tests-(\d+)$/.exec(name)?.[1]);
  if (pid && !isRunning(pid)) rmSync(join(BUILDS, name), { recursive: true, force: true });
}
const BUILD = join(BUILDS, `tests-${process.pid}`);
process.on('exit', () => rmSync(BUILD, { recursive: true, force: true }));
// The commands the tests run (bin/s2s.js, bin/s2s-client.js), and the module the apps' worker threads
// run (src/platform/workers/bootstrap.js loads its bundle).
const COMMANDS = ['src/cli.ts', 'src/client/main.ts', 'src/transfers/content-check-worker.ts'];
await bundle([...files, ...COMMANDS], BUILD);
// The page structures axe has passed, shared by the browser journeys (test/e2e/browser.ts, Journey.check).
const AXE_PASSED = join(BUILD, 'axe-passed');
mkdirSync(AXE_PASSED);

// The tests' temporary folders (their SQLite files, file stores, e2e services) go on a memory filesystem
// where there is one: SQLite commits with synchronous FULL, and on these machines' disks each fsync waits
// 0.4-2.5 ms (1,333 of them in the download tests' 18 seconds). The code is the same; only where its
// files go differs.
// Like the bundles, a run's folder is its own, and one left by a killed run goes at the next.
const MEMORY_FS = '/dev/shm';
let TMP;
if (isWritableFolder(MEMORY_FS)) {
  for (const name of readdirSync(MEMORY_FS)) {
    const pid = Number(/^s2s-tests-(\d+)$/.exec(name)?.[1]);
    if (pid && !isRunning(pid)) rmSync(join(MEMORY_FS, name), { recursive: true, force: true });
  }
  TMP = join(MEMORY_FS, `s2s-tests-${process.pid}`);
  mkdirSync(TMP);
  process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));
}

const result = spawnSync(
  process.execPath,
  [
    '--enable-source-maps',
    '--test',
    '--test-concurrency=2',
    // The spec reporter ends with every failing test and its error, so a failure is in the last lines
    // of a long log (CI keeps only the tail); TAP, the default when output is not a terminal, does not.
    '--test-reporter=spec',
    ...files.map((f) => bundledPath(BUILD, f)),
  ],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      S2S_ENV: 'test',
      // Commands started by tests that need a master key share one throwaway key outside the work tree.
      MASTER_KEY_FILE: join(tmpdir(), 's2s-test-master.key'),
      // bin/s2s.js and bin/s2s-client.js run these bundles instead of the sources.
      S2S_BUNDLE_DIR: BUILD,
      S2S_AXE_PASSED_DIR: AXE_PASSED,
      ...(TMP ? { TMPDIR: TMP } : {}),
    },
  },
);
process.exit(result.status ?? 1);
