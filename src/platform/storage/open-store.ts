// The file store the configuration selects (FILE_STORE): for the service (deps.ts) and for backup and
// restore (backup/cli.ts) alike.
import type { FileStoreConfig } from '../../config.ts';
import { DiskFileStore, type FileStore, FileStoreUnusable } from './file-store.ts';

export async function openFileStore(config: FileStoreConfig): Promise<FileStore> {
  if (config.kind === 'disk') return new DiskFileStore(config.directory);
  // Loaded only when chosen: the AWS SDK takes a while to load, and the disk store needs none of it.
  const { S3FileStore } = await import('./s3-store.ts');
  return new S3FileStore(config);
}

/**
 * The configured store, for a command that will write to it (`serve`, `restore`), checked first: one it
 * cannot write is refused (FileStoreUnusable, saying what to do) before the command changes anything,
 * where the service started and then failed every upload. A full disk is refused too, unless `onFull`
 * takes it: files can still be read and deleted there, which frees space.
 */
export async function openFileStoreForWriting(
  config: FileStoreConfig,
  onFull?: (problem: FileStoreUnusable) => void,
): Promise<FileStore> {
  const store = await openFileStore(config);
  try {
    await store.checkWritable();
  } catch (error) {
    if (!(error instanceof FileStoreUnusable && error.full && onFull)) throw error;
    onFull(error);
  }
  return store;
}
