// Makes a content-check pool busy for a while: its one worker reads a 30 MB CTF, holding a small one to
// read next (TASKS_PER_WORKER), while other files wait behind them up to `bound` bytes exactly (the last
// padded with spaces after its end), so the next file is turned away (PoolBusy). Resolves when all of
// them have been read.
import assert from 'node:assert/strict';
import { TASKS_PER_WORKER } from '../../src/platform/workers/pool.ts';
import type { PooledContentChecks } from '../../src/transfers/content-check-pool.ts';
import { classifyFilename } from '../../src/transfers/filenames.ts';
import { syntheticCtf } from '../fixtures/ctf/generate.ts';

let files: { long: Buffer; waiting: Buffer; small: Buffer } | undefined;

export function fillContentChecks(checks: PooledContentChecks, bound: number): Promise<unknown> {
  files ??= {
    long: Buffer.from(syntheticCtf(3000)),
    waiting: Buffer.from(syntheticCtf(390)),
    small: Buffer.from(syntheticCtf(1)),
  };
  const { long, waiting, small } = files;
  const file = classifyFilename('9162001_CTF_8013456_003.XML');
  assert.ok(file.ok);
  // Each a copy: handed over, a file's bytes move to the worker.
  const read = (data: Buffer) => checks.handOver(file.file, Buffer.from(data));
  const reading = [read(long)];
  for (let held = 1; held < TASKS_PER_WORKER; held += 1) reading.push(read(small));
  assert.equal(checks.stats().queued, 0, 'the worker holds these');
  while (checks.stats().queuedBytes + waiting.length <= bound) reading.push(read(waiting));
  const room = bound - checks.stats().queuedBytes;
  assert.ok(room >= small.length, 'room for the last file');
  reading.push(read(Buffer.concat([small, Buffer.alloc(room - small.length, 0x20)])));
  assert.equal(checks.stats().queuedBytes, bound);
  return Promise.all(reading);
}
