// The tasks a content-check worker runs (see ./content-check-pool.ts): the same checks as in the main
// thread, so every reason, warning and finding reads exactly the same. An upload's content, or a census
// return loaded into COLLECT (its reading and its rules).
import { type CensusCheck, type CensusCheckInput, checkCensusReturn } from '../collect/census-check.ts';
import { type ContentCheck, checkContent } from './content-checks.ts';
import type { ClassifiedFilename } from './filenames.ts';

export type ContentCheckTask =
  | {
      kind: 'upload';
      file: ClassifiedFilename;
      /** The file's bytes: shared with the thread that sent them, or a copy. */
      data: Uint8Array;
    }
  | ({ kind: 'census-return' } & CensusCheckInput);

export function handle(task: ContentCheckTask): Promise<ContentCheck | CensusCheck> {
  if (task.kind === 'census-return') return checkCensusReturn(task);
  const { data } = task;
  return checkContent(task.file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}
