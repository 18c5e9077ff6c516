// Why s2s cannot write (or read) a folder or file of its own (the file store's folder, the SQLite
// database, the master key file), in words an operator can act on: the path, the setting that names it,
// the cause (a file in the path, permission for the user s2s runs as, a read-only disk, a full one) and
// what to do. Asked once something failed, so it may take its time: it looks at the file system itself,
// as SQLite's errors carry no errno.
import { accessSync, constants, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';

/** A folder or file s2s keeps, as the operator configured it. */
export interface Place {
  /** How the message names it: "The file store folder", "The SQLite database". */
  what: string;
  path: string;
  /** A folder s2s writes files in, or a file it reads (`read`) or reads and writes. */
  kind: 'folder' | 'file';
  access?: 'read' | 'write';
  /** The setting that names it: FILE_STORE_DIR. */
  setting: string;
  /** What cannot happen while it cannot be written: "no file can be stored". */
  loss: string;
  /** The other way out, after "or": "set FILE_STORE_DIR to a folder s2s can write". */
  otherwise: string;
}

/** A folder or file s2s cannot use as configured: the message says what is wrong and what to do. */
export class Unwritable extends Error {
  /**
   * The disk is full: nothing can be written, but what is there can still be read and deleted (which
   * frees space), so a service may start and say so rather than stop.
   */
  readonly full: boolean;

  constructor(message: string, full = false) {
    super(message);
    this.full = full;
  }
}

/** The account s2s runs as, as an operator would name it in chown. */
function processUser(): { name: string; described: string } {
  const uid = process.getuid?.();
  try {
    const { username } = userInfo();
    return {
      name: username,
      described: `the user s2s runs as (${username}${uid === undefined ? '' : `, uid ${uid}`})`,
    };
  } catch {
    // A container's uid may have no name.
    return { name: String(uid), described: `the user s2s runs as (uid ${uid})` };
  }
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? '';
}

/** The code `access` answers for `path` (EACCES, EROFS...), or undefined when it allows `mode`. */
function refusal(path: string, mode: number): string | undefined {
  try {
    accessSync(path, mode);
    return undefined;
  } catch (error) {
    return codeOf(error);
  }
}

/**
 * The nearest folder (or file) of `path`'s that exists, with whether it is a folder; `closed` when
 * it is a folder s2s's user may not open (stat of what is in it is refused).
 */
function nearestExisting(path: string): { path: string; folder: boolean; closed: boolean } {
  // Refused a stat below it: the first folder that answers is the one s2s's user may not open.
  let closed = false;
  for (let at = path; ; at = dirname(at)) {
    try {
      return { path: at, folder: statSync(at).isDirectory(), closed };
    } catch (error) {
      const code = codeOf(error);
      if (code === 'EACCES') closed = true;
      else if (code !== 'ENOENT' && code !== 'ENOTDIR') return { path: at, folder: true, closed };
      if (dirname(at) === at) return { path: at, folder: true, closed };
    }
  }
}

/** What `error`, met writing (or reading) `place`, means for the operator, and what to do. */
export function unwritable(place: Place, error: unknown): Unwritable {
  // SQLite says a full disk in its own words.
  let code = codeOf(error) === 'SQLITE_FULL' ? 'ENOSPC' : codeOf(error);
  const writes = place.access !== 'read';
  const subject = `${place.what} ${place.path} (${place.setting})`;
  const folder = place.kind === 'folder' ? place.path : dirname(place.path);
  const folderSubject =
    place.kind === 'folder' ? subject : `${place.what}'s folder ${folder} (${place.setting})`;
  const elsewhere = `or ${place.otherwise}`;
  const user = processUser();
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new Unwritable(
      `${subject} is on a full disk${code === 'EDQUOT' ? ` (${user.described} has used up its quota)` : ''}: ` +
        `${place.loss} until space is freed. Free space on that disk, or give it more.`,
      true,
    );
  }
  const found = nearestExisting(place.path);
  if (found.closed) {
    return new Unwritable(
      `${subject} cannot be reached: ${user.described} may not open the folder ${found.path}. ` +
        `Give that user access to ${found.path}, ${elsewhere}.`,
    );
  }
  if (found.path !== folder && found.path !== place.path) {
    const missing = `${folderSubject} does not exist and cannot be created`;
    const otherwise = `${place.otherwise.charAt(0).toUpperCase()}${place.otherwise.slice(1)}`;
    if (!found.folder) {
      return new Unwritable(`${missing}: ${found.path} is a file, not a folder. ${otherwise}.`);
    }
    // A recursive mkdir answers ENOENT for a read-only disk: asked for the first missing folder alone,
    // the disk says why.
    const first = join(found.path, relative(found.path, folder).split(sep)[0] ?? '');
    try {
      mkdirSync(first);
      rmdirSync(first);
    } catch (cause) {
      code = codeOf(cause) || code;
    }
    if (code === 'EACCES' || code === 'EPERM') {
      return new Unwritable(
        `${missing}: ${user.described} may not create folders in ${found.path}. ` +
          `Create it for that user (mkdir -m 700 ${folder}; chown ${user.name} ${folder}), ${elsewhere}.`,
      );
    }
    if (code === 'EROFS') {
      return new Unwritable(
        `${missing}: ${found.path} is on a read-only file system. Mount it read-write, ${elsewhere}.`,
      );
    }
    // Its parent is there, yet a folder made in it is not (ENOENT): the kernel's own folders (/proc).
    if (code === 'ENOENT') {
      return new Unwritable(`${missing}: ${found.path} takes no new folders. ${otherwise}.`);
    }
  } else if (found.path === folder && !found.folder) {
    return new Unwritable(`${folderSubject} is a file, not a folder. Move it away, ${elsewhere}.`);
  } else {
    // The folder is there: s2s writes in it (SQLite its -wal and -shm files beside the database).
    const folderCode = writes
      ? (refusal(folder, constants.W_OK | constants.X_OK) ?? (place.kind === 'folder' ? code : undefined))
      : undefined;
    if (folderCode === 'EACCES' || folderCode === 'EPERM') {
      return new Unwritable(
        `${folderSubject} is not writable by ${user.described}: permission denied. ` +
          `Give that user the folder (chown ${user.name} ${folder}; chmod 700 ${folder}), ${elsewhere}.`,
      );
    }
    if (folderCode === 'EROFS') {
      return new Unwritable(
        `${folderSubject} is on a read-only file system: ${place.loss}. Mount it read-write, ${elsewhere}.`,
      );
    }
    if (place.kind === 'file' && found.path === place.path) {
      if (found.folder)
        return new Unwritable(`${subject} is a folder, not a file. Move it away, ${elsewhere}.`);
      const fileCode = refusal(place.path, writes ? constants.R_OK | constants.W_OK : constants.R_OK);
      if (fileCode === 'EACCES' || fileCode === 'EPERM') {
        return new Unwritable(
          `${subject} is not ${writes ? 'readable and writable' : 'readable'} by ${user.described}: permission denied. ` +
            `Give that user the file (chown ${user.name} ${place.path}; chmod 600 ${place.path}), ${elsewhere}.`,
        );
      }
      if (fileCode === 'EROFS') {
        return new Unwritable(
          `${subject} is on a read-only file system: ${place.loss}. Mount it read-write, ${elsewhere}.`,
        );
      }
    }
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new Unwritable(
    `${subject} cannot be ${writes ? 'written' : 'read'}: ${reason}. Check the ${place.kind} and its disk, ${elsewhere}.`,
  );
}
