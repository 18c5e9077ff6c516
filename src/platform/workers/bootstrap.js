// The first code a pool worker runs (./pool.ts). Plain JavaScript, because nothing can load TypeScript
// until tsx is registered in this thread: a worker does not inherit the loader hooks of the thread that
// started it, whether tsx was registered with `node --import tsx` (the tests) or by bin/s2s.js (`serve`).
// Then it loads the task module and answers each message with what the module's `handle` returns.
import { parentPort, workerData } from 'node:worker_threads';

const moduleUrl = String(workerData.module);
if (moduleUrl.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
const { handle, transferList } = await import(moduleUrl);
if (typeof handle !== 'function') throw new Error(`${moduleUrl} does not export a handle function`);

// Ready: the pool starts timing tasks from here, so a slow start-up is not taken for a slow task.
parentPort.postMessage({ ready: true });

parentPort.on('message', async (input) => {
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
});
