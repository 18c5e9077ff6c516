// The file store the configuration selects (FILE_STORE): for the service (deps.ts) and for backup and
// restore (backup/cli.ts) alike.
import type { FileStoreConfig } from '../../config.ts';
import { DiskFileStore, type FileStore } from './file-store.ts';

export async function openFileStore(config: FileStoreConfig): Promise<FileStore> {
  if (config.kind === 'disk') return new DiskFileStore(config.directory);
  // Loaded only when chosen: the AWS SDK takes a while to load, and the disk store needs none of it.
  const { S3FileStore } = await import('./s3-store.ts');
  return new S3FileStore(config);
}
