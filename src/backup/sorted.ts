// Lines sorted without holding them all: a backup's list of its stored files, the names in its files/
// folder (format.ts). Runs of `runSize` lines are sorted in memory and written to files in `runDir`, then
// merged, one line of each run held at a time; fewer lines than a run never touch the disk. Keys compare
// as JavaScript strings do (by UTF-16 code unit), the order a restore checks a backup's list in.
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { linesOf } from './format.ts';

/** Lines sorted in memory at a time: a few MB of a backup's list. */
export const RUN_SIZE = 10_000;
/** Bytes read ahead from each run while merging (a million stored files make 100 runs). */
const READ_AHEAD = 16 * 1024;

type Keyed = [key: string, line: string];

const byKey = (a: Keyed, b: Keyed) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** The non-empty lines of a file, each with its key. */
async function* runOf(path: string, keyOf: (line: string) => string): AsyncGenerator<Keyed> {
  const text = createReadStream(path, { encoding: 'utf8', highWaterMark: READ_AHEAD });
  for await (const line of linesOf(text)) if (line !== '') yield [keyOf(line), line];
}

/** The non-empty lines, sorted by `keyOf`; runs written to `runDir` (made if needed; the caller removes it). */
export async function* sortedLines(
  lines: AsyncIterable<string>,
  keyOf: (line: string) => string,
  runDir: string,
  runSize = RUN_SIZE,
): AsyncGenerator<string> {
  const runs: string[] = [];
  let run: Keyed[] = [];
  const spill = async () => {
    run.sort(byKey);
    if (runs.length === 0) await mkdir(runDir, { recursive: true, mode: 0o700 });
    const path = join(runDir, `run-${runs.length}`);
    await writeFile(path, run.map(([, line]) => `${line}\n`).join(''), { flag: 'wx', mode: 0o600 });
    runs.push(path);
    run = [];
  };
  for await (const line of lines) {
    if (line === '') continue;
    run.push([keyOf(line), line]);
    if (run.length >= runSize) await spill();
  }
  if (runs.length === 0) {
    run.sort(byKey);
    for (const [, line] of run) yield line;
    return;
  }
  if (run.length > 0) await spill();
  const readers = runs.map((path) => runOf(path, keyOf));
  try {
    const heads = await Promise.all(
      readers.map(async (reader) => (await reader.next()).value as Keyed | undefined),
    );
    for (;;) {
      let least = -1;
      for (let at = 0; at < heads.length; at += 1) {
        const head = heads[at];
        if (head && (least < 0 || byKey(head, heads[least] as Keyed) < 0)) least = at;
      }
      if (least < 0) return;
      yield (heads[least] as Keyed)[1];
      heads[least] = (await (readers[least] as AsyncGenerator<Keyed>).next()).value as Keyed | undefined;
    }
  } finally {
    for (const reader of readers) await reader.return(undefined);
  }
}
