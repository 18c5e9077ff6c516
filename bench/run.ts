// `npm run bench`: runs the benchmarks and writes their results, with the machine they ran on, into
// docs/benchmarks.md. Numbers are wall-clock on whatever machine runs this; compare like with like.
import { readFileSync, writeFileSync } from 'node:fs';
import { auditSection } from './audit.ts';
import { benchCtf } from './ctf.ts';
import { benchDirectory } from './directory.ts';
import { benchLoad, KINDS, type TrafficResult } from './load.ts';
import { benchLostPupils } from './lost-pupils.ts';
import { reportsSection } from './reports.ts';
import { machine } from './support.ts';
import { benchTransfers, type PhaseResult } from './transfers.ts';

const round = (value: number) => (value >= 100 ? Math.round(value) : Math.round(value * 10) / 10);

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
      '| file | size | pupils | bare saxes pass | readCtf (`onPupil`) | ratio | readCtf `countOnly` | readCtf (`onPupil`), file in memory | ratio |',
      '|---|---|---|---|---|---|---|---|---|',
      ...ctf.throughput.map(
        (t) =>
          `| ${t.label} | ${mb(t.bytes)} MB | ${t.pupils.toLocaleString('en-GB')} | ${round(t.saxesMBs)} MB/s | ${round(t.readCtfMBs)} MB/s | ${(t.readCtfMBs / t.saxesMBs).toFixed(2)}x | ${round(t.countOnlyMBs)} MB/s | ${round(t.inMemoryMBs)} MB/s | ${(t.inMemoryMBs / t.saxesMBs).toFixed(2)}x |`,
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
  transfers: async () => {
    const t = await benchTransfers();
    const mb = (bytes: number) => round(bytes / 2 ** 20);
    const rate = (p: PhaseResult) => p.bytes / 2 ** 20 / p.seconds;
    const base = t.targets.find((r) => r.target === 'baseline');
    const name = (r: (typeof t.targets)[number]) =>
      r.target === 'baseline' ? 'bare Fastify + @fastify/multipart' : `s2s (${r.engine})`;
    const ratio = (p: PhaseResult, b: PhaseResult | undefined) =>
      b && rate(b) > 0 ? `${(rate(p) / rate(b)).toFixed(2)}x` : '';
    const errors = (p: PhaseResult) =>
      p.errors === 0
        ? '0'
        : `**${p.errors}** (${p.errorSamples.map((e) => e.replace(/\|/g, '/')).join('; ')})`;
    const cpuMs = (p: PhaseResult) => (p.requests > 0 ? round((p.serverCpuSeconds * 1000) / p.requests) : 0);
    const clientMs = (p: PhaseResult) =>
      p.requests > 0 ? round((p.clientCpuSeconds * 1000) / p.requests) : 0;
    // SQLite runs in the server's process: its time is in the server's column.
    const databaseMs = (p: PhaseResult) =>
      p.databaseCpuSeconds === null || p.requests === 0
        ? ''
        : `${round((p.databaseCpuSeconds * 1000) / p.requests)} ms`;
    const uploads = t.uploaders * t.uploadsEach;
    const probe = (p: PhaseResult) =>
      p.probe
        ? `${round(p.probe.p50Ms)} / ${round(p.probe.p95Ms)} / ${round(p.probe.maxMs)} ms${p.probe.errors > 0 ? ` (**${p.probe.errors} failed**)` : ''}`
        : '';
    const cpuRatio = (p: PhaseResult, b: PhaseResult | undefined) =>
      b && p.serverCpuSeconds > 0
        ? `${(b.serverCpuSeconds / b.requests / (p.serverCpuSeconds / p.requests)).toFixed(2)}x`
        : '';
    const load = t.targets
      .map((r) => `${name(r)} ${r.load.before.toFixed(1)} -> ${r.load.after.toFixed(1)}`)
      .join(', ');
    const rates = (values: number[]) => values.map((v) => round(v)).join(', ');
    const spread = t.targets
      .map((r) =>
        r.target === 'baseline'
          ? `The bare route was measured ${r.runs.uploadMBs.length} times (median shown, errors of every run): uploads ${rates(r.runs.uploadMBs)} MB/s; downloads ${rates(r.runs.downloadMBs)} MB/s.`
          : `${name(r)}'s download phase ran ${r.runs.downloadMBs.length} times over the same files (median shown, errors of every run): ${rates(r.runs.downloadMBs)} MB/s.`,
      )
      .join(' ');
    return [
      `Run ${new Date().toISOString().slice(0, 10)} on ${machine()}.`,
      '',
      `File: a CTF 25.0 of ${t.pupils.toLocaleString('en-GB')} pupils, ${mb(t.fileBytes)} MB (${t.fileBytes.toLocaleString('en-GB')} bytes). ` +
        `Uploads: ${t.uploaders} concurrent uploaders x ${t.uploadsEach} = ${uploads} measured, after one warm-up upload each. ` +
        `Downloads: ${t.downloaders} concurrent downloaders, ${uploads} files, after one warm-up download each. ` +
        'Server and client each in their own process (see above).',
      '',
      `Load average (1 minute) before -> after each: ${load}. ${spread}`,
      '',
      '| upload | uploads | errors | MB/s | uploads/s | p50 | p95 | max | vs bare route | server CPU per upload | vs bare route (server CPU) | PostgreSQL CPU per upload | client CPU per upload | server peak RSS | meanwhile, GET /healthz p50 / p95 / max |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...t.targets.map(
        (r) =>
          `| ${name(r)} | ${r.upload.requests} | ${errors(r.upload)} | ${round(rate(r.upload))} | ${round(r.upload.requests / r.upload.seconds)} | ${round(r.upload.p50Ms)} ms | ${round(r.upload.p95Ms)} ms | ${round(r.upload.maxMs)} ms | ${r.target === 'baseline' ? '1x' : ratio(r.upload, base?.upload)} | ${cpuMs(r.upload)} ms | ${r.target === 'baseline' ? '1x' : cpuRatio(r.upload, base?.upload)} | ${databaseMs(r.upload)} | ${clientMs(r.upload)} ms | ${round(r.serverPeakRssMB)} MB | ${probe(r.upload)} |`,
      ),
      '',
      '| download | downloads | errors | MB/s | downloads/s | p50 | p95 | max | vs bare route | server CPU per download | vs bare route (server CPU) | PostgreSQL CPU per download | client CPU per download |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...t.targets.flatMap((r) => {
        const rows = [
          `| ${r.target === 'baseline' ? 'bare Fastify: GET streams the file from disk' : `s2s (${r.engine}): GET /download/ctf/file (decrypt + SHA-256 check + record)`} | ${r.download.requests} | ${errors(r.download)} | ${round(rate(r.download))} | ${round(r.download.requests / r.download.seconds)} | ${round(r.download.p50Ms)} ms | ${round(r.download.p95Ms)} ms | ${round(r.download.maxMs)} ms | ${r.target === 'baseline' ? '1x' : ratio(r.download, base?.download)} | ${cpuMs(r.download)} ms | ${r.target === 'baseline' ? '1x' : cpuRatio(r.download, base?.download)} | ${databaseMs(r.download)} | ${clientMs(r.download)} ms |`,
        ];
        const s = r.downloadStart;
        if (s) {
          const whole: PhaseResult = { ...r.download, seconds: r.download.seconds + s.seconds };
          rows.push(
            `| s2s (${r.engine}): before each download, POST confirm + GET the question page | ${s.requests} | ${errors(s)} | | ${round(s.requests / s.seconds)} | ${round(s.p50Ms)} ms | ${round(s.p95Ms)} ms | ${round(s.maxMs)} ms | | ${cpuMs(s)} ms | | ${databaseMs(s)} | ${clientMs(s)} ms |`,
            `| s2s (${r.engine}): the whole flow (the two rows above, one after the other) | ${r.download.requests} | | ${round(rate(whole))} | ${round(r.download.requests / whole.seconds)} | | | | ${ratio(whole, base?.download)} | ${round(cpuMs(r.download) + cpuMs(s))} ms | ${base ? `${(base.download.serverCpuSeconds / base.download.requests / ((r.download.serverCpuSeconds + s.serverCpuSeconds) / r.download.requests)).toFixed(2)}x` : ''} | | |`,
          );
        }
        return rows;
      }),
      ...(t.skipped.length > 0 ? ['', `Not measured: ${t.skipped.join('; ')}.`] : []),
    ].join('\n');
  },
  'lost-pupils': async () => {
    const lpd = await benchLostPupils();
    const count = (n: number) => n.toLocaleString('en-GB');
    const fixed = (n: number) => (n >= 10 ? n.toFixed(1) : n.toFixed(2));
    const lines = [
      `Run ${new Date().toISOString().slice(0, 10)} on ${machine()}.`,
      '',
      `Records: ${lpd.distribution}`,
    ];
    for (const e of lpd.engines) {
      const sizes = e.loads.map((l) => l.size);
      const last = (s: (typeof e.searches)[number]) => s.bySize[s.bySize.length - 1];
      const ratio = (s: (typeof e.searches)[number], of: 'p95Ms' | 'cpuP95Ms') => {
        const small = s.bySize[0]?.[of] ?? 0;
        return small > 0 ? (last(s)?.[of] ?? 0) / small : 0;
      };
      lines.push(
        '',
        `**${e.engine}**: ${e.loads.map((l) => `${count(l.records)} records (${count(l.keys)} key rows) loaded in ${round(l.loadSeconds)} s`).join('; ')}. ` +
          `${e.rounds} searches of each kind on each database, in rounds over the sizes; 1-minute load average ${e.load.before.toFixed(1)} before the searches, ${e.load.after.toFixed(1)} after.` +
          (e.cpuMeasured ? '' : ' CPU time could not be measured on this machine.'),
        '',
        `| search | ${sizes.map((s) => `${count(s)}: p50 / p95 (CPU p50 / p95), ms`).join(' | ')} | rows returned (mean) | p95 ${count(sizes[sizes.length - 1] ?? 0)} / ${count(sizes[0] ?? 0)}: wall, CPU |`,
        `|---|${sizes.map(() => '---|').join('')}---|---|`,
        ...e.searches.map((s) => {
          const wall = ratio(s, 'p95Ms');
          const cpu = ratio(s, 'cpuP95Ms');
          const verdict = s.target ? (wall <= 3 ? 'met' : '**missed**') : 'not a target';
          return `| ${s.kind} | ${s.bySize.map((b) => `${fixed(b.p50Ms)} / ${fixed(b.p95Ms)} (${fixed(b.cpuP50Ms)} / ${fixed(b.cpuP95Ms)})`).join(' | ')} | ${s.bySize.map((b) => Math.round(b.meanRows)).join(' / ')} | ${wall.toFixed(1)}x, ${cpu.toFixed(1)}x (${verdict}) |`;
        }),
        '',
        `Matching an incoming file with the database (${e.matchingRounds} files of each kind on each database, each in a transaction rolled back):`,
        '',
        `| file | ${sizes.map((s) => `${count(s)}: p50 / p95, ms`).join(' | ')} | matches (mean) | p95 ${count(sizes[sizes.length - 1] ?? 0)} / ${count(sizes[0] ?? 0)} |`,
        `|---|${sizes.map(() => '---|').join('')}---|---|`,
        ...e.matching.map((m) => {
          const small = m.bySize[0]?.p95Ms ?? 0;
          const large = m.bySize[m.bySize.length - 1]?.p95Ms ?? 0;
          return `| ${m.kind} | ${m.bySize.map((b) => `${fixed(b.p50Ms)} / ${fixed(b.p95Ms)}`).join(' | ')} | ${m.bySize.map((b) => b.meanMatches.toFixed(1)).join(' / ')} | ${small > 0 ? (large / small).toFixed(1) : '-'}x |`;
        }),
      );
    }
    return lines.join('\n');
  },
  reports: reportsSection,
  audit: auditSection,
  load: async () => {
    const r = await benchLoad();
    const count = (n: number) => Math.round(n).toLocaleString('en-GB');
    const bare = r.mixed.find((t) => t.nodes === 1 && t.label.startsWith('bare'));
    const ratio = (t: TrafficResult) =>
      bare && bare.requestsPerSecond > 0
        ? `${(t.requestsPerSecond / bare.requestsPerSecond).toFixed(3)}x`
        : '';
    const errors = (t: TrafficResult) =>
      t.errors === 0
        ? '0'
        : `**${t.errors}** (${t.errorSamples.map((e) => e.replace(/\|/g, '/')).join('; ')})`;
    const timing = (t: TrafficResult, kind: string) => {
      const k = t.kinds.find((x) => x.kind === kind);
      return k ? `${round(k.p50Ms)} / ${round(k.p95Ms)} ms (${count(k.requests)})` : '';
    };
    const lines = [`Run ${new Date().toISOString().slice(0, 10)} on ${machine()}.`, ''];
    if (r.mixed.length > 0) {
      const first = r.mixed[0] as TrafficResult;
      lines.push(
        `**Mixed traffic**: ${first.users} users for ${Math.round(first.seconds)} s each, on data made by \`s2s seed-scale --fraction ${r.mixFraction}\`. ` +
          `1-minute load average before -> after: ${r.mixed.map((t) => `${t.label} ${t.load.before.toFixed(1)} -> ${t.load.after.toFixed(1)}`).join(', ')}.`,
        '',
        '| target | requests | requests/s | vs bare route | errors | loops completed | server CPU per request | server peak RSS | error log lines |',
        '|---|---|---|---|---|---|---|---|---|',
        ...r.mixed.map(
          (t) =>
            `| ${t.label} | ${count(t.requests)} | ${round(t.requestsPerSecond)} | ${t.label.startsWith('bare') ? '1x' : ratio(t)} | ${errors(t)} | ${t.label.startsWith('bare') ? '' : count(t.loops)} | ${t.requests > 0 ? round((t.serverCpuSeconds * 1000) / t.requests) : 0} ms | ${round(t.serverPeakRssMB)} MB | ${t.serverErrorLogLines} |`,
        ),
        '',
        `| request (p50 / p95, HTTP requests) | ${r.mixed.map((t) => t.label).join(' | ')} |`,
        `|---|${r.mixed.map(() => '---|').join('')}`,
        ...['bare route', ...KINDS].map(
          (kind) => `| ${kind} | ${r.mixed.map((t) => timing(t, kind)).join(' | ')} |`,
        ),
      );
    }
    if (r.nodes) {
      const { one, two } = r.nodes;
      lines.push(
        '',
        `**Two nodes** (PostgreSQL, the same database and file store, users spread across the two): ${round(two.requestsPerSecond)} requests/s against ${round(one.requestsPerSecond)} on one node: **${(two.requestsPerSecond / one.requestsPerSecond).toFixed(2)}x** (target 1.7x on a machine with enough cores). Server CPU per request: ${round((one.serverCpuSeconds * 1000) / Math.max(1, one.requests))} ms on one node, ${round((two.serverCpuSeconds * 1000) / Math.max(1, two.requests))} ms on two (both processes).`,
      );
    }
    if (r.scale) {
      const s = r.scale;
      const [big, small] = s.fractions;
      const seeded = (x: Record<string, number>) =>
        `${count(x.schools ?? 0)} schools, ${count(x.transfers ?? 0)} transfers (lost pupils' files included), ${count(x.lostPupils ?? 0)} lost pupils, ${count(x.messages ?? 0)} messages (${count(x.messageRecipients ?? 0)} copies)`;
      lines.push(
        '',
        `**Scale** (PostgreSQL): fraction ${big}: ${seeded(s.seeded[0])}, loaded in ${round(s.seedSeconds[0])} s; fraction ${small}: ${seeded(s.seeded[1])}, loaded in ${round(s.seedSeconds[1])} s. ` +
          `Then the first message expiry, as a running service's would, to its end, and the database vacuumed and analysed, as autovacuum would (${round(s.expirySeconds[0])} s and ${round(s.expirySeconds[1])} s in all). ` +
          `${s.rounds} timed rounds (after 3 untimed), one request at a time, each round every page on both sizes; 1-minute load average ${s.load.before.toFixed(1)} before, ${s.load.after.toFixed(1)} after.`,
        '',
        `| page | user | rows shown (${big} / ${small}) | p50 (${big} / ${small}) | p95 (${big} / ${small}) | p95 ratio | target <= 2x |`,
        '|---|---|---|---|---|---|---|',
        ...s.pages.map((p) => {
          const ratio = p.p95Ms[1] > 0 ? p.p95Ms[0] / p.p95Ms[1] : 0;
          return `| ${p.page} | ${p.user} | ${p.items[0]} / ${p.items[1]} | ${round(p.p50Ms[0])} / ${round(p.p50Ms[1])} ms | ${round(p.p95Ms[0])} / ${round(p.p95Ms[1])} ms | ${ratio.toFixed(2)}x | ${ratio <= 2 ? 'met' : '**missed**'} |`;
        }),
      );
    }
    if (r.skipped.length > 0) lines.push('', `Not measured: ${r.skipped.join('; ')}.`);
    return lines.join('\n');
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
