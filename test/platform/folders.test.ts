// The folders s2s makes for its data, with those missing above them (src/platform/folders.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makePrivateFolders, makePrivateFoldersSync } from '../../src/platform/folders.ts';

const NO_PROC = existsSync('/proc') ? false : 'this system has no /proc';

for (const [name, make] of [
  ['makePrivateFolders', makePrivateFolders],
  ['makePrivateFoldersSync', async (path: string) => makePrivateFoldersSync(path)],
] as const) {
  test(`${name} makes each missing folder for the owner alone, and leaves what is there`, async () => {
    const umask = process.umask(0o022);
    try {
      const top = mkdtempSync(join(tmpdir(), 's2s-folders-'));
      const deepest = join(top, 'a', 'b', 'c');
      await make(deepest);
      for (const folder of [join(top, 'a'), join(top, 'a', 'b'), deepest]) {
        assert.equal(statSync(folder).mode & 0o777, 0o700, folder);
      }
      await make(deepest);
      await make(top);
      assert.equal(statSync(top).mode & 0o777, 0o700);
      // A file in the way is refused by the first folder to be made below it.
      const file = join(top, 'a-file');
      writeFileSync(file, 'x');
      await assert.rejects(make(join(file, 'below')), { code: 'ENOTDIR' });
    } finally {
      process.umask(umask);
    }
  });

  // Node's mkdir(path, { recursive: true }) never returns here: /proc answers ENOENT for a new folder,
  // and libuv makes /proc again and retries, for ever.
  test(`${name} refuses a folder under /proc at once`, { skip: NO_PROC }, async () => {
    const path = join('/proc', `s2s-folders-${process.pid}`, 'data');
    await assert.rejects(make(path), { code: 'ENOENT', path: join('/proc', `s2s-folders-${process.pid}`) });
  });
}
