// Sorting more lines than are held at once (src/backup/sorted.ts): runs sorted in memory and written to
// a folder, then merged. The result is the same as sorting them all in memory, whatever the run size.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sortedLines } from '../../src/backup/sorted.ts';

const root = mkdtempSync(join(tmpdir(), 's2s-sorted-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function* from(lines: string[]): AsyncGenerator<string> {
  yield* lines;
}

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

const keyOf = (line: string) => (JSON.parse(line) as { path: string }).path;
const byKey = (a: string, b: string) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0);

test('lines are sorted by their keys, in runs merged, the same as all at once', async () => {
  const lines = Array.from({ length: 100 }, (_, n) =>
    JSON.stringify({ path: `files/${randomBytes(4).toString('hex')}`, n }),
  );
  for (const runSize of [1, 3, 7, 100, 1000]) {
    const runDir = join(root, `runs-${runSize}`);
    const sorted = await collect(sortedLines(from(['', ...lines, '']), keyOf, runDir, runSize));
    assert.deepEqual(sorted, [...lines].sort(byKey), `runs of ${runSize}`);
    // Fewer lines than a run never touch the disk; more are written in runs of runSize.
    assert.equal(
      existsSync(runDir) ? readdirSync(runDir).length : 0,
      runSize > 100 ? 0 : Math.ceil(100 / runSize),
    );
  }
});

test('a reader that stops early closes the runs it was merging', async () => {
  const runDir = join(root, 'early');
  const lines = sortedLines(from(['c', 'a', 'b', 'e', 'd']), (line) => line, runDir, 2);
  assert.deepEqual((await lines.next()).value, 'a');
  await lines.return(undefined);
  rmSync(runDir, { recursive: true });
  assert.equal(existsSync(runDir), false);
});
