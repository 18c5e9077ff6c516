// Scheduled jobs of the transfers feature. `s2s jobs run purge-files` (jobs-cli.ts) runs
// purgeExpiredContent; operators schedule it (hourly is plenty; it is safe to run at any time and to run
// twice at once).
//
// Retention of a file's content, and with it of its pupils' details (markPurged; the metadata, with the
// number of pupils, always stays, for reports and the audit log):
// - collected: 7 days after its last download (schools handbook §4: "Files will be available to
//   redownload for seven days after last being downloaded"); each re-download restarts the 7 days. Its
//   recipient's "Yes, it was downloaded correctly", however long after the download, does not: the file
//   can no longer be downloaded again 7 days after the download (download-service.ts), so its content
//   and pupils' details go then. A file that was forwarded (a copy names it in forwarded_from) is kept 7
//   days from the later of its last download and its collection: an LA's own file the forward collected
//   (forward-service.ts), and a lost pupil's file collected when the school collected its copy, which the
//   record offers for download until then (decision 38).
// - rejected: 7 days after the rejection. Nobody can download a rejected file (the recipient refused
//   it, and the sender has its own copy, made by its MIS), so the content is only kept for a short
//   grace period, the same as the re-download window, in case the LA or the service desk is asked to
//   look into the rejection. Not 31 days: pupil data is not kept longer than it serves a purpose.
// - removed: at once. The sender's removal deletes the content itself (sent-service.ts); the job only
//   finishes removals that failed before they recorded it (the database was unreachable, the process
//   stopped).
// - quarantined (malware found by the scan, scan-service.ts): at once, likewise; the job finishes
//   those that failed before they recorded it.
// - available: never, while it waits to be collected (weekly reminders chase it); nor pending-scan.
//
// Order: first the keys are forgotten and purged_at set, with a 'file-purged' audit record, in one
// transaction and only while the row is still due (markPurged), then the content is deleted. So a
// download again recorded at the end of the 7 days, after the job found the file due, keeps its content
// (the job's record finds the file no longer due), and a download is recorded only while its row still
// names the content it opened (recordDownload): one of the two is recorded, never both. A deletion that
// fails after the record (the store unreachable, the process stopped) leaves ciphertext whose key is
// forgotten and that no row names: the daily sweep of unreferenced files (sweepOrphanFiles) deletes it.
// A download or forward that read the row a moment before, and finds its content gone, reads the row
// again and says why (contentLostSince; download-service.ts, forward-service.ts, lost-pupils/service.ts).
import { recordAudit } from '../audit/repository.ts';
import type { Clock } from '../platform/clock.ts';
import { daysAfter, daysBefore } from '../platform/dates.ts';
import type { Db, TransferRow } from '../platform/db/schema.ts';
import type { Logger } from '../platform/logger.ts';
import type { EncryptedFileStore } from '../platform/storage/encrypted-store.ts';
import type { FileStore } from '../platform/storage/file-store.ts';
import { REDOWNLOAD_DAYS } from './download-listing.ts';
import {
  markPurged,
  type PurgeCandidate,
  type PurgeCutoffs,
  purgeCandidates,
} from './download-repository.ts';
import { getTransfer } from './repository.ts';

/** Days a rejected file's content is kept after the rejection (see above). */
export const REJECTED_RETENTION_DAYS = 7;

export type PurgeReason = 'collected' | 'rejected' | 'removed' | 'quarantined';

export interface PurgeResult {
  purged: number;
  /**
   * Files whose content could not be purged now: not recorded, tried again on the next run; or recorded
   * and not deleted, left for the sweep of unreferenced files.
   */
  failed: number;
}

type ContentStore = Pick<EncryptedFileStore, 'remove'>;

/**
 * Records that one file's content is let go, if it is still due, then deletes it (see the top of this
 * file). `organisation` is who the audit record belongs to: the sender that removed it, or the recipient
 * for the job's expiries. Returns false if another run got there first, or the file is no longer due (a
 * download again since). A deletion that fails after the record throws: the sweep deletes that content.
 */
export async function purgeContent(
  db: Db,
  files: ContentStore,
  clock: Clock,
  file: Pick<PurgeCandidate, 'id' | 'filename' | 'category' | 'storage_key'>,
  reason: PurgeReason,
  who: { userId: string | null; username: string | null; organisation: string | null },
): Promise<boolean> {
  const storageKey = file.storage_key;
  if (!storageKey) return false;
  const at = clock.now();
  const recorded = await db.transaction().execute(async (tx) => {
    const purged = await markPurged(tx, file.id, storageKey, at.toISOString(), purgeCutoffs(at));
    if (purged) {
      await recordAudit(tx, {
        at,
        actorUserId: who.userId,
        actorUsername: who.username,
        organisation: who.organisation,
        action: 'file-purged',
        subjectType: 'transfer',
        subjectId: file.id,
        detail: { filename: file.filename, category: file.category, reason },
      });
    }
    return purged;
  });
  if (recorded) await files.remove(storageKey);
  return recorded;
}

/** The instants before which a collected or rejected file is due (contentDue), for the SQL. */
function purgeCutoffs(now: Date): PurgeCutoffs {
  return {
    collectedBefore: daysBefore(now, REDOWNLOAD_DAYS),
    rejectedBefore: daysBefore(now, REJECTED_RETENTION_DAYS),
  };
}

/**
 * Whether the purge job deletes this file's content now: purgeCandidates' rule (see the top of this file),
 * for a row already read. `forwarded`: a copy of it was made (its forwarded_from names it).
 */
export function contentDue(
  row: Pick<TransferRow, 'status' | 'last_downloaded_at' | 'collected_at' | 'rejected_at'>,
  now: Date,
  { forwarded }: { forwarded: boolean },
): boolean {
  if (row.status === 'removed' || row.status === 'quarantined') return true;
  const keptUntil = contentKeptUntil(row, { forwarded });
  return keptUntil !== null && keptUntil <= now.toISOString();
}

/**
 * Until when a collected or rejected file's content is kept (the instant contentDue turns true), which a
 * page gives as the end of its 7 days: 7 days from its last download (from the later of that and its
 * collection when it was forwarded, or from its collection when it was never downloaded), or from its
 * rejection. Null for a file kept for no set time, or deleted at once.
 */
export function contentKeptUntil(
  row: Pick<TransferRow, 'status' | 'last_downloaded_at' | 'collected_at' | 'rejected_at'>,
  { forwarded }: { forwarded: boolean },
): string | null {
  if (row.status === 'collected') {
    const from =
      forwarded || row.last_downloaded_at === null
        ? [row.last_downloaded_at, row.collected_at]
        : [row.last_downloaded_at];
    const [latest] = from.filter((at) => at !== null).sort((a, b) => b.localeCompare(a));
    return latest === undefined ? null : daysAfter(latest, REDOWNLOAD_DAYS);
  }
  if (row.status === 'rejected' && row.rejected_at !== null)
    return daysAfter(row.rejected_at, REJECTED_RETENTION_DAYS);
  return null;
}

/**
 * Why the content of a file read a moment ago as held could not be read, or its download not recorded,
 * by its row now: 'changed' when its status has moved on since (its sender or its LA removed it, or
 * another forward of it finished), 'purged' when the purge job has let it go (which it records before it
 * deletes), null when neither: a fault.
 */
export async function contentLostSince(
  db: Db,
  read: Pick<TransferRow, 'id' | 'status' | 'storage_key'>,
): Promise<'changed' | 'purged' | null> {
  const row = await getTransfer(db, read.id);
  if (row?.status !== read.status) return 'changed';
  if (row.storage_key !== read.storage_key) return 'purged';
  return null;
}

const BATCH = 200;

/** Deletes the content of every file past its retention (see the top of this file). */
export async function purgeExpiredContent(
  db: Db,
  files: ContentStore,
  clock: Clock,
  logger?: Logger,
): Promise<PurgeResult> {
  const cutoffs = purgeCutoffs(clock.now());
  const result: PurgeResult = { purged: 0, failed: 0 };
  let afterId = '';
  for (;;) {
    const batch = await purgeCandidates(db, cutoffs, afterId, BATCH);
    if (batch.length === 0) break;
    for (const file of batch) {
      afterId = file.id;
      // Candidates are only ever collected, rejected, removed or quarantined (purgeCandidates).
      const reason = file.status as PurgeReason;
      try {
        const purged = await purgeContent(db, files, clock, file, reason, {
          userId: null,
          username: null,
          organisation: file.dest_school ?? file.dest_la,
        });
        if (purged) result.purged += 1;
      } catch (error) {
        result.failed += 1;
        logger?.warn(
          { transferId: file.id, error: error instanceof Error ? error.message : String(error) },
          'could not purge the content of a transfer; the next run or the sweep of unreferenced files will',
        );
      }
    }
  }
  return result;
}

/**
 * Stored objects younger than this are never swept: an upload stores its blob and records it within
 * seconds, so a day leaves any upload in progress alone, however slow.
 */
export const ORPHAN_GRACE_HOURS = 24;

export interface SweepResult {
  /**
   * Blobs no transfer refers to (left by a crash between storing and recording, or by a purge whose
   * deletion failed after its record), removed.
   */
  removed: number;
  /** Pieces of writes that never finished, removed. */
  partials: number;
  /** Objects looked at. */
  checked: number;
}

/**
 * Removes what the file store holds that no transfer or census return refers to, once it is a day old.
 * Every stored object belongs to a transfer or a census return (its storage_key); a feature that stores
 * files of its own must be added to `referenced` before it does.
 */
export async function sweepOrphanFiles(
  db: Db,
  store: Pick<FileStore, 'list' | 'remove' | 'removePartial'>,
  clock: Clock,
): Promise<SweepResult> {
  const cutoff = clock.now().getTime() - ORPHAN_GRACE_HOURS * 3_600_000;
  const result: SweepResult = { removed: 0, partials: 0, checked: 0 };
  let batch: string[] = [];
  const flush = async () => {
    const keys = batch;
    batch = [];
    if (keys.length === 0) return;
    const [transfers, censusReturns] = await Promise.all([
      db.selectFrom('transfers').select('storage_key').where('storage_key', 'in', keys).execute(),
      db.selectFrom('census_returns').select('storage_key').where('storage_key', 'in', keys).execute(),
    ]);
    const referenced = new Set([...transfers, ...censusReturns].map((row) => row.storage_key));
    for (const key of keys) {
      if (referenced.has(key)) continue;
      await store.remove(key);
      result.removed += 1;
    }
  };
  for await (const object of store.list()) {
    result.checked += 1;
    if (object.modifiedAt.getTime() > cutoff) continue;
    if (object.partial) {
      await store.removePartial(object.key);
      result.partials += 1;
      continue;
    }
    batch.push(object.key);
    if (batch.length >= 500) await flush();
  }
  await flush();
  return result;
}
