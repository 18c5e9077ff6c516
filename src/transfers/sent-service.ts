// View / Remove Files (schools handbook §5): the sender follows what it sent and removes files sent in
// error. "The display switches between files rejected by the receiving school and those not yet
// downloaded by the receiving school"; collected files are a third view, to see what happened.
//
// A file can be removed while it is not collected (waiting, or rejected). A file sent to the Lost Pupils
// Database is "collected" in this sense once an LA has found its pupil (downloaded it and confirmed the
// download, or closed a match as the same pupil): it is not offered for removal, and a removal is refused,
// saying that its LA removes it once the pupil's case is closed (decision 79). Removal is final: the status
// becomes 'removed' (audit 'file-removed', in one transaction), the recipient no longer sees it, and
// its content is deleted at once (purged_at, audit 'file-purged'). If deleting the content fails, the
// purge job finishes it (jobs.ts).
//
// The sender is not emailed about its own removal. The destination of a CTF waiting for it to collect is
// told that it was removed before it was collected, by whom, and that it need do nothing
// ('waiting-file-removed'; destinationToldOf, decision 60): not for a file it rejected, or never saw
// (awaiting its virus scan). A copy an LA forwarded (LA notes §4.2; forward-service.ts) keeps the
// original's sender, so its sender can remove it here too ("files sent in error can be removed by the
// sending school", handbook §5): the LA that forwarded it is told ('forwarded-file-removed', naming the
// file it forwarded and its sender), as the LA's Delete and the destination's Reject tell it
// (forwarderToldOf; decisions 58 and 60). Both are sent by tellOfRemoval (removal-told.ts), as the LA's
// Delete sends them. A lost pupil's copy its LA forwarded, removed by that LA here, makes the record lost
// again, and the LA that uploaded the record, when another, is told (uploaderToldOf). The page and the
// answer say each, by those rules (toldOfRemoval).
//
// Every action re-reads the file and checks that the actor's organisation sent it and that the actor's
// role may upload its category; anything else is "not found".

import { recordAudit } from '../audit/repository.ts';
import type { Actor } from '../auth/actor.ts';
import { organisationOf } from '../auth/actor.ts';
import { can } from '../auth/permissions.ts';
import {
  lostAgainIfRemoved,
  lostPupilCopyGone,
  lostWithFileKeptRecord,
} from '../lost-pupils/forwarded-copies.ts';
import { markLostPupilRemovedWithFile } from '../lost-pupils/found-repository.ts';
import { getLostPupilByTransfer } from '../lost-pupils/repository.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Executor, TransferRow, TransferStatus } from '../platform/db/schema.ts';
import { Forbidden, Invalid, NotFound } from '../platform/errors.ts';
import { dateParam, keyedError, type Message, message, messageError } from '../platform/i18n/catalogue.ts';
import { isId } from '../platform/ids.ts';
import type { Logger } from '../platform/logger.ts';
import type { EncryptedFileStore } from '../platform/storage/encrypted-store.ts';
import { CATEGORIES, type Category, isCategory, uploadCapability } from './categories.ts';
import {
  destinationLabel,
  type FileListing,
  listing,
  type PupilDetails,
  type PupilPaging,
  pupilDetails,
  pupilsOnPage,
  type Sort,
  sortListings,
} from './download-listing.ts';
import {
  copyForwardedFrom,
  listOutgoing,
  organisationNames,
  updateTransferIfStatus,
} from './download-repository.ts';
import { forwardingOf } from './forward-service.ts';
import { purgeContent } from './jobs.ts';
import { type ActorParty, actorParty, isSender } from './parties.ts';
import { removerOf, type Told, tellOfRemoval, toldOfRemoval } from './removal-told.ts';
import { getTransfer, pupilsOf } from './repository.ts';

export type { Told };

export const SENT_FILTERS = ['collection', 'lost-pupils', 'rejected', 'collected', 'quarantined'] as const;
export type SentFilter = (typeof SENT_FILTERS)[number];

export const SENT_FILTER_INFO: Record<
  SentFilter,
  {
    label: string;
    statuses: readonly TransferStatus[];
    empty: string;
    /** Only files sent to the Lost Pupils Database (true), only the others (false), or both (absent). */
    lostPupils?: boolean;
  }
> = {
  collection: {
    label: 'Files for Collection',
    // A file waiting for its malware scan is shown here, as "Awaiting virus scan" (scan-service.ts).
    statuses: ['available', 'pending-scan'],
    empty: 'None of the files you sent is waiting to be collected.',
    lostPupils: false,
  },
  // Handbook §5 lists the files "not yet downloaded by the receiving school". A file sent to XXXXXXXX or
  // MMMMMMMM has no receiving school: it stays in the Lost Pupils Database, where LAs search for the
  // pupil, so it is never collected and is not "waiting". It has a list of its own.
  'lost-pupils': {
    label: 'In the Lost Pupils Database',
    statuses: ['available', 'pending-scan'],
    empty: 'None of the files you sent is in the Lost Pupils Database.',
    lostPupils: true,
  },
  rejected: {
    label: 'Rejected Files',
    statuses: ['rejected'],
    empty: 'None of the files you sent has been rejected.',
  },
  collected: {
    label: 'Collected Files',
    statuses: ['collected'],
    empty: 'None of the files you sent has been collected yet.',
  },
  quarantined: {
    label: 'Quarantined Files',
    statuses: ['quarantined'],
    empty: 'No virus has been found in the files you sent.',
  },
};

export function isSentFilter(value: unknown): value is SentFilter {
  return (SENT_FILTERS as readonly unknown[]).includes(value);
}

/** Removal is possible until the recipient has collected the file (also while it waits for its scan). */
const REMOVABLE: readonly TransferStatus[] = ['available', 'pending-scan', 'rejected'];

export interface SentFile {
  file: FileListing;
  /** Its pupils: all of them, or (`pupilPaging`) one page of them. */
  pupils: PupilDetails[];
  pupilPaging?: PupilPaging;
  canRemove: boolean;
  /** A lost pupil's file an LA forwarded to a school, the copy on its way: its LA removes it, not its sender. */
  forwardedLostPupil: boolean;
  /**
   * A lost pupil's file whose pupil an LA found (its download confirmed, a match closed): why it cannot be
   * removed, and who removes it (decision 79); else null. forwardedLostPupil says a forward's finding.
   */
  lostPupilFound: Message | null;
  /**
   * The copy of a lost pupil's file the LA forwarded, waiting at the school: removing it makes the pupil's
   * record lost again, its file kept to forward again (lostPupilCopyGone), which the page says.
   */
  lostPupilAgain: boolean;
  /** Who else a removal tells (removal-told.ts): its destination, the LA that forwarded it, a record's LA. */
  told: Told;
}

/**
 * A removal's answer: and whether it made a lost pupil's record lost again (see SentFile; lostAgain, the
 * record's id, else null), and who is told.
 */
export type SentRemoval = FileListing & {
  already: boolean;
  lostPupilAgain: boolean;
  lostAgain: string | null;
  told: Told;
};

export interface SentDeps {
  db: Db;
  files: Pick<EncryptedFileStore, 'remove'>;
  clock: Clock;
  logger: Logger;
}

/**
 * Why a lost pupil's file an LA found (SentService's foundLostPupil) cannot be removed, and who removes it:
 * a school's LA, or the LA that sent it itself.
 */
function lostPupilFoundWords(actor: Actor, row: TransferRow, foundAt: string): Message {
  const key =
    actorParty(actor)?.kind === 'school'
      ? 'transfer.sent.remove.lost-pupil-found'
      : 'transfer.sent.remove.lost-pupil-found.la';
  return message(key, { filename: row.filename, date: dateParam(foundAt) });
}

export class SentService {
  constructor(private readonly deps: SentDeps) {}

  /** The categories this actor sends, and so sees on View / Remove Files. */
  categoriesFor(actor: Actor): Category[] {
    return CATEGORIES.filter((category) => can(actor.role, uploadCapability(category)));
  }

  /** The lists of View / Remove Files this actor has: the Lost Pupils Database's for those who send CTFs. */
  filtersFor(actor: Actor): SentFilter[] {
    return SENT_FILTERS.filter((filter) => filter !== 'lost-pupils' || can(actor.role, 'upload.ctf'));
  }

  async sent(actor: Actor, filter: SentFilter, sort: Sort): Promise<FileListing[]> {
    const party = actorParty(actor);
    if (!party || !can(actor.role, 'transfers.sent')) throw new Forbidden();
    const { statuses, lostPupils } = SENT_FILTER_INFO[filter];
    const rows = await listOutgoing(this.deps.db, party, {
      categories: this.categoriesFor(actor),
      statuses,
      ...(lostPupils === undefined ? {} : { lostPupils }),
    });
    return sortListings(await this.listings(rows, party), sort);
  }

  /** One file the actor's organisation sent: page `pupilPage` of its pupils (the web page), or all (the API). */
  async file(actor: Actor, id: string, pupilPage?: number): Promise<SentFile> {
    const row = await this.outgoing(actor, id);
    const [file] = await this.listings([row], actorParty(actor) as ActorParty);
    const pupils =
      pupilPage === undefined
        ? { pupils: (await pupilsOf(this.deps.db, row.id)).map(pupilDetails) }
        : await pupilsOnPage(this.deps.db, row.id, pupilPage);
    const forwardedLostPupil = await this.forwardedLostPupil(this.deps.db, row);
    const foundAt = forwardedLostPupil ? null : await this.foundLostPupil(this.deps.db, row);
    const lostPupilFound = foundAt === null ? null : lostPupilFoundWords(actor, row, foundAt);
    const canRemove = REMOVABLE.includes(row.status) && !forwardedLostPupil && lostPupilFound === null;
    const forwarding = canRemove ? await forwardingOf(this.deps.db, row) : null;
    // The record a removal would make lost again, read once for what the page says of it.
    const lostAgain = forwarding ? await lostAgainIfRemoved(this.deps.db, row, forwarding.la) : null;
    return {
      file: file as FileListing,
      ...pupils,
      canRemove,
      forwardedLostPupil,
      lostPupilFound,
      lostPupilAgain: lostAgain !== null,
      told: await toldOfRemoval(this.deps.db, row, forwarding, removerOf(actor), lostAgain),
    };
  }

  /**
   * Whether the file is one the actor's organisation sent and still shows (not removed): a refused removal
   * shows its page again, with why; one removed meanwhile by someone else has none.
   */
  async stillListed(actor: Actor, id: string): Promise<boolean> {
    try {
      await this.outgoing(actor, id);
      return true;
    } catch (error) {
      if (error instanceof NotFound) return false;
      throw error;
    }
  }

  /**
   * Removes a file the actor's organisation sent. One the actor removed already (the form posted again, or
   * at once: its update found the file removed) is answered with `already`, and nothing is done again.
   */
  async remove(actor: Actor, id: string): Promise<SentRemoval> {
    const row = await this.outgoing(actor, id, { removedToo: true });
    if (row.status === 'removed') return this.removedAlready(actor, row);
    if (row.status === 'quarantined') {
      throw new Invalid([
        keyedError('remove', 'transfer.sent.remove.quarantined', { filename: row.filename }),
      ]);
    }
    if (!REMOVABLE.includes(row.status)) {
      throw new Invalid([keyedError('remove', 'transfer.sent.remove.collected', { filename: row.filename })]);
    }
    const foundAt = await this.foundLostPupil(this.deps.db, row);
    if (foundAt !== null && !(await this.forwardedLostPupil(this.deps.db, row))) {
      throw new Invalid([messageError('remove', lostPupilFoundWords(actor, row, foundAt))]);
    }
    const at = this.deps.clock.now();
    const removed = await this.deps.db.transaction().execute(async (tx) => {
      // Only from the status read, which the audit event records: one changed meanwhile (rejected by its
      // destination, its scan done) is removed from what it became, read again below.
      const changed = await updateTransferIfStatus(tx, row.id, [row.status], {
        status: 'removed',
        removed_at: at.toISOString(),
        removed_by: actor.userId,
      });
      if (!changed) return undefined;
      // A lost pupil's file an LA forwarded to a school stays, for the school's copy and then for the
      // LA that uploaded it (decisions 36 and 38): its sender no longer removes it. Checked once the row
      // is locked, so a forward committed meanwhile is seen.
      if (await this.forwardedLostPupil(tx, row)) {
        throw new Invalid([
          keyedError('remove', 'transfer.sent.remove.lost-pupil-forwarded', { filename: row.filename }),
        ]);
      }
      // A file sent to the Lost Pupils Database in error leaves it with its record, while the pupil is
      // lost: one an LA found meanwhile (its update waits for the finding, then reads it) stays, for its
      // LA to remove (decision 79).
      if (row.dest_kind === 'lost-pupils') {
        const removed = await markLostPupilRemovedWithFile(
          tx,
          row.id,
          { at: at.toISOString(), by: actor.userId },
          { onlyLost: true },
        );
        const foundNow = removed ? null : await this.foundLostPupil(tx, row);
        if (foundNow !== null) {
          throw new Invalid([messageError('remove', lostPupilFoundWords(actor, row, foundNow))]);
        }
      }
      // A lost pupil's file its LA forwarded, removed before the school collected it: lost again (and the
      // LA that uploaded the record, when another, told).
      const forwarding = await forwardingOf(tx, row);
      const lostAgain = forwarding
        ? await lostPupilCopyGone(tx, actor, row, forwarding.la, at, 'removed')
        : null;
      // Its destination, when the file waited for it, and the LA that forwarded a copy are told, as the
      // LA's Delete tells them; the pages say so by toldOfRemoval, the same rules.
      const after = (await getTransfer(tx, row.id)) as TransferRow;
      await tellOfRemoval(tx, { row: after, forwarding, remover: removerOf(actor), at });
      await recordAudit(tx, {
        at,
        actorUserId: actor.userId,
        actorUsername: actor.username,
        organisation: organisationOf(actor),
        action: 'file-removed',
        subjectType: 'transfer',
        subjectId: row.id,
        detail: {
          filename: row.filename,
          category: row.category,
          pupils: row.pupil_count,
          previousStatus: row.status,
        },
      });
      return { row: after, forwarding, lostAgain };
    });
    if (!removed) {
      // Collected meanwhile, or removed by someone else (a colleague, the destination's LA, or its LA's
      // forward), or quarantined by the virus scan: said as it is. Rejected meanwhile, or its scan done:
      // removed as it is now (statuses only move on, so this ends).
      const now = await getTransfer(this.deps.db, row.id);
      if (now?.status === 'removed') return this.removedAlready(actor, now);
      if (now && now.status !== row.status && REMOVABLE.includes(now.status)) return this.remove(actor, id);
      const key =
        now?.status === 'collected'
          ? 'transfer.sent.remove.just-collected'
          : now?.status === 'quarantined'
            ? 'transfer.sent.remove.quarantined'
            : 'transfer.state.removed';
      throw new Invalid([keyedError('remove', key, { filename: row.filename })]);
    }
    try {
      await purgeContent(this.deps.db, this.deps.files, this.deps.clock, row, 'removed', {
        userId: actor.userId,
        username: actor.username,
        organisation: organisationOf(actor),
      });
    } catch (error) {
      // The file is removed (nobody can download it); the purge job (nothing recorded yet) or the sweep
      // of unreferenced files (recorded, not deleted) deletes the content later.
      this.deps.logger.warn(
        { transferId: row.id, error: error instanceof Error ? error.message : String(error) },
        'could not delete the content of a removed transfer; the purge job or the sweep of unreferenced files will',
      );
    }
    // Read again once its content is deleted (or not), so the answer says what a request sent again would.
    const after = (await getTransfer(this.deps.db, row.id)) ?? removed.row;
    return {
      ...(await this.removedListing(actor, after)),
      already: false,
      lostPupilAgain: removed.lostAgain !== null,
      lostAgain: removed.lostAgain?.id ?? null,
      told: await toldOfRemoval(
        this.deps.db,
        removed.row,
        removed.forwarding,
        removerOf(actor),
        removed.lostAgain,
      ),
    };
  }

  /**
   * A removed file removing it again finds: removed by the actor (its form posted again), `already`;
   * else Invalid, saying it has been removed (by a colleague, its destination's LA, or its LA's forward).
   */
  private async removedAlready(actor: Actor, row: TransferRow): Promise<SentRemoval & { already: true }> {
    if (row.removed_by !== actor.userId) {
      throw new Invalid([keyedError('remove', 'transfer.state.removed', { filename: row.filename })]);
    }
    // The record as it is now (lost, its file kept), and who was told, as the first answer said.
    const forwarding = await forwardingOf(this.deps.db, row);
    const lostAgain = forwarding !== null ? await lostWithFileKeptRecord(this.deps.db, row) : null;
    return {
      ...(await this.removedListing(actor, row)),
      already: true,
      lostPupilAgain: lostAgain !== null,
      lostAgain: lostAgain?.id ?? null,
      told: await toldOfRemoval(this.deps.db, row, forwarding, removerOf(actor), lostAgain),
    };
  }

  private async removedListing(actor: Actor, row: TransferRow): Promise<FileListing> {
    const [file] = await this.listings([row], actorParty(actor) as ActorParty);
    return file as FileListing;
  }

  /**
   * A lost pupil's file an LA forwarded to a school, the copy waiting or collected: kept for the copy,
   * then for the LA that uploaded it (decisions 36 and 38), which removes it.
   */
  private async forwardedLostPupil(db: Executor, row: TransferRow): Promise<boolean> {
    return (
      row.dest_kind === 'lost-pupils' &&
      (await copyForwardedFrom(db, row.id, undefined, { onItsWay: true })) !== undefined
    );
  }

  /**
   * A lost pupil's file whose record an LA found: when (its finding), else null. Found, the pupil is no
   * longer lost, and the record stays for the LA that uploaded it to close its case and remove it (LA
   * notes §1.3; decisions 36 and 71), as a collected CTF stays with its recipient.
   */
  private async foundLostPupil(db: Executor, row: TransferRow): Promise<string | null> {
    if (row.dest_kind !== 'lost-pupils') return null;
    const record = await getLostPupilByTransfer(db, row.id);
    return record?.status === 'found' ? (record.found_at ?? row.uploaded_at) : null;
  }

  /**
   * A file the actor's organisation sent, in a category the actor may send, not removed (`removedToo`: or
   * removed, for its Remove form posted again, which says so); else NotFound.
   */
  private async outgoing(actor: Actor, id: string, { removedToo = false } = {}): Promise<TransferRow> {
    const row = isId(id) ? await getTransfer(this.deps.db, id) : undefined;
    if (
      !row ||
      (row.status === 'removed' && !removedToo) ||
      !can(actor.role, 'transfers.sent') ||
      !isCategory(row.category) ||
      !can(actor.role, uploadCapability(row.category)) ||
      !isSender(actorParty(actor), row)
    ) {
      throw new NotFound(message('transfer.not-found.file'));
    }
    return row;
  }

  private async listings(rows: TransferRow[], party: ActorParty): Promise<FileListing[]> {
    const own = rows.filter((row) => isSender(party, row));
    const names = await organisationNames(this.deps.db, own);
    const now = this.deps.clock.now();
    return own.map((row) => listing(row, destinationLabel(row, names), now));
  }
}
