// Directory benchmarks: a national-size GIAS import (first load and idempotent re-import) and the
// Establishment Finder's search time, on SQLite and PostgreSQL.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { importEstablishments } from '../src/directory/gias-import.ts';
import { DirectoryService } from '../src/directory/service.ts';
import { systemClock } from '../src/platform/clock.ts';
import type { Engine } from '../src/platform/db/database.ts';
import { createTestDatabase } from '../test/support/databases.ts';

const ROWS = Number(process.env.BENCH_GIAS_ROWS ?? 50_000);
const SEARCHES = 300;
const SAMPLE = new URL('../test/fixtures/gias/edubasealldata-sample.csv', import.meta.url);

const WORDS = [
  'St',
  'Mary',
  'Martha',
  'Oak',
  'Hill',
  'Valley',
  'Church',
  'Green',
  'Park',
  'Abbey',
  'Bridge',
  'Meadow',
  'Castle',
  'Brook',
  'Ysgol',
  'Gymraeg',
  'Holy',
  'Trinity',
  'Riverside',
  'Forest',
];
const KINDS = [
  'Primary School',
  'Infant School',
  'Junior School',
  'Academy',
  'High School',
  'Church of England Primary School',
  'Catholic Primary School',
  'Nursery School',
];
const TOWNS = [
  'Bristol',
  'Gloucester',
  'Cardiff',
  'Swansea',
  'Leeds',
  'York',
  'Norwich',
  'Exeter',
  'Derby',
  'Stroud',
  'Bath',
  'Wrexham',
  'Carlisle',
  'Dover',
  'Truro',
];

/** Deterministic pseudo-random numbers, so every run imports the same file. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A synthetic extract with the real GIAS header, ROWS rows over 150 LAs, encoded cp1252. */
function syntheticExtract(path: string): void {
  const header = (readFileSync(SAMPLE, 'latin1').split(/\r?\n/)[0] ?? '').split(',');
  const next = random(42);
  const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)] as T;
  const lines = [header.map(csvField).join(',')];
  for (let i = 0; i < ROWS; i += 1) {
    const la = String(201 + (i % 150));
    const closed = next() < 0.15;
    const row: Record<string, string> = {
      URN: String(100_000 + i),
      'LA (code)': la,
      'LA (name)': `Authority ${la}`,
      EstablishmentNumber: String(1000 + Math.floor(i / 150)),
      EstablishmentName: `${pick(WORDS)} ${pick(WORDS)} ${pick(KINDS)} – ${i}`,
      'TypeOfEstablishment (name)': 'Community school',
      'EstablishmentTypeGroup (name)': 'Local authority maintained schools',
      'EstablishmentStatus (name)': closed ? 'Closed' : 'Open',
      CloseDate: closed ? '31-08-2019' : '',
      'PhaseOfEducation (name)': 'Primary',
      Town: pick(TOWNS),
      Postcode: 'AB1 2CD',
      TelephoneNum: '1234567890',
      'GOR (name)': 'South West',
    };
    lines.push(header.map((column) => csvField(row[column] ?? '')).join(','));
  }
  writeFileSync(path, iconv.encode(`${lines.join('\r\n')}\r\n`, 'win1252'));
}

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
  syntheticExtract(file);
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
