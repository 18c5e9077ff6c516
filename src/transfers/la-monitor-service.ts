// The LA's CTF views (LA notes §5.3, with §4.2 for forwarding), for the LA roles that download CTFs
// (capability transfers.la-monitor):
//
// 1. Monitoring: "Files Within LEA | Incoming Files | Outgoing Files", each "For Collection" (waiting)
//    or "Collected", with the columns of the handbook's screenshot (Destination School, Filename, Source
//    School, Date Uploaded) and no pupil data ("through this view the pupil's name, DOB or UPN is not
//    shown"). An end of a file is "in the LA" when it is one of the LA's schools or the LA itself
//    (LEALLLL), so that every CTF starting or ending in the LA is in exactly one tab:
//      Files Within LEA  from the LA's schools (or the LA) to the LA's schools (or the LA);
//      Incoming Files    to the LA's schools or the LA, from outside the LA;
//      Outgoing Files    from the LA's schools (or the LA) to outside the LA, or to the lost pupils
//                        database (file names and schools only: no pupil data, as in every tab); those
//                        are never "For Collection" (nobody collects them), only Collected once an LA
//                        has found the pupil and forwarded the file.
//    A school-to-LA file (a phase transfer's bulk CTF to 916LLLL) is "within"; the LA's own forwards
//    to its schools are "within" too, so the LA sees whether they were collected. Rejected and removed
//    files are in neither state: they are no longer on their way.
//    Above the tabs, whichever is shown, the CTFs the LA forwarded (forward-service.ts) that their school
//    rejected in the last month, with the reason (rejectedForwards): in the handbook's way the LA would be
//    their sender and see them rejected (LA notes §4.2), and one forwarded to another LA's school is in
//    none of its tabs. The LA is emailed about each too (download-service.ts). Each opens on its own page
//    (rejectedForward), from which the LA forwards it on to another school while its content is kept
//    (7 days after the rejection; docs/decisions.md, 37).
// 2. "Delete files not collected by schools": the same files waiting for the LA's schools and for the
//    LA itself (LEALLLL: "files sent to the LA directly as no destination school is known"), with the
//    pupils' names, UPNs and dates of birth, so the LA can check whether the pupils have arrived; for
//    each, Delete or Forward.
//    - Delete: the file is removed (status 'removed', removed_by the LA user; audit 'file-removed' with
//      the LA as the organisation; its content deleted at once, as a sender's removal is; the purge job
//      or the sweep of unreferenced files finishes a deletion that fails). Its sender is emailed ('file-removed', to the sending school or
//      LA): without it, a file the sender thinks is waiting would vanish from its View / Remove Files
//      with no word, and the handbooks promise the sender a "final email" about each CTF. Not when the
//      sender is the LA itself (its own upload, or a lost pupil's file it forwarded in its name,
//      decision 33): nobody is emailed about their own action; the audit record says who deleted it.
//      The school the file waited for is told that it was deleted before it was collected and that it
//      need do nothing ('waiting-file-removed'; not for a file sent to the LA itself, LLLL; decision 60).
//      A file another LA forwarded to the LA's school (§4.2) tells that LA too, as a school's Reject
//      tells it ('forwarded-file-removed', naming the file it forwarded and its sender; forwarderToldOf;
//      decisions 56 and 60). Both are sent by tellOfRemoval (removal-told.ts), as View / Remove Files
//      sends them. A copy of a lost pupil's file the LA forwarded makes the pupil's record lost again,
//      its file kept to forward again (decision 38), and the LA that uploaded the record, when another,
//      is told as a Reject tells it (uploaderToldOf; decision 58). The Delete's page and answer say
//      each, by the rule that does it (toldOfRemoval).
//    - Forward (forward-service.ts): re-addressed to the school the user names. The LA's own LLLL file
//      becomes 'collected' (the LA took it and passed it on, as the handbook's download-rename-upload
//      would leave it); a school's uncollected file becomes 'removed' (the wrong school must no longer
//      see it), its content deleted, and that school is told its LA passed the file on to the school it
//      was meant for, without naming it ('waiting-file-forwarded', by the rule a removal tells the
//      destination by; decision 64), which the confirmation page and the answer say (originalTold).
// 3. Files sent to the LA's LLLL inbox are downloaded from Download CTF Files like any file addressed to
//    the LA (download-service.ts); nothing is added for them here but Delete and Forward.
//
// Every action re-reads the file and checks that it is a CTF waiting for one of the actor's LA's schools
// or the LA itself; anything else (another LA's schools' files above all) is "not found", never
// "forbidden", so another LA cannot learn that a file exists.
import { recordAudit } from '../audit/repository.ts';
import type { Actor } from '../auth/actor.ts';
import { organisationOf } from '../auth/actor.ts';
import { can, scopeOf } from '../auth/permissions.ts';
import { laName } from '../directory/organisation-names.ts';
import {
  lostAgainIfRemoved,
  lostPupilCopyGone,
  lostPupilFileOf,
  lostWithFileKeptRecord,
} from '../lost-pupils/forwarded-copies.ts';
import { getLostPupil } from '../lost-pupils/repository.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import type { Clock } from '../platform/clock.ts';
import { daysAfter, daysBefore } from '../platform/dates.ts';
import type { Db, LostPupilRow, TransferRow, TransferStatus } from '../platform/db/schema.ts';
import { AppError, Forbidden, Invalid, NotFound } from '../platform/errors.ts';
import { keyedError, message } from '../platform/i18n/catalogue.ts';
import { isId } from '../platform/ids.ts';
import type { Logger } from '../platform/logger.ts';
import { type Page, paged, windowPage } from '../platform/paging.ts';
import type { EncryptedFileStore } from '../platform/storage/encrypted-store.ts';
import {
  destinationLabel,
  type FileListing,
  listing,
  type PartyLabel,
  type PupilDetails,
  type PupilPaging,
  pupilsOnPage,
  type Sort,
  type SortableListing,
  sortListings,
  sourceLabel,
} from './download-listing.ts';
import {
  copyForwardedFrom,
  countLaCtfs,
  type LaCtfOrder,
  type LaCtfQuery,
  type LaCtfTab,
  listAwaitingInLa,
  listLaCtfPage,
  listLaCtfs,
  listRejectedForwards,
  type OrganisationNames,
  organisationNames,
  transfersByIds,
  updateTransferIfStatus,
} from './download-repository.ts';
import { isSentByLa, senderAddress } from './download-service.ts';
import {
  type Forwarding,
  type ForwardOptions,
  type ForwardPlan,
  type ForwardResult,
  ForwardService,
  forwardingOf,
  type OriginalOutcome,
  SCHOOL_FIELD,
} from './forward-service.ts';
import { contentDue, purgeContent, REJECTED_RETENTION_DAYS } from './jobs.ts';
import { laRemover, tellOfRemoval, toldDestination, toldOfRemoval } from './removal-told.ts';
import { getTransfer } from './repository.ts';

export type { LaCtfTab };

export const LA_TABS = ['within', 'incoming', 'outgoing'] as const satisfies readonly LaCtfTab[];

export const LA_TAB_INFO: Record<LaCtfTab, { label: string; description: string }> = {
  within: {
    label: 'Files Within LEA',
    description: 'CTFs from your schools (or your LA) to your schools (or your LA)',
  },
  incoming: {
    label: 'Incoming Files',
    description: 'CTFs coming into your LA from schools and LAs elsewhere',
  },
  outgoing: {
    label: 'Outgoing Files',
    description: 'CTFs leaving your LA for other LAs, or for the lost pupils database',
  },
};

export const LA_SHOWS = ['collection', 'collected'] as const;
export type LaShow = (typeof LA_SHOWS)[number];

export const LA_SHOW_INFO: Record<
  LaShow,
  {
    label: string;
    status: TransferStatus;
    intro: string;
    /** Whether the files sent to the Lost Pupils Database (XXXXXXXX, MMMMMMMM) are listed. */
    lostPupils: boolean;
  }
> = {
  // LA notes §5.3: "the files awaiting collection by the destination school". A file in the Lost Pupils
  // Database has no destination school and waits for nobody (LAs search for the pupil), as the sender's
  // View / Remove Files says ('In the Lost Pupils Database'): it is not listed here.
  collection: {
    label: 'For Collection',
    status: 'available',
    intro: 'Listed below are all the files awaiting collection by the destination school.',
    lostPupils: false,
  },
  // One that an LA found and forwarded to the pupil's new school is collected, as the sender sees it.
  collected: {
    label: 'Collected',
    status: 'collected',
    intro: 'Listed below are the files collected by the destination school.',
    lostPupils: true,
  },
};

export function isLaTab(value: unknown): value is LaCtfTab {
  return (LA_TABS as readonly unknown[]).includes(value);
}

export function isLaShow(value: unknown): value is LaShow {
  return (LA_SHOWS as readonly unknown[]).includes(value);
}

/**
 * Days a CTF the LA forwarded stays listed on the monitoring page once its school rejected it: a month,
 * so that a colleague back from leave still finds it there (LA notes §5.3: the page is checked "in case
 * email notifications have been missed or colleagues receiving notifications are absent").
 */
export const REJECTED_FORWARD_DAYS = 31;

/** A CTF the LA forwarded that its school rejected (the monitoring page's notice). */
export interface RejectedForwardListing {
  id: string;
  filename: string;
  /** The name of the file it was made from. */
  originalFilename: string;
  /** The school that rejected it. */
  destination: PartyLabel;
  rejectedAt: string;
  reason: string;
}

/** A CTF the LA forwarded that its school rejected, opened from the notice to forward it on. */
export interface RejectedForwardFile {
  file: LaFileListing;
  /** One page of its pupils. */
  pupils: PupilDetails[];
  pupilPaging: PupilPaging;
  /** The name of the file it was made from. */
  originalFilename: string;
  /** The school (or LA) that made the file: the one to ask for a new CTF once the content is gone. */
  sentBy: PartyLabel;
  rejectedAt: string;
  reason: string;
  /** Until when its content is kept (REJECTED_RETENTION_DAYS after the rejection): it can be forwarded. */
  keptUntil: string;
  /**
   * The lost pupil record whose file this is a copy of, when the Lost Pupils Database keeps that file: it
   * is forwarded from the record, not from here (decision 38). Null for any other file.
   */
  lostPupilRecord: string | null;
}

/** What the LA's earlier forward of a file made: the page shown in place of forwarding it again. */
export interface EarlierForward {
  /** The file that was forwarded. */
  filename: string;
  /** Its copy, the new file: its id, name, school, when it was made and its state now. */
  copyId: string;
  newName: string;
  destination: PartyLabel;
  forwardedAt: string;
  copyStatus: TransferStatus;
}

/** The file was forwarded already (by the actor's LA): nothing is done again, the page says where it went. */
export class AlreadyForwarded extends AppError {
  constructor(readonly earlier: EarlierForward) {
    super(`${earlier.filename} has already been forwarded`);
  }
}

/** Rows per page of the monitoring lists and files per page of the delete page. */
export const MONITOR_PAGE_SIZE = 100;
export const AWAITING_PAGE_SIZE = 25;

/** A CTF as the LA's pages list it: both ends by name. `party` is the source, as on Download pages. */
export interface LaFileListing extends FileListing {
  source: PartyLabel;
  destination: PartyLabel;
  /** Waiting for one of the LA's schools or the LA itself: the LA may delete or forward it. */
  actionable: boolean;
  /** Sent to the LA itself (LLLL), not one of its schools: it waits in the LA's own Download CTF Files. */
  toLaItself: boolean;
  /**
   * The LA's Delete emails its sender (a school, or another LA): not when the LA sent it itself (its own
   * upload, one of its inboxes', or a lost pupil's file it forwarded in its name). Another LA that
   * forwarded it is told too: LaDeletable's forwarderTold, on the pages that say its Delete.
   */
  senderTold: boolean;
}

export interface LaFile {
  file: LaFileListing;
  /** One page of its pupils (the first, in the list of files). */
  pupils: PupilDetails[];
  pupilPaging: PupilPaging;
}

/**
 * A CTF as its own pages and its Delete's answer say it: who else its Delete emails, and what it does to a
 * lost pupil's record, each by the rule remove() acts on.
 */
export interface LaDeletable extends LaFileListing {
  /**
   * The school the file waits for, emailed that the LA deleted it before it was collected
   * ('waiting-file-removed', destinationToldOf); null for a file sent to the LA itself (LLLL).
   */
  destinationTold: PartyLabel | null;
  /** With destinationTold: when it downloaded the file without confirming the download (Told's). */
  destinationDownloadedAt: string | null;
  /**
   * Another LA that forwarded the file to the LA's school, emailed too ('file-removed'), as a school's
   * Reject tells it (forwarderToldOf); null when there is none, or it is the sender (then told as that).
   */
  forwarderTold: PartyLabel | null;
  /**
   * A copy of a lost pupil's file the LA forwarded: its Delete makes the pupil's record lost again, the
   * file kept in the Lost Pupils Database to forward again (lost-pupils/forwarded-copies.ts). Said as
   * will happen on the Delete's page, as happened in its answer.
   */
  lostPupilAgain: boolean;
  /**
   * With lostPupilAgain: the LA that uploaded the record, when another LA forwarded it, emailed
   * ('lost-pupil-lost-again') as a Reject tells it (uploaderToldOf); else null.
   */
  uploaderTold: PartyLabel | null;
}

export interface LaDeletableFile {
  file: LaDeletable;
  /** One page of its pupils. */
  pupils: PupilDetails[];
  pupilPaging: PupilPaging;
}

export interface LaMonitorDeps {
  db: Db;
  files: Pick<EncryptedFileStore, 'get' | 'put' | 'remove'>;
  clock: Clock;
  logger: Logger;
}

type Ends = Pick<TransferRow, 'source_la' | 'source_inbox' | 'dest_kind' | 'dest_la'>;

function fromLa(row: Ends, laNumber: string): boolean {
  return row.source_la === laNumber && row.source_inbox === null;
}

function toLa(row: Ends, laNumber: string): boolean {
  return row.dest_la === laNumber && (row.dest_kind === 'school' || row.dest_kind === 'la');
}

/** The tab a CTF is in for an LA, or null when it neither starts nor ends there (the SQL's rule). */
export function laTabOf(row: Ends & Pick<TransferRow, 'category'>, laNumber: string): LaCtfTab | null {
  if (row.category !== 'ctf') return null;
  const from = fromLa(row, laNumber);
  const to = toLa(row, laNumber);
  if (from && to) return 'within';
  if (to) return 'incoming';
  if (from) return 'outgoing';
  return null;
}

/** Whether the LA may delete or forward the file: a CTF waiting for its schools or for itself. */
export function isAwaitingInLa(
  row: Ends & Pick<TransferRow, 'category' | 'status'>,
  laNumber: string,
): boolean {
  return row.category === 'ctf' && row.status === 'available' && toLa(row, laNumber);
}

/** The LA as the remover of what its Delete removes. */
/**
 * What the LA's Forward makes of a file it may forward: its own file (LLLL) is collected by forwarding it;
 * a school's file is taken away from that school (removed, and the school told).
 */
function originalBecomes(row: TransferRow): OriginalOutcome {
  return row.dest_kind === 'la' ? 'collected' : 'removed';
}

/** The Forward's plan, with the school the file is taken away from when it is told of it; else null. */
export interface LaForwardPlan extends ForwardPlan {
  originalTold: PartyLabel | null;
}

/** What an LA's list is sorted by: its files' names, upload times and both ends. */
type LaSortable = Omit<SortableListing, 'party'> & Pick<LaFileListing, 'source' | 'destination'>;

/** Sorts by the column asked for, reusing the Download lists' order (sortListings sorts by `party`). */
function sortLaListings<T extends LaSortable>(files: readonly T[], sort: Sort): T[] {
  const keyed = files.map((file) => ({
    file,
    id: file.id,
    filename: file.filename,
    uploadedAt: file.uploadedAt,
    party: sort.key === 'destination' ? file.destination : file.source,
  }));
  return sortListings(keyed, sort).map((keyedFile) => keyedFile.file);
}

export class LaMonitorService {
  private readonly forwarding: ForwardService;

  constructor(private readonly deps: LaMonitorDeps) {
    this.forwarding = new ForwardService(deps);
  }

  /**
   * One tab of the monitoring page, in one state: names, schools and dates only. By file name or upload
   * time (the default) the database sorts and reads one page, however many files the tab holds (a
   * collected tab holds years); by school, every file's keys are read and sorted here, by the schools'
   * names in the lists' order (compareBy), which neither engine's collation gives.
   */
  async monitor(
    actor: Actor,
    tab: LaCtfTab,
    show: LaShow,
    sort: Sort,
    page = 1,
  ): Promise<Page<LaFileListing>> {
    const laNumber = this.laOf(actor);
    const { status, lostPupils } = LA_SHOW_INFO[show];
    const query = { tab, status, lostPupils };
    const shown =
      sort.key === 'file' || sort.key === 'uploaded'
        ? await this.pageInDatabaseOrder(laNumber, query, { key: sort.key, order: sort.order }, page)
        : await this.pageSortedHere(laNumber, query, sort, page);
    const rows = new Map((await transfersByIds(this.deps.db, shown.items)).map((row) => [row.id, row]));
    // Belt and braces: the query already chose only this tab's files.
    const onPage = shown.items
      .flatMap((id) => rows.get(id) ?? [])
      .filter((row) => laTabOf(row, laNumber) === tab && (lostPupils || row.dest_kind !== 'lost-pupils'));
    const names = await organisationNames(this.deps.db, onPage);
    return { ...shown, items: this.listingsNamed(onPage, laNumber, names) };
  }

  /**
   * The CTFs the LA forwarded that their school rejected in the last REJECTED_FORWARD_DAYS, the latest
   * first. They are in no tab (a rejected file is no longer on its way, and one forwarded from one of the
   * LA's schools to another LA's school neither starts nor ends in the LA), so the monitoring page lists
   * them above the tabs, with the reason, as the sender's View / Remove Files lists its rejected files.
   */
  async rejectedForwards(actor: Actor): Promise<RejectedForwardListing[]> {
    const laNumber = this.laOf(actor);
    const since = daysBefore(this.deps.clock.now(), REJECTED_FORWARD_DAYS);
    const rows = await listRejectedForwards(this.deps.db, laNumber, since);
    const names = await organisationNames(this.deps.db, rows);
    return rows.map((row) => ({
      id: row.id,
      filename: row.filename,
      originalFilename: row.original_filename,
      destination: destinationLabel(row, names),
      rejectedAt: row.rejected_at ?? '',
      reason: row.reject_reason ?? '',
    }));
  }

  /**
   * "Delete files not collected by schools": the CTFs waiting for the LA's schools or the LA itself, with
   * the first page of their pupils (the rest on each file's page), by destination school and then oldest
   * first.
   */
  async awaiting(actor: Actor, page = 1): Promise<Page<LaFile>> {
    const laNumber = this.laOf(actor);
    const rows = (await listAwaitingInLa(this.deps.db, laNumber)).filter((row) =>
      isAwaitingInLa(row, laNumber),
    );
    const sorted = sortLaListings(await this.listings(rows, laNumber), {
      key: 'destination',
      order: 'ascending',
    });
    const shown = paged(sorted, page, AWAITING_PAGE_SIZE);
    const items: LaFile[] = [];
    for (const file of shown.items) items.push({ file, ...(await pupilsOnPage(this.deps.db, file.id, 1)) });
    return { ...shown, items };
  }

  /**
   * Whether the file still has its pages for the LA (file()): a refused delete shows its page again, with
   * why; one removed meanwhile by someone else (a colleague, its sender) has none.
   */
  async stillListed(actor: Actor, id: string): Promise<boolean> {
    try {
      await this.reachable(actor, id);
      return true;
    } catch (error) {
      if (error instanceof NotFound) return false;
      throw error;
    }
  }

  /**
   * One CTF addressed to the LA's schools or the LA (waiting, or collected since), with page `pupilPage`
   * of its pupils.
   */
  async file(actor: Actor, id: string, pupilPage = 1): Promise<LaDeletableFile> {
    const laNumber = this.laOf(actor, 'NotFound');
    const row = await this.reachable(actor, id);
    if (!isAwaitingInLa(row, laNumber)) await this.refuseIfForwarded(row, laNumber);
    const forwarding = await forwardingOf(this.deps.db, row);
    // The record its Delete would make lost again, read once for what the page says of it.
    const lostAgain =
      forwarding !== null && isAwaitingInLa(row, laNumber)
        ? await lostAgainIfRemoved(this.deps.db, row, forwarding.la)
        : null;
    return {
      file: await this.deletable(row, laNumber, forwarding, lostAgain),
      ...(await pupilsOnPage(this.deps.db, row.id, pupilPage)),
    };
  }

  /**
   * Delete: the file is removed, its content deleted, its sender told (see the top of this file). One the
   * actor deleted already (the form posted again, or at once: its update found the file removed) is
   * answered with `already`, and nothing is done again; one the LA forwarded meanwhile, AlreadyForwarded.
   */
  async remove(actor: Actor, id: string): Promise<LaDeletable & { already: boolean }> {
    const laNumber = this.laOf(actor, 'NotFound');
    const row = await this.actionable(actor, id, 'remove', { removedToo: true });
    if (row.status === 'removed') return this.deletedAlready(actor, row, laNumber);
    const at = this.deps.clock.now();
    const removed = await this.deps.db.transaction().execute(async (tx) => {
      const changed = await updateTransferIfStatus(tx, row.id, ['available'], {
        status: 'removed',
        removed_at: at.toISOString(),
        removed_by: actor.userId,
      });
      if (!changed) return undefined;
      // A lost pupil's file the LA forwarded, deleted before the school collected it: lost again.
      const forwarding = await forwardingOf(tx, row);
      const lostAgain = forwarding
        ? await lostPupilCopyGone(tx, actor, row, forwarding.la, at, 'removed')
        : null;
      const names = await organisationNames(tx, [row]);
      const destination = destinationLabel(row, names);
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
          removedBy: 'la',
          destination: destination.code,
        },
      });
      const payload = {
        filename: row.filename,
        removedBy: laName(laNumber, names.las.get(laNumber)),
        removedByCode: `${laNumber}LLLL`,
        destinationName: destination.name,
        destination: destination.code,
        removedAt: at.toISOString(),
      };
      // Not when the LA deletes its own file (its upload, or one it forwarded in its name): it knows. The
      // pages say who is told by the listing's senderTold, the same rule.
      if (!isSentByLa(row, laNumber)) {
        await enqueueNotification(tx, { at, template: 'file-removed', ...senderAddress(row), payload });
      }
      // The school it waited for, and another LA that forwarded it here (as a Reject tells it), are told
      // too; the pages say so by destinationTold and forwarderTold, the same rules.
      const after = (await getTransfer(tx, row.id)) as TransferRow;
      await tellOfRemoval(tx, { row: after, forwarding, remover: laRemover(laNumber), at });
      return { row: after, forwarding, lostAgain };
    });
    if (!removed) {
      // Changed since it was read: deleted by this same actor (the same form posted at once), forwarded
      // (AlreadyForwarded), removed by someone else (a colleague, its sender), collected (said so), or
      // changed otherwise.
      const now = await this.actionable(actor, row.id, 'remove', { removedToo: true });
      if (now.status === 'removed') return this.deletedAlready(actor, now, laNumber);
      throw new Invalid([keyedError('remove', 'transfer.la.just-changed', { filename: row.filename })]);
    }
    try {
      await purgeContent(this.deps.db, this.deps.files, this.deps.clock, row, 'removed', {
        userId: actor.userId,
        username: actor.username,
        organisation: organisationOf(actor),
      });
    } catch (error) {
      this.deps.logger.warn(
        { transferId: row.id, error: error instanceof Error ? error.message : String(error) },
        'could not delete the content of a removed transfer; the purge job or the sweep of unreferenced files will',
      );
    }
    return {
      ...(await this.deletable(removed.row, laNumber, removed.forwarding, removed.lostAgain)),
      already: false,
    };
  }

  /**
   * A removed file (not forwarded) deleting it again finds: deleted by the actor (its form posted again),
   * `already`; else Invalid, saying it has been removed (by a colleague, or its sender).
   */
  private async deletedAlready(
    actor: Actor,
    row: TransferRow,
    laNumber: string,
  ): Promise<LaDeletable & { already: true }> {
    if (row.removed_by !== actor.userId) {
      throw new Invalid([keyedError('remove', 'transfer.state.removed', { filename: row.filename })]);
    }
    // Who was told, by the same rule; the record as it is now (lost, its file kept), as the first answer said.
    const forwarding = await forwardingOf(this.deps.db, row);
    const lostAgain = forwarding !== null ? await lostWithFileKeptRecord(this.deps.db, row) : null;
    return { ...(await this.deletable(row, laNumber, forwarding, lostAgain)), already: true };
  }

  /**
   * The file as its pages say it, with who else its Delete tells (toldOfRemoval): `lostAgain`, the lost
   * pupil's record it makes (or made) lost again, read once by the caller.
   */
  private async deletable(
    row: TransferRow,
    laNumber: string,
    forwarding: Pick<Forwarding, 'la'> | null,
    lostAgain: Pick<LostPupilRow, 'source_la'> | null,
  ): Promise<LaDeletable> {
    const [file] = await this.listings([row], laNumber);
    const told = await toldOfRemoval(this.deps.db, row, forwarding, laRemover(laNumber), lostAgain);
    return {
      ...(file as LaFileListing),
      destinationTold: told.destination,
      destinationDownloadedAt: told.destinationDownloadedAt,
      forwarderTold: told.forwarder,
      lostPupilAgain: lostAgain !== null,
      uploaderTold: told.uploader,
    };
  }

  /**
   * Forward, step one: the new name and the destination, checked, to confirm; with the school the file is
   * taken away from, when it is told (toldDestination, the rule the forward emails by).
   */
  async forwardPlan(actor: Actor, id: string, school: string): Promise<LaForwardPlan> {
    const row = await this.actionable(actor, id, SCHOOL_FIELD);
    const plan = await this.forwarding.plan(row, school);
    const originalTold =
      originalBecomes(row) === 'removed'
        ? await toldDestination(this.deps.db, row, laRemover(this.laOf(actor, 'NotFound')))
        : null;
    return { ...plan, originalTold };
  }

  /** Forward, step two: done (forward-service.ts). */
  async forward(actor: Actor, id: string, school: string): Promise<ForwardResult> {
    const row = await this.actionable(actor, id, SCHOOL_FIELD);
    try {
      return await this.forwardingOnce(actor, row, () =>
        this.forwarding.forward({ actor, original: row, school, originalBecomes: originalBecomes(row) }),
      );
    } catch (error) {
      // Refused as changed meanwhile: collected, rejected or removed since it was read is said as such.
      if (error instanceof Invalid) await this.actionable(actor, id, SCHOOL_FIELD);
      throw error;
    }
  }

  /**
   * A CTF the actor's LA forwarded that its school rejected (the monitoring page's notice), with its
   * pupils while its content is kept, to forward it on to the school the pupil is at now.
   */
  async rejectedForward(actor: Actor, id: string, pupilPage = 1): Promise<RejectedForwardFile> {
    const laNumber = this.laOf(actor, 'NotFound');
    const row = await this.rejectedCopy(actor, id);
    const original = (await getTransfer(this.deps.db, row.forwarded_from as string)) as TransferRow;
    const [file] = await this.listings([row], laNumber);
    const pupils = await pupilsOnPage(this.deps.db, row.id, pupilPage);
    const names = await organisationNames(this.deps.db, [original]);
    const rejectedAt = row.rejected_at ?? '';
    const lostPupilRecord = (await this.keptInLostPupils(row))?.id ?? null;
    return {
      // The LA may forward it on while its content is kept, unless the Lost Pupils Database keeps it.
      file: { ...(file as LaFileListing), actionable: this.contentKept(row) && lostPupilRecord === null },
      ...pupils,
      originalFilename: original.filename,
      sentBy: sourceLabel(original, names),
      rejectedAt,
      reason: row.reject_reason ?? '',
      keptUntil: daysAfter(rejectedAt, REJECTED_RETENTION_DAYS),
      lostPupilRecord,
    };
  }

  /** Forwarding a rejected copy on, step one: the new name and the destination, checked, to confirm. */
  async forwardRejectedPlan(actor: Actor, id: string, school: string): Promise<ForwardPlan> {
    const row = await this.rejectedCopy(actor, id);
    await this.refuseIfKeptInLostPupils(row);
    return this.forwarding.plan(this.withContent(row), school, await this.rejectedCopyLimits(row));
  }

  /**
   * Forwarding a rejected copy on, step two, with the checks, confirmation, audit and emails of any forward
   * (forward-service.ts). The copy stays rejected: its school did reject it.
   */
  async forwardRejected(actor: Actor, id: string, school: string): Promise<ForwardResult> {
    const row = await this.rejectedCopy(actor, id);
    await this.refuseIfKeptInLostPupils(row);
    const limits = await this.rejectedCopyLimits(row);
    return this.forwardingOnce(actor, row, () =>
      this.forwarding.forward({
        actor,
        original: this.withContent(row),
        school,
        originalBecomes: 'rejected',
        from: ['rejected'],
        ...limits,
      }),
    );
  }

  // -------------------------------------------------------------------------------------------------

  /** The ids of a page of a tab, sorted and paged by the database (laCtfPageQuery). */
  private async pageInDatabaseOrder(
    laNumber: string,
    query: LaCtfQuery,
    sort: LaCtfOrder,
    page: number,
  ): Promise<Page<string>> {
    const found = await windowPage(page, MONITOR_PAGE_SIZE, async (window) => ({
      rows: await listLaCtfPage(this.deps.db, laNumber, query, sort, window),
      total: await countLaCtfs(this.deps.db, laNumber, query),
    }));
    return { items: found.rows, total: found.total, page: found.page, pageCount: found.pages };
  }

  /** The ids of a page of a tab sorted by school: every file's keys read, sorted by the schools' names. */
  private async pageSortedHere(
    laNumber: string,
    query: LaCtfQuery,
    sort: Sort,
    page: number,
  ): Promise<Page<string>> {
    const keys = await listLaCtfs(this.deps.db, laNumber, query);
    const names = await organisationNames(this.deps.db, keys);
    const sorted = sortLaListings(
      keys.map((row) => ({
        id: row.id,
        filename: row.filename,
        uploadedAt: row.uploaded_at,
        source: sourceLabel(row, names),
        destination: destinationLabel(row, names),
      })),
      sort,
    );
    const shown = paged(sorted, page, MONITOR_PAGE_SIZE);
    return { ...shown, items: shown.items.map((file) => file.id) };
  }

  /**
   * The actor's LA, for a role with the capability. Lists refuse others (Forbidden); file actions say
   * "not found", as for any file the actor cannot reach.
   */
  private laOf(actor: Actor, refusal: 'Forbidden' | 'NotFound' = 'Forbidden'): string {
    if (can(actor.role, 'transfers.la-monitor') && scopeOf(actor.role) === 'la' && actor.laNumber) {
      return actor.laNumber;
    }
    throw refusal === 'Forbidden' ? new Forbidden() : new NotFound(message('transfer.not-found.file'));
  }

  /**
   * A CTF addressed to the actor's LA's schools or the LA itself, waiting or collected; AlreadyForwarded
   * for one the LA forwarded (removed by it, or a rejected copy forwarded on); else NotFound.
   * `removedToo`: also one removed (not by the LA's forward), for its Delete form posted again, which
   * says so.
   */
  private async reachable(actor: Actor, id: string, { removedToo = false } = {}): Promise<TransferRow> {
    const laNumber = this.laOf(actor, 'NotFound');
    const row = isId(id) ? await getTransfer(this.deps.db, id) : undefined;
    if (row?.category !== 'ctf' || !toLa(row, laNumber)) {
      throw new NotFound(message('transfer.not-found.file'));
    }
    if (row.status !== 'available' && row.status !== 'collected') {
      await this.refuseIfForwarded(row, laNumber);
      if (removedToo && row.status === 'removed') return row;
      throw new NotFound(message('transfer.not-found.file'));
    }
    return row;
  }

  /**
   * A file the LA may delete or forward now; a collected one is explained (forwarded, or collected).
   * `removedToo`: or one removed (reachable), returned as it is.
   */
  private async actionable(
    actor: Actor,
    id: string,
    field: string,
    options: { removedToo?: boolean } = {},
  ): Promise<TransferRow> {
    let row: TransferRow;
    try {
      row = await this.reachable(actor, id, options);
    } catch (error) {
      throw (await this.goneSince(actor, id, field, error)) ?? error;
    }
    if (row.status === 'removed') return row;
    const laNumber = this.laOf(actor, 'NotFound');
    if (!isAwaitingInLa(row, laNumber)) {
      await this.refuseIfForwarded(row, laNumber);
      throw new Invalid([
        keyedError(
          field,
          row.dest_kind === 'la' ? 'transfer.la.collected-by-la' : 'transfer.la.collected-by-school',
          { filename: row.filename },
        ),
      ]);
    }
    return row;
  }

  /**
   * A file of the LA's schools that its school rejected, or its sender removed, since the LA's page showed
   * it: said as done by someone else (decision 53), where `reachable` answers "not found" as for a file
   * the LA cannot see. Undefined for any other refusal.
   */
  private async goneSince(actor: Actor, id: string, field: string, refusal: unknown) {
    if (!(refusal instanceof NotFound)) return undefined;
    const row = isId(id) ? await getTransfer(this.deps.db, id) : undefined;
    if (row?.category !== 'ctf' || !toLa(row, this.laOf(actor, 'NotFound'))) return undefined;
    if (row.status !== 'rejected' && row.status !== 'removed') return undefined;
    const key =
      field === SCHOOL_FIELD ? `transfer.forward.cannot.${row.status}` : `transfer.state.${row.status}`;
    return new Invalid([keyedError(field, key, { filename: row.filename })]);
  }

  /** Throws AlreadyForwarded when the LA (laNumber) forwarded this file already. */
  private async refuseIfForwarded(row: TransferRow, laNumber: string): Promise<void> {
    const copy = await copyForwardedFrom(this.deps.db, row.id);
    if (!copy || copy.forwarding_la !== laNumber) return;
    const names = await organisationNames(this.deps.db, [copy]);
    throw new AlreadyForwarded({
      filename: row.filename,
      copyId: copy.id,
      newName: copy.filename,
      destination: destinationLabel(copy, names),
      forwardedAt: copy.uploaded_at,
      copyStatus: copy.status,
    });
  }

  /**
   * Runs a forward; when it is refused because the file changed meanwhile, says AlreadyForwarded if that
   * change was this LA's forward of it (a second submit of one confirmation racing the first).
   */
  private async forwardingOnce(
    actor: Actor,
    row: TransferRow,
    forward: () => Promise<ForwardResult>,
  ): Promise<ForwardResult> {
    try {
      return await forward();
    } catch (error) {
      if (error instanceof Invalid) await this.refuseIfForwarded(row, this.laOf(actor, 'NotFound'));
      throw error;
    }
  }

  /**
   * A CTF the actor's LA forwarded (forwarding_la) that its school rejected; AlreadyForwarded once the LA
   * forwarded it on; NotFound for anything else, so another LA cannot learn that it exists.
   */
  private async rejectedCopy(actor: Actor, id: string): Promise<TransferRow> {
    const laNumber = this.laOf(actor, 'NotFound');
    const row = isId(id) ? await getTransfer(this.deps.db, id) : undefined;
    if (
      row?.category !== 'ctf' ||
      row.status !== 'rejected' ||
      row.forwarded_from === null ||
      row.forwarding_la !== laNumber
    ) {
      throw new NotFound(message('transfer.not-found.file'));
    }
    await this.refuseIfForwarded(row, laNumber);
    return row;
  }

  /**
   * The lost pupil file a rejected copy was made from, when the Lost Pupils Database still keeps it for its
   * record (lost again since the rejection, decision 38); undefined otherwise. A copy made before decision
   * 38, whose lost pupil file was collected and purged, is still forwarded on from here (decision 37).
   */
  private async keptInLostPupils(row: TransferRow): Promise<TransferRow | undefined> {
    const file = await lostPupilFileOf(this.deps.db, row);
    const kept = file?.status === 'available' && file.storage_key !== null;
    return kept && (await getLostPupil(this.deps.db, file.id)) ? file : undefined;
  }

  /**
   * Invalid when the Lost Pupils Database keeps the file: one forward at a time, from the record, so that
   * the record and the forward-once rule see every copy (decision 38).
   */
  private async refuseIfKeptInLostPupils(row: TransferRow): Promise<void> {
    if (!(await this.keptInLostPupils(row))) return;
    throw new Invalid([
      keyedError(SCHOOL_FIELD, 'transfer.la.rejected-forward.in-lost-pupils', { filename: row.filename }),
    ]);
  }

  /**
   * Whether a rejected copy's content is kept: until the time its page gives (keptUntil), whether or not
   * the purge job has run since, as a download's 7 days end at the time its page gives.
   */
  private contentKept(row: TransferRow): boolean {
    // Rejected: kept 7 days from the rejection, forwarded on or not.
    return row.storage_key !== null && !contentDue(row, this.deps.clock.now(), { forwarded: false });
  }

  /** The rejected copy, if its content is still kept; else Invalid saying it went and what to do. */
  private withContent(row: TransferRow): TransferRow {
    if (!this.contentKept(row)) {
      throw new Invalid([
        keyedError(SCHOOL_FIELD, 'transfer.la.rejected-forward.purged', {
          filename: row.filename,
          days: String(REJECTED_RETENTION_DAYS),
        }),
      ]);
    }
    return row;
  }

  /**
   * Where a rejected copy may go: a copy of a lost pupil's file stays within the LA, as the Lost Pupils
   * Database's forward keeps it (its attestation is for a school "in your LEA"); any other, wherever the
   * LA's first forward could have sent it.
   */
  private async rejectedCopyLimits(row: TransferRow): Promise<ForwardOptions> {
    const original = await getTransfer(this.deps.db, row.forwarded_from as string);
    return original?.dest_kind === 'lost-pupils' && row.forwarding_la ? { onlyLa: row.forwarding_la } : {};
  }

  private async listings(rows: TransferRow[], laNumber: string): Promise<LaFileListing[]> {
    return this.listingsNamed(rows, laNumber, await organisationNames(this.deps.db, rows));
  }

  private listingsNamed(rows: TransferRow[], laNumber: string, names: OrganisationNames): LaFileListing[] {
    const now = this.deps.clock.now();
    return rows.map((row) => {
      const source = sourceLabel(row, names);
      return {
        ...listing(row, source, now),
        source,
        destination: destinationLabel(row, names),
        actionable: isAwaitingInLa(row, laNumber),
        toLaItself: row.dest_kind === 'la',
        senderTold: !isSentByLa(row, laNumber),
      };
    });
  }
}
