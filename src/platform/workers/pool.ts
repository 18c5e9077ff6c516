// A small pool of worker threads for CPU-bound work (reading uploaded files), so the event loop stays free
// for other requests and the machine's other cores are used. Generic: it knows nothing of what its tasks
// do, nor of HTTP.
//
// - A task module (a .ts file is fine: see ./bootstrap.js) exports `handle(input)`, returning its output
//   or a promise of it. Inputs and outputs are copied between threads (structured clone), apart from
//   what the caller lists to transfer, and what the module's optional `transferList(output)` lists.
// - Workers start when first needed, up to `size`, and are kept; an idle worker does not keep the
//   process alive, so a pool nobody closes does not stop the process from exiting.
// - A worker is handed its next task while it runs one (up to TASKS_PER_WORKER in all), and runs them
//   one at a time: it starts the next as soon as it answers, rather than idling until this thread, busy
//   with other requests, reads the answer and sends another (40% of the worker's time in the
//   mixed-traffic benchmark). A task handed ahead counts as running, not waiting.
// - Workers run at a lower priority than the thread that started them (WORKER_NICENESS, on Linux): when
//   the cores are all busy, answering requests comes first and the workers take what is left.
// - At most `maxQueue` tasks wait for a worker, and, when `maxQueuedBytes` is set, at most that many
//   bytes of input (as each caller counts its task's); past either, run() rejects at once with PoolBusy
//   rather than hold ever more work (and the memory of its inputs). A task larger than the byte bound
//   still waits when it would be alone in the queue.
// - What a task throws comes back as a WorkerTaskFailed (its name and message only). A worker that dies
//   (an uncaught error, its heap limit, a task past `taskTimeoutMs`) fails the task it was running with
//   WorkerExited and is replaced for the tasks that follow; a task handed ahead that it had not started
//   goes back to the front of the queue. A task is never retried: a file that kills one worker would
//   kill the next.
// - close() stops every worker; tasks queued or running then reject with PoolClosed.
import { fileURLToPath } from 'node:url';
import { type ResourceLimits, type TransferListItem, Worker } from 'node:worker_threads';

export interface WorkerPoolOptions {
  /** The module each worker runs (file: URL); it exports `handle(input)`. */
  module: URL;
  /** Workers at most. */
  size: number;
  /** Tasks waiting for a worker at most. */
  maxQueue: number;
  /** Bytes of the waiting tasks' inputs at most (the sizes given to run()). */
  maxQueuedBytes?: number;
  /** A task running longer than this ends its worker (none when absent). */
  taskTimeoutMs?: number;
  /** Heap limits of each worker: a task that needs more ends its worker, not the process. */
  resourceLimits?: ResourceLimits;
  /** Names the workers' threads (seen in debuggers and heap snapshots). */
  name?: string;
}

/** The task threw: its error's name and message (never its stack or other properties). */
export class WorkerTaskFailed extends Error {
  constructor(
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

/** The worker running the task stopped before answering. */
export class WorkerExited extends Error {}

/** Too many tasks are waiting: try again later. */
export class PoolBusy extends Error {}

/** How long a client is told to wait (Retry-After) when a pool is busy: its backlog is read in about that. */
export const BUSY_RETRY_SECONDS = 60;

/** The pool was closed before the task ran or finished. */
export class PoolClosed extends Error {}

interface Task {
  input: unknown;
  transfer: readonly TransferListItem[];
  bytes: number;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  /** The task module is loaded (tasks posted before then wait in the worker's port). */
  ready: boolean;
  /** The tasks handed to the worker, in order: the first is the one it runs, the others wait there. */
  tasks: Task[];
  /** The time limit of the task it runs. */
  timer: NodeJS.Timeout | null;
  /** The worker's uncaught error, reported before it exits. */
  error: Error | null;
}

type Reply = { ready: true } | { ok: true; output: unknown } | { ok: false; name: string; message: string };

const BOOTSTRAP = fileURLToPath(new URL('./bootstrap.js', import.meta.url));

/** Tasks a worker holds at most: the one it runs and the one it starts next. */
export const TASKS_PER_WORKER = 2;

/** How much lower the workers' threads run (a nice value: 0 is the usual, 19 the lowest). */
export const WORKER_NICENESS = 10;

export class WorkerPool<In, Out> {
  private readonly slots = new Set<Slot>();
  private readonly queue: Task[] = [];
  /** The bytes of the tasks in the queue. */
  private queuedBytes = 0;
  private closed = false;
  /** Workers started over the pool's life (the first ones and every replacement). */
  private started = 0;

  constructor(private readonly options: WorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new Error('A pool needs at least 1 worker');
    if (!Number.isInteger(options.maxQueue) || options.maxQueue < 0)
      throw new Error('maxQueue must be a whole number');
  }

  /**
   * Runs one task on a worker. `transfer` lists what to move to the worker rather than copy; `bytes` is
   * the size of the input, counted against `maxQueuedBytes` while the task waits.
   */
  run(input: In, transfer: readonly TransferListItem[] = [], bytes = 0): Promise<Out> {
    if (this.closed) return Promise.reject(new PoolClosed('The worker pool is closed'));
    if (!this.slotWithRoom() && this.slots.size >= this.options.size) {
      const { maxQueue, maxQueuedBytes } = this.options;
      if (this.queue.length >= maxQueue) {
        return Promise.reject(new PoolBusy(`${this.queue.length} tasks are already waiting for a worker`));
      }
      if (
        maxQueuedBytes !== undefined &&
        this.queue.length > 0 &&
        this.queuedBytes + bytes > maxQueuedBytes
      ) {
        return Promise.reject(
          new PoolBusy(
            `${this.queuedBytes} bytes of ${this.queue.length} tasks are already waiting for a worker`,
          ),
        );
      }
    }
    return new Promise<Out>((resolve, reject) => {
      const task: Task = { input, transfer, bytes, resolve: resolve as (output: unknown) => void, reject };
      this.queue.push(task);
      this.queuedBytes += bytes;
      this.dispatch();
    });
  }

  /** Workers running now, tasks running and tasks waiting; and workers started so far. */
  stats(): { workers: number; running: number; queued: number; queuedBytes: number; started: number } {
    let running = 0;
    for (const slot of this.slots) running += slot.tasks.length;
    return {
      workers: this.slots.size,
      running,
      queued: this.queue.length,
      queuedBytes: this.queuedBytes,
      started: this.started,
    };
  }

  /** Stops every worker. Tasks not yet answered reject with PoolClosed. Safe to call more than once. */
  async close(): Promise<void> {
    this.closed = true;
    this.queuedBytes = 0;
    for (const task of this.queue.splice(0)) task.reject(new PoolClosed('The worker pool was closed'));
    const stopping: Promise<number>[] = [];
    for (const slot of [...this.slots]) {
      this.finish(slot);
      for (const task of slot.tasks.splice(0)) {
        task.reject(new PoolClosed('The worker pool was closed before the task finished'));
      }
      stopping.push(slot.worker.terminate());
    }
    this.slots.clear();
    await Promise.all(stopping);
  }

  /** The worker with the fewest tasks, if it can take another. */
  private slotWithRoom(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.slots) {
      if (slot.tasks.length < (best?.tasks.length ?? TASKS_PER_WORKER)) best = slot;
    }
    return best;
  }

  /**
   * Gives waiting tasks to workers: an idle one first, then a new one while there are fewer than `size`,
   * then one that is running a task.
   */
  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      let slot = this.slotWithRoom();
      if (slot?.tasks.length !== 0 && this.slots.size < this.options.size) slot = this.spawn();
      if (slot === undefined) return;
      const task = this.queue.shift() as Task;
      this.queuedBytes -= task.bytes;
      slot.tasks.push(task);
      slot.worker.ref();
      if (slot.ready && slot.tasks.length === 1) this.startTimer(slot);
      try {
        slot.worker.postMessage(task.input, task.transfer);
      } catch (error) {
        // The input cannot be sent (a function in it, say): the task fails, the worker stays.
        slot.tasks.pop();
        if (slot.tasks.length === 0) {
          this.finish(slot);
          slot.worker.unref();
        }
        task.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  /** The worker answered the task it ran: it is already running the next one it holds, if any. */
  private answered(slot: Slot): Task | undefined {
    this.finish(slot);
    const task = slot.tasks.shift();
    if (slot.tasks.length > 0) this.startTimer(slot);
    else slot.worker.unref();
    return task;
  }

  private spawn(): Slot {
    const worker = new Worker(BOOTSTRAP, {
      workerData: { module: this.options.module.href, niceness: WORKER_NICENESS },
      resourceLimits: this.options.resourceLimits,
      name: this.options.name,
    });
    this.started += 1;
    const slot: Slot = { worker, ready: false, tasks: [], timer: null, error: null };
    this.slots.add(slot);
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) {
        slot.ready = true;
        if (slot.tasks.length > 0) this.startTimer(slot);
        return;
      }
      const task = this.answered(slot);
      if (!task) return;
      if (reply.ok) task.resolve(reply.output);
      else task.reject(new WorkerTaskFailed(reply.name, reply.message));
      this.dispatch();
    });
    worker.on('messageerror', (error) => {
      // The answer could not be read: the task fails; the worker itself is fine.
      const task = this.answered(slot);
      if (!task) return;
      task.reject(error);
      this.dispatch();
    });
    worker.on('error', (error) => {
      slot.error ??= error;
    });
    worker.on('exit', (code) => {
      this.finish(slot);
      this.slots.delete(slot);
      const [task, ...notStarted] = slot.tasks.splice(0);
      // Handed ahead, never started: they wait again, first in line (their bytes are counted again).
      this.queue.unshift(...notStarted);
      for (const waiting of notStarted) this.queuedBytes += waiting.bytes;
      if (task) {
        const why = slot.error?.message ?? `it exited with code ${code}`;
        task.reject(
          slot.error instanceof WorkerExited
            ? slot.error
            : new WorkerExited(`The worker running the task stopped: ${why}`),
        );
      }
      // A replacement starts if tasks are waiting (and later ones start their own).
      this.dispatch();
    });
    return slot;
  }

  /** Times the slot's task, when the pool has a time limit. */
  private startTimer(slot: Slot): void {
    const limit = this.options.taskTimeoutMs;
    if (limit === undefined) return;
    slot.timer = setTimeout(() => {
      slot.error = new WorkerExited(`The task took longer than ${limit} ms`);
      void slot.worker.terminate();
    }, limit);
  }

  private finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
  }
}
