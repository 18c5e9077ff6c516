// Directory benchmarks: a national-size GIAS import (first load and idempotent re-import) and the
// Establishment Finder's search time, on SQLite and PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importEstablishments } from '../src/directory/gias-import.ts';
import { DirectoryService } from '../src/directory/service.ts';
import { systemClock } from '../src/platform/clock.ts';
import type { Engine } from '../src/platform/db/database.ts';
import { createTestDatabase } from '../test/support/databases.ts';
import { random, syntheticExtract, TOWNS, WORDS } from '../test/support/gias.ts';

const ROWS = Number(process.env.BENCH_GIAS_ROWS ?? 50_000);
const SEARCHES = 300;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

export interface DirectoryBenchResult {
  engine: Engine;
  rows: number;
  firstImportMs: number;
  reimportMs: number;
  added: number;
  unchanged: number;
  finderP50Ms: number;
  finderP95Ms: number;
  finderMaxMs: number;
}

export async function benchDirectory(): Promise<DirectoryBenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 's2s-bench-'));
  const file = join(dir, 'edubasealldata.csv');
  syntheticExtract(file, ROWS);
  const results: DirectoryBenchResult[] = [];
  try {
    for (const engine of ['sqlite', 'postgres'] as const) {
      const database = await createTestDatabase(engine);
      try {
        let start = process.hrtime.bigint();
        const first = await importEstablishments(database.db, systemClock, file);
        const firstImportMs = ms(start);
        start = process.hrtime.bigint();
        const again = await importEstablishments(database.db, systemClock, file);
        const reimportMs = ms(start);

        const directory = new DirectoryService(database.db, systemClock);
        const next = random(7);
        const times: number[] = [];
        for (let i = 0; i < SEARCHES; i += 1) {
          const name = WORDS[Math.floor(next() * WORDS.length)] ?? 'Oak';
          const town = i % 2 === 0 ? (TOWNS[Math.floor(next() * TOWNS.length)] ?? '') : '';
          start = process.hrtime.bigint();
          await directory.find({ name: name.slice(0, 4), town });
          times.push(ms(start));
        }
        times.sort((a, b) => a - b);
        results.push({
          engine,
          rows: ROWS,
          firstImportMs,
          reimportMs,
          added: first.added,
          unchanged: again.unchanged,
          finderP50Ms: percentile(times, 50),
          finderP95Ms: percentile(times, 95),
          finderMaxMs: times[times.length - 1] ?? 0,
        });
      } finally {
        await database.drop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
