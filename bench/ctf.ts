// CTF reader benchmarks: readCtf's throughput against a bare saxes pass over the same bytes (and readCtf
// on the same bytes in memory, as uploads are read), and the peak memory (RSS) a 50 MB bulk CTF costs to
// read, measured in a fresh child process per mode.
//
// Run alone: node --import tsx bench/ctf.ts        (prints the results; bench/run.ts records them)
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SaxesParser } from 'saxes';
import { type ReadCtfOptions, readCtf } from '../src/ctf/reader.ts';
import { syntheticCtf, writeSyntheticCtf } from '../test/fixtures/ctf/generate.ts';

const BULK_MB = Number(process.env.BENCH_CTF_MB ?? 50);
const RUNS = Number(process.env.BENCH_CTF_RUNS ?? 5);

export interface CtfThroughput {
  label: string;
  bytes: number;
  pupils: number;
  /** Median MB/s (MB = 2^20 bytes) over RUNS runs, each reading the file from disk. */
  saxesMBs: number;
  readCtfMBs: number;
  countOnlyMBs: number;
  /** readCtf given the whole file in memory, as an upload's check is (the fast way, when plain XML). */
  inMemoryMBs: number;
}

export type MemoryMode = 'onPupil' | 'keepPupils' | 'countOnly';

export interface CtfMemory {
  mode: MemoryMode;
  bytes: number;
  pupils: number;
  /** RSS before reading, after start-up, a warm-up read and a full GC. */
  baselineMB: number;
  /** Highest RSS sampled (after every 64 KB chunk and every 5 ms) minus the baseline. */
  sampledPeakGrowthMB: number;
  /** The process's lifetime peak RSS (getrusage ru_maxrss) minus the baseline: an upper bound. */
  maxRssGrowthMB: number;
}

export interface CtfBenchResult {
  throughput: CtfThroughput[];
  memory: CtfMemory[];
}

const MB = 1024 * 1024;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** The baseline: saxes tokenising the same bytes, decoded the same way, with no handlers. */
async function saxesPass(path: string): Promise<void> {
  const parser = new SaxesParser();
  parser.on('error', (error) => {
    throw error;
  });
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of createReadStream(path))
    parser.write(decoder.decode(chunk as Buffer, { stream: true }));
  parser.close();
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function throughput(
  label: string,
  path: string,
  bytes: number,
  pupils: number,
): Promise<CtfThroughput> {
  const streaming: ReadCtfOptions = { onPupil: () => {} };
  const whole = readFileSync(path);
  // Warm-up: page cache and JIT.
  await saxesPass(path);
  await readCtf(createReadStream(path), streaming);
  await readCtf(whole, streaming);
  const saxes: number[] = [];
  const reader: number[] = [];
  const counting: number[] = [];
  const inMemory: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    saxes.push(await timed(() => saxesPass(path)));
    reader.push(await timed(() => readCtf(createReadStream(path), streaming)));
    counting.push(await timed(() => readCtf(createReadStream(path), { countOnly: true })));
    inMemory.push(await timed(() => readCtf(whole, streaming)));
  }
  const rate = (seconds: number[]) => bytes / MB / median(seconds);
  return {
    label,
    bytes,
    pupils,
    saxesMBs: rate(saxes),
    readCtfMBs: rate(reader),
    countOnlyMBs: rate(counting),
    inMemoryMBs: rate(inMemory),
  };
}

/** In the child process: reads `path` once in `mode` and prints a CtfMemory as JSON. */
async function measureMemory(path: string, mode: MemoryMode): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const options = (): ReadCtfOptions =>
    mode === 'onPupil' ? { onPupil: () => {} } : mode === 'countOnly' ? { countOnly: true } : {};
  // Warm up the code paths on a small file, then settle the heap before taking the baseline.
  await readCtf(
    (async function* () {
      yield Buffer.from(syntheticCtf(20));
    })(),
    options(),
  );
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sample = () => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
  };
  const timer = setInterval(sample, 5);
  async function* sampled() {
    for await (const chunk of createReadStream(path)) {
      sample();
      yield chunk as Buffer;
    }
  }
  const doc = await readCtf(sampled(), options());
  sample();
  clearInterval(timer);
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const result: CtfMemory = {
    mode,
    bytes: doc.bytes,
    pupils: doc.pupilCount,
    baselineMB: baseline / MB,
    sampledPeakGrowthMB: (peak - baseline) / MB,
    maxRssGrowthMB: (maxRss - baseline) / MB,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function memoryInChild(path: string, mode: MemoryMode): CtfMemory {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--expose-gc', fileURLToPath(import.meta.url), '--memory', path, mode],
    { encoding: 'utf8' },
  );
  if (child.status !== 0) throw new Error(`memory child failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as CtfMemory;
}

export async function benchCtf(): Promise<CtfBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 's2s-bench-ctf-'));
  try {
    const small = join(dir, '9162001_CTF_8013456_001.XML');
    const bulk = join(dir, '916LLLL_CTF_8013456_002.XML');
    const smallFile = await writeSyntheticCtf(small, { pupils: 300 });
    const bulkFile = await writeSyntheticCtf(bulk, { targetBytes: BULK_MB * MB });
    const results: CtfBenchResult = {
      throughput: [
        await throughput('300 pupils', small, smallFile.bytes, smallFile.pupils),
        await throughput(`bulk, ${BULK_MB} MB`, bulk, bulkFile.bytes, bulkFile.pupils),
      ],
      memory: (['onPupil', 'countOnly', 'keepPupils'] as const).map((mode) => memoryInChild(bulk, mode)),
    };
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [flag, path, mode] = process.argv.slice(2);
  if (flag === '--memory' && path && mode) await measureMemory(path, mode as MemoryMode);
  else process.stdout.write(`${JSON.stringify(await benchCtf(), null, 2)}\n`);
}
