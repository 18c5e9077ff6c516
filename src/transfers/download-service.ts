// Download, Accept / Reject and re-download (schools handbook §4, §6; LA notes §5.2, §5.7).
//
// The states of a file, for its recipient:
//   available --download--> available (first_/last_downloaded_at, downloaded_by recorded; audit
//                                       'file-downloaded')
//   available --"Was the file downloaded correctly?" Yes--> collected (collected_at; audit
//                                       'file-collected'; the sender is emailed for CTFs)
//   available --"No"--> available (nothing changes: it can be downloaded again)
//   available --reject with a reason--> rejected (audit 'file-rejected'; the sender is emailed)
//   collected --download again within 7 days of the last download--> collected (last_downloaded_at;
//                                       audit 'file-redownloaded')
// A download never collects a file by itself, and Yes is refused for a file that was never downloaded,
// so a file cannot leave the Download list unless its recipient has it. The sender's removal and the
// purge job (jobs.ts) are the only other ways out.
// A CTF an LA forwarded (forward-service.ts) also tells that LA, whether it is collected or rejected:
// 'forwarded-file-downloaded' / 'forwarded-file-rejected', in place of the sender's email when the LA
// is the sender (a lost pupil's file forwarded in its name), beside it otherwise.
//
// Every action re-reads the file and checks that the actor's organisation is its recipient and that the
// actor's role may download its category; anything else is "not found", never "forbidden", so another
// organisation cannot learn that a file exists.
import type { Readable } from 'node:stream';
import { type AuditAction, recordAudit } from '../audit/repository.ts';
import type { Actor } from '../auth/actor.ts';
import { organisationOf } from '../auth/actor.ts';
import { menuLabelKey } from '../auth/menu.ts';
import { can } from '../auth/permissions.ts';
import { lostPupilCopyCollected, lostPupilCopyGone } from '../lost-pupils/forwarded-copies.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import type { Clock } from '../platform/clock.ts';
import { daysBefore } from '../platform/dates.ts';
import type { Db, Executor, TransferRow } from '../platform/db/schema.ts';
import { type FieldError, Forbidden, Invalid, NotFound } from '../platform/errors.ts';
import { keyedError, type Message, message, translateMessage } from '../platform/i18n/catalogue.ts';
import { isId } from '../platform/ids.ts';
import type { Logger } from '../platform/logger.ts';
import type { EncryptedFileStore, OpenedFile } from '../platform/storage/encrypted-store.ts';
import { CATEGORIES, type Category, downloadCapability, isCategory } from './categories.ts';
import { FILES_WORD_KEYS } from './category-words.ts';
import {
  destinationLabel,
  type FileListing,
  listing,
  OFFERED_SCANS,
  type PartyLabel,
  type PupilDetails,
  type PupilPaging,
  pupilDetails,
  pupilsOnPage,
  REDOWNLOAD_DAYS,
  type Sort,
  sortListings,
  sourceLabel,
} from './download-listing.ts';
import {
  listIncoming,
  organisationNames,
  recordDownload,
  updateTransferIfStatus,
} from './download-repository.ts';
import { uniqueNames, zipStream } from './download-zip.ts';
import { type Forwarding, forwardingOf } from './forward-service.ts';
import { type ActorParty, actorParty, isRecipient } from './parties.ts';
import { getTransfer, pupilsOf } from './repository.ts';

export interface DownloadDeps {
  db: Db;
  files: Pick<EncryptedFileStore, 'open'>;
  clock: Clock;
  logger: Logger;
}

/** A selection larger than this is refused: it keeps links and zips to a size a browser copes with. */
export const MAX_FILES_PER_DOWNLOAD = 100;

/**
 * Several files of a kind can be selected and come as one zip (LA notes §5.2), except generic files,
 * which "can only be downloaded one at a time" (LA notes §5.7).
 */
export function allowsSeveral(category: Category): boolean {
  return category !== 'generic';
}

export type DownloadMode = 'download' | 'again';

/** A download ready to send: one file as itself, several as a zip. */
export interface Download {
  filename: string;
  contentType: 'application/octet-stream' | 'application/zip';
  /** Known for a single file (its plaintext size); a zip's is not known until it is written. */
  size: number | null;
  stream: Readable;
  transferIds: string[];
}

export interface IncomingFile {
  file: FileListing;
  /** Its pupils: all of them, or (`pupilPaging`) one page of them. */
  pupils: PupilDetails[];
  pupilPaging?: PupilPaging;
}

export interface CollectOutcome {
  collected: FileListing[];
  /** Files whose state changed meanwhile (rejected, removed, or collected by a colleague). */
  /** `reason` in English (the REST API), `state` as a key (pages). */
  notCollected: { file: FileListing; reason: string; state: Message }[];
}

const NOT_FOUND = message('transfer.not-found.file');

/**
 * The states in which a recipient knows of a file. Not removed ones, nor those waiting for their malware
 * scan or quarantined: a file is offered only once clean (scan-service.ts), so until then it does not
 * exist for its recipient (404, as another organisation's file).
 */
const OFFERED: readonly TransferRow['status'][] = ['available', 'collected', 'rejected'];

function stateInWords(row: Pick<TransferRow, 'status' | 'filename'>): Message {
  const filename = row.filename;
  switch (row.status) {
    case 'collected':
      return message('transfer.state.collected', { filename });
    case 'rejected':
      return message('transfer.state.rejected', { filename });
    case 'removed':
      // By its sender (View / Remove Files) or by the LA (deleted as not collected, or forwarded).
      return message('transfer.state.removed', { filename });
    case 'available':
      return message('transfer.state.available', { filename });
    case 'pending-scan':
    case 'quarantined':
      // Never reached by a recipient (incoming() does not find these), but named for completeness.
      return message('transfer.state.not-available', { filename });
  }
}

function stateError(field: string, row: TransferRow): FieldError {
  const state = stateInWords(row);
  return keyedError(field, state.key, state.params);
}

export class DownloadService {
  constructor(private readonly deps: DownloadDeps) {}

  /** Download <type> Files: what waits for the actor's organisation. */
  async available(actor: Actor, category: Category, sort: Sort): Promise<FileListing[]> {
    const party = this.partyFor(actor, category);
    const rows = await listIncoming(this.deps.db, party, { categories: [category], status: 'available' });
    return sortListings(await this.listings(rows, party), sort);
  }

  /** Re-Download <type> Files: collected files last downloaded within the last seven days. */
  async previouslyDownloaded(actor: Actor, category: Category, sort: Sort): Promise<FileListing[]> {
    const party = this.partyFor(actor, category);
    const rows = await listIncoming(this.deps.db, party, {
      categories: [category],
      status: 'collected',
      downloadedAfter: daysBefore(this.deps.clock.now(), REDOWNLOAD_DAYS),
    });
    return sortListings(await this.listings(rows, party), sort);
  }

  /** The categories this actor downloads, in menu order. */
  categoriesFor(actor: Actor): Category[] {
    return CATEGORIES.filter((category) => can(actor.role, downloadCapability(category)));
  }

  /**
   * One file addressed to the actor's organisation, with its pupils ("Pupil Details for selected
   * file"): page `pupilPage` of them (the web page), or all of them (the API). Any category the actor may
   * download: the caller compares it with the page's.
   */
  async file(actor: Actor, id: string, pupilPage?: number): Promise<IncomingFile> {
    const row = await this.incoming(this.deps.db, actor, id);
    const party = actorParty(actor) as ActorParty;
    const [file] = await this.listings([row], party);
    if (pupilPage !== undefined) {
      return { file: file as FileListing, ...(await pupilsOnPage(this.deps.db, row.id, pupilPage)) };
    }
    const pupils = await pupilsOf(this.deps.db, row.id);
    return { file: file as FileListing, pupils: pupils.map(pupilDetails) };
  }

  /**
   * Files addressed to the actor, of this category, whatever their state, removed ones too (for the
   * question after a download: a file removed since says so).
   */
  async chosen(actor: Actor, category: Category, ids: readonly string[]): Promise<FileListing[]> {
    const rows: TransferRow[] = [];
    for (const id of new Set(ids)) {
      rows.push(await this.incomingOf(this.deps.db, actor, category, id, { removedToo: true }));
    }
    return this.listings(rows, actorParty(actor) as ActorParty);
  }

  /**
   * The files a download would send, checked: all addressed to the actor, of this category, and
   * downloadable now (waiting to be collected, or, to download again, collected within 7 days).
   */
  async selection(actor: Actor, category: Category, ids: readonly string[], mode: DownloadMode) {
    const rows = await this.selectedRows(actor, category, ids, mode);
    const party = actorParty(actor) as ActorParty;
    return { rows, files: await this.listings(rows, party) };
  }

  /** selection() without the listings (the organisations' names): what a download itself needs. */
  private async selectedRows(
    actor: Actor,
    category: Category,
    ids: readonly string[],
    mode: DownloadMode,
  ): Promise<TransferRow[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) {
      const several = allowsSeveral(category);
      const key =
        mode === 'again'
          ? several
            ? 'transfer.download.select-files-again'
            : 'transfer.download.select-file-again'
          : several
            ? 'transfer.download.select-files'
            : 'transfer.download.select-file';
      throw new Invalid([keyedError('file', key)]);
    }
    if (!allowsSeveral(category) && unique.length > 1) {
      throw new Invalid([
        keyedError('file', 'transfer.download.one-at-a-time', { files: message(FILES_WORD_KEYS[category]) }),
      ]);
    }
    if (unique.length > MAX_FILES_PER_DOWNLOAD) {
      throw new Invalid([
        keyedError('file', 'transfer.download.too-many', {
          max: MAX_FILES_PER_DOWNLOAD,
          selected: unique.length,
        }),
      ]);
    }
    const rows: TransferRow[] = [];
    for (const id of unique) rows.push(await this.incomingOf(this.deps.db, actor, category, id));
    const problems = rows.flatMap((row) => this.downloadProblems(row, category, mode));
    if (problems.length > 0) throw new Invalid(problems);
    return rows;
  }

  /** Why a file cannot be downloaded now in this mode (the checks of selectedRows); none if it can. */
  private downloadProblems(row: TransferRow, category: Category, mode: DownloadMode): FieldError[] {
    if (mode === 'download') {
      // Collected already (Yes on the confirm page posted again, Back after "Yes, it was"): where it is now.
      if (row.status === 'collected') {
        return [
          keyedError('file', 'transfer.download.collected-already', {
            filename: row.filename,
            list: message(menuLabelKey(`/download/${category}/previous`)),
          }),
        ];
      }
      if (row.status !== 'available') return [stateError('file', row)];
    } else if (row.status === 'available') {
      return [
        keyedError('file', 'transfer.download.not-collected-yet', {
          filename: row.filename,
          list: message(menuLabelKey(`/download/${category}`)),
        }),
      ];
    } else if (
      row.status !== 'collected' ||
      !row.last_downloaded_at ||
      row.last_downloaded_at <= daysBefore(this.deps.clock.now(), REDOWNLOAD_DAYS) ||
      !row.storage_key
    ) {
      return [
        keyedError('file', 'transfer.download.too-late-again', {
          filename: row.filename,
          days: REDOWNLOAD_DAYS,
        }),
      ];
    }
    if (!row.storage_key || !row.wrapped_key) {
      return [keyedError('file', 'transfer.download.content-gone', { filename: row.filename })];
    }
    return [];
  }

  /**
   * Starts a download: records it (first/last download, who, an audit record per file) and returns the
   * content. The stream fails with TamperedFileError if a stored file does not match its record; the
   * web edge must then break the response off.
   */
  async download(
    actor: Actor,
    category: Category,
    ids: readonly string[],
    mode: DownloadMode,
  ): Promise<Download> {
    // The same checks as the page before it, without the names that page shows (two queries fewer).
    const rows = await this.selectedRows(actor, category, ids, mode);
    const now = this.deps.clock.now();
    const at = now.toISOString();
    // Every file is opened before anything is recorded or sent, so a store that cannot be read, or a file
    // removed or purged since the checks, is refused with nothing recorded (checked). On the disk
    // store an open file is read whole even if it is deleted meanwhile, for a file descriptor each (no
    // memory until the zip comes to it), so a zip is whole; on S3 each entry is fetched only when the
    // zip comes to it (EncryptedFileStore.open), so one deleted before then still breaks the zip off.
    const opened: OpenedFile[] = [];
    const closeAll = () => {
      for (const file of opened) file.close();
    };
    // A single file is read from now: a store that fetches only when read (S3) does so before anything is
    // recorded.
    let single: Readable | undefined;
    try {
      for (const row of rows) opened.push(await this.checked(row, category, mode, () => this.open(row)));
      if (rows.length === 1) {
        const [row, file] = [rows[0] as TransferRow, opened[0] as OpenedFile];
        single = await this.checked(row, category, mode, () => file.read());
      }
    } catch (error) {
      closeAll();
      throw error;
    }
    try {
      await this.deps.db.transaction().execute(async (tx) => {
        for (const row of rows) {
          if (!(await recordDownload(tx, row, at, actor.userId))) {
            // Collected, rejected, removed (by its sender or its LA) or forwarded by its LA since the
            // checks, or its content let go by the purge job at the end of its 7 days: its row has changed.
            throw (await this.changedSince(tx, row, category, mode)) as Invalid;
          }
          await this.audit(tx, actor, mode === 'again' ? 'file-redownloaded' : 'file-downloaded', row, {
            files: rows.length,
          });
        }
      });
    } catch (error) {
      single?.destroy();
      closeAll();
      throw error;
    }
    const transferIds = rows.map((row) => row.id);
    if (single) {
      const row = rows[0] as TransferRow;
      return {
        filename: row.filename,
        contentType: 'application/octet-stream',
        size: row.size,
        stream: single,
        transferIds,
      };
    }
    const names = uniqueNames(rows.map((row) => row.filename));
    const stream = zipStream(
      rows.map((row, index) => ({
        name: names[index] as string,
        size: row.size,
        mtime: new Date(row.uploaded_at),
        content: opened[index] as OpenedFile,
      })),
    );
    return {
      filename: zipName(category, now, mode),
      contentType: 'application/zip',
      size: null,
      stream,
      transferIds,
    };
  }

  /**
   * "Was the file downloaded correctly?" No: nothing changes. The files still waiting, and what became of
   * the others (collected by a Yes posted before this No, Back in between; rejected or removed), as they are.
   */
  async answeredNo(
    actor: Actor,
    category: Category,
    ids: readonly string[],
  ): Promise<{ waiting: FileListing[]; changed: { file: FileListing; state: Message }[] }> {
    const files = await this.chosen(actor, category, ids);
    return {
      waiting: files.filter((file) => file.status === 'available'),
      changed: files
        .filter((file) => file.status !== 'available')
        .map((file) => ({ file, state: stateInWords(file) })),
    };
  }

  /** "Was the file downloaded correctly?" Yes: the files are collected, and CTF senders are told. */
  async collect(actor: Actor, category: Category, ids: readonly string[]): Promise<CollectOutcome> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) throw new Invalid([keyedError('answer', 'transfer.download.none-selected')]);
    // A file removed since it was downloaded is answered for as not collected; the others still are.
    const rows: TransferRow[] = [];
    for (const id of unique) {
      rows.push(await this.incomingOf(this.deps.db, actor, category, id, { removedToo: true }));
    }
    const notDownloaded = rows.filter((row) => row.status === 'available' && !row.last_downloaded_at);
    if (notDownloaded.length > 0) {
      throw new Invalid(
        notDownloaded.map((row) =>
          keyedError('answer', 'transfer.download.not-downloaded-yet', { filename: row.filename }),
        ),
      );
    }
    const at = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (tx) => {
      const names = await organisationNames(tx, rows);
      const outcome: CollectOutcome = { collected: [], notCollected: [] };
      for (const row of rows) {
        const file = listing(row, sourceLabel(row, names), at);
        const changed =
          row.status === 'available' &&
          (await updateTransferIfStatus(tx, row.id, ['available'], {
            status: 'collected',
            collected_at: at.toISOString(),
          }));
        if (!changed) {
          // Collected by a colleague a moment ago is what the user wanted anyway.
          const now = (await getTransfer(tx, row.id)) ?? row;
          if (now.status === 'collected') outcome.collected.push(listing(now, file.party, at));
          else {
            const state = stateInWords(now);
            outcome.notCollected.push({ file, reason: translateMessage('en', state), state });
          }
          continue;
        }
        await this.audit(tx, actor, 'file-collected', row, {});
        // Schools handbook §6: the sender is emailed when its CTF is downloaded. Generic and other files
        // are not (LA notes §5.7), so only CTFs.
        if (row.kind === 'ctf') {
          const recipient = destinationLabel(row, names);
          const collected = {
            filename: row.filename,
            collectedBy: recipient.name,
            collectedByCode: recipient.code,
            collectedAt: at.toISOString(),
          };
          const forwarding = await forwardingOf(tx, row);
          const laIsSender = forwarding !== null && isSentByLa(row, forwarding.la);
          if (!laIsSender) {
            await enqueueNotification(tx, {
              at,
              template: 'file-downloaded',
              ...senderAddress(row),
              payload: collected,
            });
          }
          // LA notes §4.2: the LA that forwarded the file is told too, as the sender of its renamed copy.
          if (forwarding) {
            // A lost pupil's file its own LA forwarded has reached the school now (decision 38).
            await lostPupilCopyCollected(tx, actor, row, forwarding.la, at);
            await enqueueNotification(tx, {
              at,
              template: 'forwarded-file-downloaded',
              recipientKind: 'la',
              recipient: forwarding.la,
              payload: { ...collected, ...forwardedFacts(forwarding, !laIsSender) },
            });
          }
        }
        // As the file reads from now on: collected, and offered again for 7 days after its download.
        outcome.collected.push(
          listing({ ...row, status: 'collected', collected_at: at.toISOString() }, file.party, at),
        );
      }
      return outcome;
    });
  }

  /**
   * The LA emailed about a rejection beside the file's sender (see reject): the LA that forwarded it, unless
   * that LA is its sender. Null when there is none. The Reject page says who will be told.
   */
  async forwardingLaTold(actor: Actor, id: string): Promise<PartyLabel | null> {
    const row = await this.incoming(this.deps.db, actor, id);
    const forwarding = await forwardingOf(this.deps.db, row);
    if (!forwarding || isSentByLa(row, forwarding.la)) return null;
    const la = { source_la: forwarding.la, source_school: null, source_inbox: null };
    return sourceLabel(
      la,
      await organisationNames(this.deps.db, [{ ...la, dest_la: null, dest_school: null }]),
    );
  }

  /**
   * Reject (handbook §6, §9): the file will not be collected; the sender is told why. A file the actor
   * rejected already (the form posted again, or at once: its update found the file rejected) is answered
   * with `already` and nothing is done again: no second email to its sender, nor audit record. One a
   * colleague rejected is refused (Invalid, "has been rejected"): the page sends the user to the list,
   * saying so, and the API answers 422.
   */
  async reject(
    actor: Actor,
    category: Category,
    id: string,
    reasonText: string,
  ): Promise<FileListing & { already: boolean }> {
    const row = await this.incomingOf(this.deps.db, actor, category, id);
    if (rejectedBy(actor, row)) return { ...(await this.rejectedListing(this.deps.db, row)), already: true };
    // A file no longer waiting (rejected by a colleague, collected) is said so whatever the reason given.
    if (row.status !== 'available') throw new Invalid([stateError('reason', row)]);
    const reason = reasonText.trim();
    if (reason === '') throw new Invalid([keyedError('reason', 'transfer.reject.enter-reason')]);
    if (reason.length > 500) {
      throw new Invalid([keyedError('reason', 'transfer.reject.too-long', { length: reason.length })]);
    }
    const at = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (tx) => {
      const changed = await updateTransferIfStatus(tx, row.id, ['available'], {
        status: 'rejected',
        rejected_at: at.toISOString(),
        rejected_by: actor.userId,
        reject_reason: reason,
      });
      if (!changed) {
        // Changed since it was read: rejected by this same actor (the same form posted at once), or else
        // collected, rejected by a colleague, or removed, said as it is now.
        const now = await getTransfer(tx, row.id);
        if (now && rejectedBy(actor, now)) return { ...(await this.rejectedListing(tx, now)), already: true };
        throw new Invalid([
          now
            ? stateError('reason', now)
            : keyedError('reason', 'transfer.reject.just-changed', { filename: row.filename }),
        ]);
      }
      // The reason is on the transfer; the audit record does not repeat free text that may name pupils.
      await this.audit(tx, actor, 'file-rejected', row, {});
      const names = await organisationNames(tx, [row]);
      const recipient = destinationLabel(row, names);
      const rejected = {
        filename: row.filename,
        reason,
        rejectedBy: recipient.name,
        rejectedByCode: recipient.code,
        rejectedAt: at.toISOString(),
      };
      const forwarding = await forwardingOf(tx, row);
      const laIsSender = forwarding !== null && isSentByLa(row, forwarding.la);
      if (!laIsSender) {
        await enqueueNotification(tx, {
          at,
          template: 'file-rejected',
          ...senderAddress(row),
          payload: rejected,
        });
      }
      // The LA that forwarded it is told too, with what it can do: the pupil's record has not arrived.
      if (forwarding) {
        // A lost pupil's record is lost again, its file still in the database (decision 38).
        const lostAgain = await lostPupilCopyGone(tx, actor, row, forwarding.la, at, 'rejected');
        await enqueueNotification(tx, {
          at,
          template: 'forwarded-file-rejected',
          recipientKind: 'la',
          recipient: forwarding.la,
          payload: {
            ...rejected,
            ...forwardedFacts(forwarding, !laIsSender),
            ...(lostAgain ? { lostPupilPath: `/lost-pupils/search/${lostAgain.id}` } : {}),
          },
        });
      }
      const updated = (await getTransfer(tx, row.id)) as TransferRow;
      return { ...listing(updated, sourceLabel(updated, names), at), already: false };
    });
  }

  /** A file as its recipient's pages list it, read by `db` (the transaction, where there is one). */
  private async rejectedListing(db: Executor, row: TransferRow): Promise<FileListing> {
    const names = await organisationNames(db, [row]);
    return listing(row, sourceLabel(row, names), this.deps.clock.now());
  }

  // -------------------------------------------------------------------------------------------------

  private partyFor(actor: Actor, category: Category): ActorParty {
    const party = actorParty(actor);
    if (!party || !can(actor.role, downloadCapability(category))) throw new Forbidden();
    return party;
  }

  /**
   * A file addressed to the actor's organisation, in a category the actor may download; else NotFound.
   * `removedToo`: also one removed since it was offered (by its sender, or its LA), for the answers about
   * files already downloaded, which say it was removed rather than that there is no such file.
   */
  private async incoming(
    db: Executor,
    actor: Actor,
    id: string,
    { removedToo = false } = {},
  ): Promise<TransferRow> {
    const row = isId(id) ? await getTransfer(db, id) : undefined;
    const removedOnceOffered =
      removedToo && row?.status === 'removed' && OFFERED_SCANS.includes(row.scan_status);
    if (
      !row ||
      !(OFFERED.includes(row.status) || removedOnceOffered) ||
      !isCategory(row.category) ||
      !can(actor.role, downloadCapability(row.category)) ||
      !isRecipient(actorParty(actor), row)
    ) {
      throw new NotFound(NOT_FOUND);
    }
    return row;
  }

  private async incomingOf(
    db: Executor,
    actor: Actor,
    category: Category,
    id: string,
    options: { removedToo?: boolean } = {},
  ): Promise<TransferRow> {
    const row = await this.incoming(db, actor, id, options);
    if (row.category !== category) throw new NotFound(NOT_FOUND);
    return row;
  }

  private async listings(rows: TransferRow[], party: ActorParty): Promise<FileListing[]> {
    // Belt and braces: the query already chose only the party's files.
    const own = rows.filter((row) => isRecipient(party, row));
    const names = await organisationNames(this.deps.db, own);
    const now = this.deps.clock.now();
    return own.map((row) => listing(row, sourceLabel(row, names), now));
  }

  /**
   * Opening or reading the content of a file checked a moment ago: content that cannot be read because
   * the file changed since (its sender or its LA removed it and deleted its content, or the purge job let
   * it go at the end of its 7 days) is refused as the checks refuse it now. Content that fails with the
   * file unchanged and still downloadable is a fault.
   */
  private async checked<T>(
    row: TransferRow,
    category: Category,
    mode: DownloadMode,
    step: () => Promise<T>,
  ): Promise<T> {
    try {
      return await step();
    } catch (error) {
      throw (await this.changedSince(this.deps.db, row, category, mode)) ?? error;
    }
  }

  /**
   * Why a file checked a moment ago cannot be downloaded now, by its row now, as the checks refuse it;
   * "just changed" for any other change of its status or content; null when it has not changed.
   */
  private async changedSince(
    db: Executor,
    row: TransferRow,
    category: Category,
    mode: DownloadMode,
  ): Promise<Invalid | null> {
    const now = await getTransfer(db, row.id);
    const problems = now ? this.downloadProblems(now, category, mode) : [];
    if (problems.length > 0) return new Invalid(problems);
    if (now?.status !== row.status || now.storage_key !== row.storage_key) {
      return new Invalid([keyedError('file', 'transfer.download.just-changed', { filename: row.filename })]);
    }
    return null;
  }

  /** The file's content opened (EncryptedFileStore.open), a failure of its reading logged. */
  private async open(row: TransferRow): Promise<OpenedFile> {
    if (!row.storage_key || !row.wrapped_key)
      throw new Error(`The content of transfer ${row.id} is not held`);
    const file = await this.deps.files.open({
      storageKey: row.storage_key,
      wrappedKey: row.wrapped_key,
      masterKeyId: row.master_key_id,
      sha256: row.sha256,
    });
    return {
      read: async () => {
        const stream = await file.read();
        // Logged by id only: file names and contents stay out of the logs.
        stream.once('error', (error: Error) => {
          this.deps.logger.error(
            { transferId: row.id, error: error.name, message: error.message },
            'a stored file could not be read for download',
          );
        });
        return stream;
      },
      close: () => file.close(),
    };
  }

  private audit(
    db: Executor,
    actor: Actor,
    action: AuditAction,
    row: TransferRow,
    extra: Record<string, unknown>,
  ): Promise<void> {
    return recordAudit(db, {
      at: this.deps.clock.now(),
      actorUserId: actor.userId,
      actorUsername: actor.username,
      organisation: organisationOf(actor),
      action,
      subjectType: 'transfer',
      subjectId: row.id,
      detail: { filename: row.filename, category: row.category, pupils: row.pupil_count, ...extra },
    });
  }
}

/** Whether the actor rejected this file: what a second post of its Reject form finds. */
function rejectedBy(actor: Actor, row: TransferRow): boolean {
  return row.status === 'rejected' && row.rejected_by === actor.userId;
}

/** Who is emailed about a file: the sending school, or the sending LA. */
export function senderAddress(row: TransferRow): { recipientKind: 'school' | 'la'; recipient: string } {
  return row.source_school
    ? { recipientKind: 'school', recipient: row.source_school }
    : { recipientKind: 'la', recipient: row.source_la };
}

/**
 * Whether the sender's emails go to this LA (its own file, from LEALLLL or one of its inboxes): an LA is
 * not emailed about what it did itself.
 */
export function isSentByLa(row: TransferRow, laNumber: string): boolean {
  const address = senderAddress(row);
  return address.recipientKind === 'la' && address.recipient === laNumber;
}

/**
 * What the forwarding LA's email adds: the original's name, who sent it, and whether that sender was
 * emailed too (not when the LA is the sender: a lost pupil's file forwarded in its name).
 */
export function forwardedFacts(forwarding: Pick<Forwarding, 'original' | 'sentBy'>, senderTold: boolean) {
  return {
    originalFilename: forwarding.original.filename,
    sentBy: forwarding.sentBy.name,
    sentByCode: forwarding.sentBy.code,
    senderTold,
  };
}

function zipName(category: Category, now: Date, mode: DownloadMode): string {
  const stamp = now.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  return `s2s-${category}-files${mode === 'again' ? '-again' : ''}-${stamp}.zip`;
}
