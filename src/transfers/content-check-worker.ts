// The tasks a content-check worker runs (see ./content-check-pool.ts): the same checks as in the main
// thread, so every reason, warning and finding reads exactly the same. An upload's content, a census
// return loaded into COLLECT (its reading and its rules), a page of a stored return's pupils, or a stored
// return's summary.
import {
  type CensusCheck,
  type CensusCheckInput,
  type CensusPupilsInput,
  type CensusPupilsPage,
  type CensusSummaryInput,
  censusPupilsPage,
  censusSummary,
  checkCensusReturn,
} from '../collect/census-check.ts';
import type { ReturnSummary } from '../collect/census-summary.ts';
import { type ContentCheck, checkContent } from './content-checks.ts';
import type { ClassifiedFilename } from './filenames.ts';

export type ContentCheckTask =
  | {
      kind: 'upload';
      file: ClassifiedFilename;
      /** The file's bytes: shared with the thread that sent them, a copy, or moved here. */
      data: Uint8Array;
    }
  | ({ kind: 'census-return' } & CensusCheckInput)
  | ({ kind: 'census-pupils' } & CensusPupilsInput)
  | ({ kind: 'census-summary' } & CensusSummaryInput);

/** An upload's check with its bytes, sent back (moved, as they came: see transferList). */
export interface ReturnedBytes {
  check: ContentCheck;
  data: Uint8Array;
}

export type ContentCheckResult = ReturnedBytes | CensusCheck | CensusPupilsPage | ReturnSummary;

export async function handle(task: ContentCheckTask): Promise<ContentCheckResult> {
  if (task.kind === 'census-return') return checkCensusReturn(task);
  if (task.kind === 'census-pupils') return censusPupilsPage(task);
  if (task.kind === 'census-summary') return censusSummary(task);
  const { data } = task;
  const check = await checkContent(task.file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return { check, data };
}

/** Bytes going back are moved, not copied (bytes in shared memory are where they were all along). */
export function transferList(result: ContentCheckResult): ArrayBuffer[] {
  if (!('check' in result) || !('data' in result)) return [];
  const { buffer } = result.data;
  return buffer instanceof ArrayBuffer ? [buffer] : [];
}
