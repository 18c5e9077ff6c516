// The first code a pool worker runs (./pool.ts). Plain JavaScript, because nothing can load TypeScript
// until tsx is registered in this thread: a worker does not inherit the loader hooks of the thread that
// started it, whether tsx was registered with `node --import tsx` (the tests) or by bin/s2s.js (`serve`).
// Then it loads the task module and answers each message with what the module's `handle` returns.
import { existsSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

// Lower this thread's priority (from the one it started with, its parent's), not the process's: on Linux
// a thread has its own. Elsewhere the call would lower the whole process, so it is left alone; and a
// system that refuses it only loses the gain.
if (process.platform === 'linux') {
  try {
    setPriority(Math.min(19, getPriority() + workerData.niceness));
  } catch {
    // Runs at the usual priority.
  }
}

/**
 * The test run's bundle of a task module of the project, when there is one (S2S_BUNDLE_DIR, as bin/s2s.js
 * reads it; scripts/run-tests.js builds it): it loads without tsx's loader hooks, which cost each worker
 * started about half a CPU-second, and the tests start a worker for every app that reads an upload.
 */
function bundled(url) {
  const bundles = process.env.S2S_BUNDLE_DIR;
  if (!bundles || !url.startsWith('file:')) return undefined;
  const project = fileURLToPath(new URL('../../../', import.meta.url));
  const path = join(bundles, relative(project, fileURLToPath(url)).replace(/\.ts$/, '.mjs'));
  return existsSync(path) ? pathToFileURL(path).href : undefined;
}

const moduleUrl = bundled(String(workerData.module)) ?? String(workerData.module);
if (moduleUrl.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
const { handle, transferList } = await import(moduleUrl);
if (typeof handle !== 'function') throw new Error(`${moduleUrl} does not export a handle function`);

// Ready: the pool starts timing tasks from here, so a slow start-up is not taken for a slow task.
parentPort.postMessage({ ready: true });

/** Answers one task: its output, or the name and message of what it threw. */
async function answer(input) {
  let reply;
  // What the module's `transferList(output)`, if it has one, says to move back rather than copy.
  let transfer = [];
  try {
    const output = await handle(input);
    if (typeof transferList === 'function') transfer = transferList(output);
    reply = { ok: true, output };
  } catch (error) {
    // Only the name and message cross back: a stack or other properties could carry what was read.
    reply = {
      ok: false,
      name: error instanceof Error ? error.name : 'Error',
      message: error instanceof Error ? error.message : String(error),
    };
  }
  parentPort.postMessage(reply, transfer);
}

// One task at a time, in the order they came: the pool hands a worker its next task while it runs one,
// and reads the answers in that order.
let previous = Promise.resolve();
parentPort.on('message', (input) => {
  previous = previous.then(() => answer(input));
});
