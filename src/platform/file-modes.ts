// Secrets and pupils' records on disk are for the account s2s runs as alone.

/** The mode of a folder s2s creates for its data (the database, stored files, the master key). */
export const PRIVATE_FOLDER_MODE = 0o700;
/** The mode of a file s2s creates for its data. */
export const PRIVATE_FILE_MODE = 0o600;

/** Whether a file's mode lets other users (its group, or anyone) at it. Windows has no such modes. */
export function openToOthers(mode: number): boolean {
  return process.platform !== 'win32' && (mode & 0o077) !== 0;
}
