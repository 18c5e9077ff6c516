// `npm run bench`: runs the benchmarks and writes their results, with the machine they ran on, into
// docs/benchmarks.md. Numbers are wall-clock on whatever machine runs this; compare like with like.
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchCtf } from './ctf.ts';
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

/** Each benchmark writes its table between its own markers in docs/benchmarks.md. */
const sections: Record<string, () => Promise<string>> = {
  directory: async () => {
    const directory = await benchDirectory();
    return [
      `Run ${new Date().toISOString().slice(0, 10)} on ${machine()}.`,
      '',
      '| engine | GIAS rows | first import | re-import (nothing changed) | finder p50 | finder p95 | finder max |',
      '|---|---|---|---|---|---|---|',
      ...directory.map(
        (r) =>
          `| ${r.engine} | ${r.rows.toLocaleString('en-GB')} (${r.added.toLocaleString('en-GB')} added, ${r.unchanged.toLocaleString('en-GB')} unchanged on re-import) | ${round(r.firstImportMs / 1000)} s | ${round(r.reimportMs / 1000)} s | ${round(r.finderP50Ms)} ms | ${round(r.finderP95Ms)} ms | ${round(r.finderMaxMs)} ms |`,
      ),
    ].join('\n');
  },
  ctf: async () => {
    const ctf = await benchCtf();
    const mb = (bytes: number) => round(bytes / 2 ** 20);
    const modes: Record<string, string> = {
      onPupil: '`onPupil` callback (pupils streamed, not kept)',
      countOnly: '`countOnly` (header and pupil count)',
      keepPupils: "default (every pupil's basic details kept)",
    };
    return [
      `Run ${new Date().toISOString().slice(0, 10)} on ${machine()}.`,
      '',
      '| file | size | pupils | bare saxes pass | readCtf (`onPupil`) | ratio | readCtf `countOnly` |',
      '|---|---|---|---|---|---|---|',
      ...ctf.throughput.map(
        (t) =>
          `| ${t.label} | ${mb(t.bytes)} MB | ${t.pupils.toLocaleString('en-GB')} | ${round(t.saxesMBs)} MB/s | ${round(t.readCtfMBs)} MB/s | ${(t.readCtfMBs / t.saxesMBs).toFixed(2)}x | ${round(t.countOnlyMBs)} MB/s |`,
      ),
      '',
      '| reading the bulk file with | baseline RSS | peak RSS growth (sampled) | peak RSS growth (ru_maxrss bound) |',
      '|---|---|---|---|',
      ...ctf.memory.map(
        (m) =>
          `| ${modes[m.mode] ?? m.mode} | ${round(m.baselineMB)} MB | ${round(m.sampledPeakGrowthMB)} MB | ${round(m.maxRssGrowthMB)} MB |`,
      ),
    ].join('\n');
  },
};

// `npm run bench` runs every benchmark; `npm run bench -- ctf` only the ones named.
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !Object.hasOwn(sections, name));
if (unknown.length > 0) {
  process.stderr.write(
    `Unknown benchmark ${unknown.join(', ')}: choose from ${Object.keys(sections).join(', ')}.\n`,
  );
  process.exit(2);
}
const path = new URL('../docs/benchmarks.md', import.meta.url);
for (const [name, run] of Object.entries(sections)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const lines = `${start}\n${await run()}\n${end}`;
  const current = readFileSync(path, 'utf8');
  if (!current.includes(start) || !current.includes(end))
    throw new Error(`docs/benchmarks.md has no ${start} ... ${end}`);
  writeFileSync(
    path,
    current.slice(0, current.indexOf(start)) + lines + current.slice(current.indexOf(end) + end.length),
  );
  process.stdout.write(`${lines}\n`);
}
