// `npm run bench`: runs the benchmarks and writes their results, with the machine they ran on, into
// docs/benchmarks.md. Numbers are wall-clock on whatever machine runs this; compare like with like.
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchDirectory } from './directory.ts';

const round = (value: number) => (value >= 100 ? Math.round(value) : Math.round(value * 10) / 10);

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const memory = Math.round(totalmem() / 2 ** 30);
  let postgres = 'unknown';
  try {
    postgres = execSync('psql --version', { encoding: 'utf8' }).trim();
  } catch {
    // psql not installed: the version is not essential
  }
  return `${cpus().length} cores (${cpu}), ${memory} GiB memory, Node ${process.version}, ${postgres}`;
}

const directory = await benchDirectory();
const lines = [
  '<!-- bench:directory:start -->',
  `Run ${new Date().toISOString().slice(0, 10)} on ${machine()}.`,
  '',
  '| engine | GIAS rows | first import | re-import (nothing changed) | finder p50 | finder p95 | finder max |',
  '|---|---|---|---|---|---|---|',
  ...directory.map(
    (r) =>
      `| ${r.engine} | ${r.rows.toLocaleString('en-GB')} (${r.added.toLocaleString('en-GB')} added, ${r.unchanged.toLocaleString('en-GB')} unchanged on re-import) | ${round(r.firstImportMs / 1000)} s | ${round(r.reimportMs / 1000)} s | ${round(r.finderP50Ms)} ms | ${round(r.finderP95Ms)} ms | ${round(r.finderMaxMs)} ms |`,
  ),
  '<!-- bench:directory:end -->',
].join('\n');

const path = new URL('../docs/benchmarks.md', import.meta.url);
const current = readFileSync(path, 'utf8');
const updated = current.replace(/<!-- bench:directory:start -->[\s\S]*<!-- bench:directory:end -->/, lines);
writeFileSync(path, updated);
process.stdout.write(`${lines}\n`);
