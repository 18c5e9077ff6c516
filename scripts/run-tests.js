// Runs every test file under test/ with Node's test runner (through tsx).
// Node 20's runner does not expand globs itself, so the files are listed here.
// Usage: node scripts/run-tests.js [--no-e2e] [path-fragment ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

const files = testFiles('test')
  .filter((f) => !(skipBrowser && f.startsWith(join('test', 'e2e'))))
  .filter((f) => filters.length === 0 || filters.some((fragment) => f.includes(fragment)))
  .sort();

if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}

const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  // Commands started by tests that need a master key share one throwaway key outside the work tree.
  env: { ...process.env, S2S_ENV: 'test', MASTER_KEY_FILE: join(tmpdir(), 's2s-test-master.key') },
});
process.exit(result.status ?? 1);
