// Malware scanning of uploads (issue 12, item 7; decision "Uploads are scanned by clamd before they are
// offered"). With a scanner configured (CLAMD_SOCKET or CLAMD_HOST), an accepted upload is stored and
// recorded as 'pending-scan' (scan_status 'pending'): nobody is offered it and its recipient is not told
// of it. Then it is scanned:
//   - at once, by the upload itself, from the bytes it holds in memory (upload-service.ts), so when clamd
//     answers the file is offered before the upload's page is shown;
//   - otherwise by the scan-files job every minute (jobs.ts), read back through the encrypted store and
//     streamed to clamd, never written decrypted to disk. A clamd outage only delays files.
// The verdict moves the file on, once, by a conditional update from 'pending-scan' (an upload's scan and
// the job's may race; only one records its verdict):
//   - clean: 'available' (scan_status 'clean'), audit 'file-scanned', and only now the emails an accepted
//     upload causes (upload-service.ts notificationsFor: the CTF's "ready to download" to its destination
//     and "sent" to its sender), so nobody is told of a file before it is offered;
//   - infected: 'quarantined' (scan_status 'infected', the signature's name kept), audit
//     'file-quarantined', the uploader emailed ('file-quarantined', no pupil data), a Lost Pupils Database
//     record made from the file removed with it, and the content deleted at once (audit 'file-purged',
//     reason 'quarantined'; the purge job or the sweep of unreferenced files finishes one that fails).
// No verdict (clamd unreachable, silent or in error; a stored file that fails its integrity check) leaves
// the file waiting, and is logged; the job tries again on its next run.
import { Readable } from 'node:stream';
import { type AuditAction, recordAudit } from '../audit/repository.ts';
import { markLostPupilRemovedWithFile } from '../lost-pupils/found-repository.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Executor, TransferRow } from '../platform/db/schema.ts';
import type { MalwareScanner, ScanVerdict } from '../platform/scanning/clamd.ts';
import { ScannerUnavailable } from '../platform/scanning/clamd.ts';
import type { EncryptedFileStore } from '../platform/storage/encrypted-store.ts';
import { destinationLabel } from './download-listing.ts';
import { organisationNames, updateTransferIfStatus } from './download-repository.ts';
import { classifyFilename } from './filenames.ts';
import { purgeContent } from './jobs.ts';
import { countAwaitingScan, getTransfer } from './repository.ts';
import { notificationsFor, partyName } from './upload-service.ts';

export interface ScanDeps {
  db: Db;
  files: Pick<EncryptedFileStore, 'get' | 'remove'>;
  clock: Clock;
  logger?: {
    warn(object: object, message: string): void;
    error(object: object, message: string): void;
  };
  scanner: MalwareScanner | null;
}

export type ScanOutcome =
  | { outcome: 'clean' }
  | { outcome: 'infected'; signature: string }
  /**
   * No verdict now: the file keeps waiting. `cause`: the scanner (down, silent, in error), or the file
   * (its stored content could not be read back: logged as an error for the operator).
   */
  | { outcome: 'unavailable'; cause: 'scanner' | 'content' }
  /** The file was not waiting (scanned by another process meanwhile, removed by its sender...). */
  | { outcome: 'not-waiting' };

export interface ScanRunResult {
  clean: number;
  infected: number;
  /** Files that got no verdict this time and still wait. */
  unavailable: number;
}

/** Files scanned by one run of the job at most; the next run takes the rest. */
const BATCH = 100;
/**
 * How long an upload waits for a silent clamd before leaving its file to the job: a hung daemon must not
 * hold every upload's page for the full CLAMD_TIMEOUT_SECONDS.
 */
const UPLOAD_IDLE_TIMEOUT_MS = 10_000;

export class ScanService {
  constructor(private readonly deps: ScanDeps) {}

  get enabled(): boolean {
    return this.deps.scanner !== null;
  }

  /**
   * Scans one waiting file and records the verdict. `content` is the plaintext when the caller holds it
   * (the upload); otherwise the stored file is read back and decrypted as it streams to clamd. Never
   * throws for want of a verdict: that is 'unavailable'.
   */
  async scan(transferId: string, content?: Buffer): Promise<ScanOutcome> {
    const row = await getTransfer(this.deps.db, transferId);
    if (row?.status !== 'pending-scan') return { outcome: 'not-waiting' };
    return this.scanRow(row, content);
  }

  /** The job: scans the files waiting, oldest first. */
  async scanWaiting(): Promise<ScanRunResult & { waiting: number }> {
    const result: ScanRunResult = { clean: 0, infected: 0, unavailable: 0 };
    const rows = await this.deps.db
      .selectFrom('transfers')
      .selectAll()
      .where('status', '=', 'pending-scan')
      .orderBy('uploaded_at')
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (!this.deps.scanner) return { ...result, unavailable: rows.length, waiting: rows.length };
    for (const row of rows) {
      const scanned = await this.scanRow(row);
      if (scanned.outcome === 'clean') result.clean += 1;
      else if (scanned.outcome === 'infected') result.infected += 1;
      else if (scanned.outcome === 'unavailable') {
        result.unavailable += 1;
        // clamd is down: the others would only fail the same way; the next run tries again. A file that
        // cannot be read does not hold up the others.
        if (scanned.cause === 'scanner') break;
      }
    }
    return { ...result, waiting: await countAwaitingScan(this.deps.db) };
  }

  private async scanRow(row: TransferRow, content?: Buffer): Promise<ScanOutcome> {
    const { scanner, files, logger } = this.deps;
    if (!scanner) return { outcome: 'unavailable', cause: 'scanner' };
    let verdict: ScanVerdict;
    try {
      if (content) {
        verdict = await scanner.scan(Readable.from([content]), { idleTimeoutMs: UPLOAD_IDLE_TIMEOUT_MS });
      } else {
        if (!row.storage_key || !row.wrapped_key) {
          logger?.error({ transferId: row.id }, 'a file waiting for its malware scan has no content');
          return { outcome: 'unavailable', cause: 'content' };
        }
        const stream = await files.get({
          storageKey: row.storage_key,
          wrappedKey: row.wrapped_key,
          masterKeyId: row.master_key_id,
          sha256: row.sha256,
        });
        verdict = await scanner.scan(stream);
      }
    } catch (error) {
      const unavailable = error instanceof ScannerUnavailable;
      // Removed by its sender (its content deleted) since the file was read as waiting: nothing to scan,
      // and no fault of the store's.
      if (!content && !unavailable && (await getTransfer(this.deps.db, row.id))?.status !== 'pending-scan') {
        return { outcome: 'not-waiting' };
      }
      // Logged by id: file names stay out of the logs.
      (unavailable ? logger?.warn : logger?.error)?.call(
        logger,
        { transferId: row.id, error: error instanceof Error ? error.message : String(error) },
        unavailable
          ? 'the malware scanner gave no verdict: the file waits for the next scan'
          : 'a file could not be read for its malware scan: it stays waiting',
      );
      const down = unavailable && !(error as ScannerUnavailable).answered;
      return { outcome: 'unavailable', cause: down ? 'scanner' : 'content' };
    }
    return verdict.clean ? this.release(row) : this.quarantine(row, verdict.signature);
  }

  /** Clean: offered now, and the emails of its upload written. */
  private async release(row: TransferRow): Promise<ScanOutcome> {
    const at = this.deps.clock.now();
    const released = await this.deps.db.transaction().execute(async (tx) => {
      const changed = await updateTransferIfStatus(tx, row.id, ['pending-scan'], {
        status: 'available',
        scan_status: 'clean',
        scanned_at: at.toISOString(),
      });
      if (!changed) return false;
      await this.audit(tx, at, 'file-scanned', row, { result: 'clean' });
      const classified = classifyFilename(row.filename);
      if (classified.ok) {
        const file = classified.file;
        const [senderName, destinationName] = await Promise.all([
          partyName(tx, file.source),
          partyName(tx, file.destination),
        ]);
        for (const notification of notificationsFor(file, at, {
          transferId: row.id,
          senderName,
          destinationName,
          pupils: row.pupil_count,
        })) {
          await enqueueNotification(tx, notification);
        }
      }
      return true;
    });
    return released ? { outcome: 'clean' } : { outcome: 'not-waiting' };
  }

  /** Infected: never offered; the uploader told; the content deleted. */
  private async quarantine(row: TransferRow, signature: string): Promise<ScanOutcome> {
    const at = this.deps.clock.now();
    const quarantined = await this.deps.db.transaction().execute(async (tx) => {
      const changed = await updateTransferIfStatus(tx, row.id, ['pending-scan'], {
        status: 'quarantined',
        scan_status: 'infected',
        scanned_at: at.toISOString(),
        scan_signature: signature,
      });
      if (!changed) return false;
      await this.audit(tx, at, 'file-quarantined', row, {
        signature,
        size: row.size,
        sha256: row.sha256,
      });
      // Named from the record, as the sender's lists name it (the name's rules could have changed since).
      const destination = destinationLabel(row, await organisationNames(tx, [row]));
      await enqueueNotification(tx, {
        at,
        template: 'file-quarantined',
        recipientKind: 'user',
        recipient: row.uploaded_by,
        payload: {
          filename: row.filename,
          signature,
          destination: destination.code,
          destinationName: destination.name,
          uploadedAt: row.uploaded_at,
        },
      });
      // A file sent to the Lost Pupils Database leaves it with its record: there is no file to find.
      if (row.dest_kind === 'lost-pupils') {
        await markLostPupilRemovedWithFile(tx, row.id, {
          at: at.toISOString(),
          by: row.uploaded_by,
          reason: 'Removed with its file: a virus was found in it',
        });
      }
      return true;
    });
    if (!quarantined) return { outcome: 'not-waiting' };
    try {
      await purgeContent(this.deps.db, this.deps.files, this.deps.clock, row, 'quarantined', {
        userId: null,
        username: null,
        organisation: senderOrganisation(row),
      });
    } catch (error) {
      this.deps.logger?.warn(
        { transferId: row.id, error: error instanceof Error ? error.message : String(error) },
        'could not delete the content of a quarantined file; the purge job or the sweep of unreferenced files will',
      );
    }
    return { outcome: 'infected', signature };
  }

  private audit(
    tx: Executor,
    at: Date,
    action: AuditAction,
    row: TransferRow,
    extra: Record<string, unknown>,
  ): Promise<void> {
    return recordAudit(tx, {
      at,
      actorUserId: null,
      actorUsername: null,
      organisation: senderOrganisation(row),
      action,
      subjectType: 'transfer',
      subjectId: row.id,
      detail: {
        filename: row.filename,
        category: row.category,
        scanner: this.deps.scanner?.description ?? null,
        ...extra,
      },
    });
  }
}

/** The sending school, or the sending LA: whose file it is, for the audit trail. */
function senderOrganisation(row: TransferRow): string {
  return row.source_school ?? row.source_la;
}
