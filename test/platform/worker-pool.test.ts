import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  PoolBusy,
  PoolClosed,
  WORKER_NICENESS,
  WorkerExited,
  WorkerPool,
  type WorkerPoolOptions,
  WorkerTaskFailed,
} from '../../src/platform/workers/pool.ts';
import type { TestTask } from '../fixtures/workers/tasks.ts';

const TASKS = new URL('../fixtures/workers/tasks.ts', import.meta.url);

function pool(options: Partial<WorkerPoolOptions> = {}) {
  return new WorkerPool<TestTask, unknown>({ module: TASKS, size: 2, maxQueue: 10, ...options });
}

/** A task that runs until released: run() it, then call release(). */
function blocker() {
  const flag = new SharedArrayBuffer(4);
  return {
    task: { kind: 'wait', flag } as const,
    release: () => {
      Atomics.store(new Int32Array(flag), 0, 1);
      Atomics.notify(new Int32Array(flag), 0);
    },
  };
}

test('runs tasks on at most `size` workers, started when first needed', async () => {
  const workers = pool({ size: 2 });
  try {
    assert.equal(workers.stats().started, 0, 'no worker before the first task');
    const results = await Promise.all([1, 2, 3, 4, 5].map((value) => workers.run({ kind: 'double', value })));
    assert.deepEqual(results, [2, 4, 6, 8, 10]);
    const threads = new Set(await Promise.all([1, 2, 3, 4].map(() => workers.run({ kind: 'thread' }))));
    assert.ok(threads.size <= 2, 'two threads at most');
    assert.ok(!threads.has(0), 'not the main thread');
    assert.equal(workers.stats().started, 2);
  } finally {
    await workers.close();
  }
});

test('what a task throws comes back as WorkerTaskFailed with its name and message; the worker stays', async () => {
  const workers = pool({ size: 1 });
  try {
    await assert.rejects(workers.run({ kind: 'throw', message: 'The file is not a CTF.' }), (error) => {
      assert.ok(error instanceof WorkerTaskFailed);
      assert.equal(error.errorName, 'TaskRefused');
      assert.equal(error.message, 'The file is not a CTF.');
      return true;
    });
    assert.equal(await workers.run({ kind: 'double', value: 21 }), 42);
    assert.equal(workers.stats().started, 1, 'the same worker answered');
  } finally {
    await workers.close();
  }
});

test('a worker that dies fails its task with WorkerExited and is replaced for the next ones', async () => {
  const workers = pool({ size: 1 });
  try {
    await assert.rejects(workers.run({ kind: 'exit', code: 3 }), (error) => {
      assert.ok(error instanceof WorkerExited);
      assert.match(error.message, /exited with code 3/);
      return true;
    });
    await assert.rejects(workers.run({ kind: 'uncaught', message: 'out of order' }), (error) => {
      assert.ok(error instanceof WorkerExited);
      assert.match(error.message, /out of order/);
      return true;
    });
    assert.equal(await workers.run({ kind: 'double', value: 4 }), 8);
    assert.equal(workers.stats().started, 3, 'a new worker after each death');
    assert.equal(workers.stats().workers, 1);
  } finally {
    await workers.close();
  }
});

test('tasks waiting when a worker dies still run, on its replacement (the one it held, not started, too)', async () => {
  const workers = pool({ size: 1 });
  try {
    const dying = workers.run({ kind: 'exit', code: 1 });
    const waiting = [workers.run({ kind: 'double', value: 1 }), workers.run({ kind: 'double', value: 2 })];
    assert.deepEqual(workers.stats(), { workers: 1, running: 2, queued: 1, queuedBytes: 0, started: 1 });
    await assert.rejects(dying, WorkerExited);
    assert.deepEqual(await Promise.all(waiting), [2, 4]);
    assert.equal(workers.stats().started, 2);
  } finally {
    await workers.close();
  }
});

test('a task past its time limit ends its worker', async () => {
  // The limit only ends a task that would never answer; nothing here depends on how fast anything is.
  const workers = pool({ size: 1, taskTimeoutMs: 50 });
  try {
    const spinning = workers.run({ kind: 'spin' });
    const next = workers.run({ kind: 'double', value: 5 });
    await assert.rejects(spinning, (error) => {
      assert.ok(error instanceof WorkerExited);
      assert.match(error.message, /longer than 50 ms/);
      return true;
    });
    assert.equal(await next, 10, 'the task it held runs on a new worker');
    assert.equal(workers.stats().started, 2, 'the spinning worker was stopped');
  } finally {
    await workers.close();
  }
});

test('a worker holds its next task and starts it when it answers, while this thread is still busy', async () => {
  const workers = pool({ size: 1 });
  const { task, release } = blocker();
  const started = new SharedArrayBuffer(4);
  try {
    const first = workers.run(task);
    const second = workers.run({ kind: 'signal', flag: started });
    release();
    // This thread does not return to its event loop here, so it cannot read the first answer and send
    // the second task: the worker can only start it if it already holds it. (The time limit only ends a
    // failing test.)
    assert.equal(Atomics.wait(new Int32Array(started), 0, 0, 30_000), 'ok');
    assert.deepEqual(await Promise.all([first, second]), ['released', 'signalled']);
  } finally {
    release();
    await workers.close();
  }
});

test('a worker runs the tasks it holds one at a time, and answers them in order', async () => {
  const workers = pool({ size: 1 });
  try {
    const answers = await Promise.all([
      workers.run({ kind: 'later', value: 'first', ms: 30 }),
      workers.run({ kind: 'later', value: 'second', ms: 1 }),
      workers.run({ kind: 'double', value: 3 }),
    ]);
    assert.deepEqual(answers, ['first', 'second', 6]);
  } finally {
    await workers.close();
  }
});

test('workers run at a lower priority than the thread that started them (on Linux, where a thread has its own)', async (t) => {
  if (process.platform !== 'linux') {
    t.skip('only Linux gives a thread a priority of its own');
    return;
  }
  const workers = pool({ size: 1 });
  try {
    const own = getPriority();
    assert.equal(await workers.run({ kind: 'priority' }), Math.min(19, own + WORKER_NICENESS));
    assert.equal(getPriority(), own, 'this thread keeps its priority');
  } finally {
    await workers.close();
  }
});

test('the queue is bounded: past maxQueue waiting tasks, run() refuses at once with PoolBusy', async () => {
  const workers = pool({ size: 1, maxQueue: 2 });
  const { task, release } = blocker();
  try {
    const running = workers.run(task);
    const ahead = workers.run({ kind: 'double', value: 0 });
    const queued = [workers.run({ kind: 'double', value: 1 }), workers.run({ kind: 'double', value: 2 })];
    // The worker holds two (the one it runs, the one it starts next); two wait in the pool.
    assert.deepEqual(workers.stats(), { workers: 1, running: 2, queued: 2, queuedBytes: 0, started: 1 });
    await assert.rejects(workers.run({ kind: 'double', value: 3 }), PoolBusy);
    release();
    assert.equal(await running, 'released');
    assert.deepEqual(await Promise.all([ahead, ...queued]), [0, 2, 4]);
    assert.equal(await workers.run({ kind: 'double', value: 3 }), 6, 'room again once the queue drains');
  } finally {
    release();
    await workers.close();
  }
});

test('the queue is bounded by bytes too: past maxQueuedBytes, run() refuses at once; a large task alone may wait', async () => {
  const workers = pool({ size: 1, maxQueue: 100, maxQueuedBytes: 1000 });
  const { task, release } = blocker();
  try {
    const running = workers.run(task, [], 5000);
    // Handed to the worker as it runs the first, so not counted as waiting.
    const ahead = workers.run({ kind: 'double', value: 0 }, [], 5000);
    const large = workers.run({ kind: 'double', value: 1 }, [], 1500);
    assert.deepEqual(workers.stats(), { workers: 1, running: 2, queued: 1, queuedBytes: 1500, started: 1 });
    await assert.rejects(workers.run({ kind: 'double', value: 2 }, [], 1), PoolBusy);
    release();
    assert.equal(await running, 'released');
    assert.deepEqual(await Promise.all([ahead, large]), [0, 2]);
    assert.equal(workers.stats().queuedBytes, 0);
    const { task: again, release: releaseAgain } = blocker();
    const busy = [workers.run(again), workers.run({ kind: 'double', value: 0 })];
    const queued = [600, 400].map((bytes) => workers.run({ kind: 'double', value: bytes }, [], bytes));
    assert.equal(workers.stats().queuedBytes, 1000, 'up to the bound exactly');
    await assert.rejects(workers.run({ kind: 'double', value: 3 }, [], 1), PoolBusy);
    releaseAgain();
    await Promise.all(busy);
    assert.deepEqual(await Promise.all(queued), [1200, 800]);
  } finally {
    release();
    await workers.close();
  }
});

test('bytes can be moved to a worker (transferred) rather than copied', async () => {
  const workers = pool({ size: 1 });
  try {
    const data = new Uint8Array([1, 2, 3, 250]);
    assert.deepEqual(await workers.run({ kind: 'bytes', data }, [data.buffer]), { length: 4, sum: 256 });
    assert.equal(data.byteLength, 0, 'moved, not copied');
    const shared = new Uint8Array(new SharedArrayBuffer(3));
    shared.set([7, 8, 9]);
    assert.deepEqual(await workers.run({ kind: 'bytes', data: shared }), { length: 3, sum: 24 });
    assert.deepEqual([...shared], [7, 8, 9], 'shared memory is read where it is');
  } finally {
    await workers.close();
  }
});

test('close() stops the workers: running and waiting tasks reject with PoolClosed, and so do later ones', async () => {
  const workers = pool({ size: 1 });
  const { task, release } = blocker();
  const running = assert.rejects(workers.run(task), PoolClosed);
  const waiting = assert.rejects(workers.run({ kind: 'double', value: 1 }), PoolClosed);
  await workers.close();
  release();
  await running;
  await waiting;
  await assert.rejects(workers.run({ kind: 'double', value: 1 }), PoolClosed);
  assert.equal(workers.stats().workers, 0);
  await workers.close();
});

test('works where tsx is registered in code (as bin/s2s.js does), and idle workers let the process exit', () => {
  // A process started without --import tsx, like `node bin/s2s.js serve`: it registers tsx itself, runs
  // a task, and does not close its pool. It must print the answer and end on its own.
  const script = join(import.meta.dirname, '..', 'fixtures', 'workers', 'unclosed-pool.mjs');
  const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.stderr, '');
  assert.equal(run.stdout.trim(), '84');
  assert.equal(run.status, 0);
});

test('with S2S_BUNDLE_DIR, a worker runs the bundle of its task module where the test run built one, and the module itself where it did not', async () => {
  const bundles = mkdtempSync(join(tmpdir(), 's2s-bundles-'));
  const before = process.env.S2S_BUNDLE_DIR;
  // A bundle at the place scripts/run-tests.js puts test/fixtures/workers/tasks.ts's, answering otherwise.
  mkdirSync(join(bundles, 'test', 'fixtures', 'workers'), { recursive: true });
  writeFileSync(
    join(bundles, 'test', 'fixtures', 'workers', 'tasks.mjs'),
    'export function handle(task) { return { bundled: task.value }; }\n',
  );
  process.env.S2S_BUNDLE_DIR = bundles;
  try {
    const workers = pool({ size: 1 });
    try {
      assert.deepEqual(await workers.run({ kind: 'double', value: 21 }), { bundled: 21 });
    } finally {
      await workers.close();
    }
    rmSync(join(bundles, 'test'), { recursive: true });
    const unbundled = pool({ size: 1 });
    try {
      assert.equal(await unbundled.run({ kind: 'double', value: 21 }), 42, 'the module itself, through tsx');
    } finally {
      await unbundled.close();
    }
  } finally {
    if (before === undefined) delete process.env.S2S_BUNDLE_DIR;
    else process.env.S2S_BUNDLE_DIR = before;
    rmSync(bundles, { recursive: true, force: true });
  }
});
