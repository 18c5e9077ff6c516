// The task a content-check worker runs (see ./content-check-pool.ts): the same checks as in the main
// thread, so every reason and warning reads exactly the same.
import { type ContentCheck, checkContent } from './content-checks.ts';
import type { ClassifiedFilename } from './filenames.ts';

export interface ContentCheckTask {
  file: ClassifiedFilename;
  /** The file's bytes: shared with the thread that sent them, or a copy moved to this thread. */
  data: Uint8Array;
}

export function handle(task: ContentCheckTask): Promise<ContentCheck> {
  const { data } = task;
  return checkContent(task.file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}
