// Folders s2s creates for its data (the file store, the SQLite database's, the master key's), with any
// missing above them: each made on its own, from the nearest that exists down, for s2s's user alone.
// Not Node's mkdir(path, { recursive: true }): where a file system refuses a new folder with ENOENT
// although its parent exists (/proc), libuv makes the parent again and retries, for ever, at full CPU,
// so a FILE_STORE_DIR under /proc hung `s2s serve` and every command. Here the first refusal is thrown,
// for the caller to say what is wrong (unwritable.ts). A path that exists is left as it is, whatever it is.
import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { PRIVATE_FOLDER_MODE } from './file-modes.ts';

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Whether a path `stat` failed on is to be taken as there: not when missing, or when a file is in its way
 * (its mkdir then says so); any other refusal is left for what uses the path to meet and say.
 */
function answered(error: unknown): boolean {
  const code = codeOf(error);
  return code !== 'ENOENT' && code !== 'ENOTDIR';
}

/** A folder made meanwhile (by another process) is as good as one made here. */
function madeMeanwhile(error: unknown): void {
  if (codeOf(error) !== 'EEXIST') throw error;
}

/** Creates the folder `path` and those missing above it, for s2s's user alone. */
export async function makePrivateFolders(path: string): Promise<void> {
  const missing: string[] = [];
  for (let at = resolve(path); dirname(at) !== at; at = dirname(at)) {
    const there = await stat(at).then(() => true, answered);
    if (there) break;
    missing.unshift(at);
  }
  for (const folder of missing) await mkdir(folder, { mode: PRIVATE_FOLDER_MODE }).catch(madeMeanwhile);
}

/** makePrivateFolders, for the start-up code that cannot wait (opening the database, the master key). */
export function makePrivateFoldersSync(path: string): void {
  const missing: string[] = [];
  for (let at = resolve(path); dirname(at) !== at; at = dirname(at)) {
    try {
      statSync(at);
      break;
    } catch (error) {
      if (answered(error)) break;
    }
    missing.unshift(at);
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder, { mode: PRIVATE_FOLDER_MODE });
    } catch (error) {
      madeMeanwhile(error);
    }
  }
}
