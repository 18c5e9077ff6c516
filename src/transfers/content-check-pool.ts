// Content checks on worker threads: parsing a 4 MB CTF takes tens of milliseconds of CPU, which on the
// main thread would hold up every other request for that long (docs/benchmarks.md). Files that are only
// sniffed (generic and other typed files: their first 4 KiB) are checked here, where that is cheaper
// than a trip to a worker.

import type {
  CensusCheck,
  CensusChecker,
  CensusCheckInput,
  CensusPupilsInput,
  CensusPupilsPage,
  CensusSummaryInput,
} from '../collect/census-check.ts';
import type { ReturnSummary } from '../collect/census-summary.ts';
import { poolOf } from '../platform/buffer-pool.ts';
import { WorkerPool } from '../platform/workers/pool.ts';
import type { ContentCheckResult, ContentCheckTask, ReturnedBytes } from './content-check-worker.ts';
import { type CheckedContent, type ContentChecker, checkContent, parsesContent } from './content-checks.ts';
import type { ClassifiedFilename } from './filenames.ts';

export interface ContentCheckPoolOptions {
  /** Worker threads at most (started as uploads need them). */
  workers: number;
  /**
   * Bytes of the files waiting for a worker at most (CONTENT_CHECK_QUEUE_MB); past it an upload fails
   * at once (PoolBusy).
   */
  maxQueuedBytes?: number;
}

/**
 * The files waiting to be read are bounded by their bytes, not their number: a burst of uploads (200
 * schools at once in the load benchmark, each a 300-pupil CTF of about 3 MB) waits its turn rather than
 * fail. Every waiting file is held in memory by its upload, so this is the memory the backlog may take:
 * the default, which CONTENT_CHECK_QUEUE_MB changes (config.ts).
 */
export const MAX_QUEUED_BYTES = 1024 * 1024 * 1024;
/** Files waiting at most, however small: a bound on the bookkeeping. */
const MAX_QUEUED_FILES = 10_000;

/**
 * The bytes to hand to a worker, and what to move rather than copy. Bytes that fill their own allocation
 * (an upload's, joined from its chunks) are moved when the caller hands them over (they come back with
 * the check: copying 4 MB into the worker cost it about 13 ms of its 40), and otherwise copied when the
 * task is handed to a worker, so a file waiting in the queue is held once, not twice. A small Buffer is
 * a view of a larger allocation that must not go with it: its bytes are copied now and the copy moved.
 * Reading uploads into shared memory instead saved the copy too but raised the service's peak memory in
 * the benchmark from about 0.85 to 1.2 GB, probably because the garbage collector does not count shared
 * memory waiting to be freed. Bytes already in shared memory are still read where they are. Bytes in a
 * buffer lent by a BufferPool (an upload's) are the start of memory of their own: that is moved.
 */
function forWorker(data: Uint8Array, handedOver: boolean): { bytes: Uint8Array; transfer: ArrayBuffer[] } {
  if (data.buffer instanceof SharedArrayBuffer) return { bytes: data, transfer: [] };
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  if (whole || (handedOver && poolOf(data.buffer)))
    return { bytes: data, transfer: handedOver ? [data.buffer] : [] };
  const copy = new Uint8Array(data);
  return { bytes: copy, transfer: [copy.buffer] };
}

/** A parse that takes longer than this is stopped (its worker is replaced): nothing legitimate does. */
const TASK_TIMEOUT_MS = 120_000;

export class PooledContentChecks implements ContentChecker, CensusChecker {
  private readonly pool: WorkerPool<ContentCheckTask, ContentCheckResult>;

  constructor(options: ContentCheckPoolOptions) {
    this.pool = new WorkerPool({
      module: new URL('./content-check-worker.ts', import.meta.url),
      size: options.workers,
      maxQueue: MAX_QUEUED_FILES,
      // Every waiting file is already held in memory by its upload: the bound stops the backlog, and
      // that memory, from growing without end when files arrive faster than they can be read.
      maxQueuedBytes: options.maxQueuedBytes ?? MAX_QUEUED_BYTES,
      taskTimeoutMs: TASK_TIMEOUT_MS,
      // A 10 MB file needs far less; a hostile one that needs more ends its worker, not the service.
      resourceLimits: { maxOldGenerationSizeMb: 512 },
      name: 's2s content check',
    });
  }

  async handOver(file: ClassifiedFilename, data: Buffer): Promise<CheckedContent> {
    if (!parsesContent(file)) return { check: await checkContent(file, data), data };
    const lender = poolOf(data.buffer);
    const { check, data: back } = await this.onWorker<ReturnedBytes>({ kind: 'upload', file, data });
    const bytes = Buffer.from(back.buffer, back.byteOffset, back.byteLength);
    // Moved there and back, the memory is a new object: still the lender's.
    lender?.adopt(bytes);
    return { check, data: bytes };
  }

  /** A census return's reading and rules (collect/census-check.ts), on a worker. */
  checkCensusReturn(input: CensusCheckInput): Promise<CensusCheck> {
    return this.onWorker<CensusCheck>({ kind: 'census-return', ...input });
  }

  /** A page of a stored census return's pupils (collect/census-check.ts), on a worker. */
  censusPupilsPage(input: CensusPupilsInput): Promise<CensusPupilsPage> {
    return this.onWorker<CensusPupilsPage>({ kind: 'census-pupils', ...input });
  }

  /** A stored census return's summary (collect/census-check.ts), on a worker. */
  censusSummary(input: CensusSummaryInput): Promise<ReturnSummary> {
    return this.onWorker<ReturnSummary>({ kind: 'census-summary', ...input });
  }

  /**
   * A task on a worker, its bytes handed over as `forWorker` says (moved when they come back: an
   * upload's); the result is the task kind's.
   */
  private onWorker<Result extends ContentCheckResult>(task: ContentCheckTask): Promise<Result> {
    const { bytes, transfer } = forWorker(task.data, task.kind === 'upload');
    return this.pool.run({ ...task, data: bytes }, transfer, bytes.length) as Promise<Result>;
  }

  stats() {
    return this.pool.stats();
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
