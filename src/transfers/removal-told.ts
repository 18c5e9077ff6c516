// Who a removal of a file tells beside its sender, by one set of rules the emails are sent by and the pages
// and answers say them by (decisions 53, 56, 58 and 60). A file is removed by its sender (View / Remove
// Files, sent-service.ts; the API's DELETE) or, a CTF waiting for one of its schools or for itself, by the
// LA (Delete files not collected by schools, la-monitor-service.ts):
//
// - its destination, a school or an LA, when the file was waiting for it to collect: a CTF offered to it
//   (its virus scan passed, or none was needed), neither rejected nor collected. It may have seen the
//   file in its Download CTF Files, or been emailed that it arrived ('ctf-uploaded'); it is told that the
//   file was removed before it was collected, by whom, and that it need do nothing, as the sender sends it
//   again if needed ('waiting-file-removed'). Not when the destination is the remover itself (an LA
//   deleting a file sent to its own LLLL). Files of other kinds send no email when they arrive (LA notes
//   §5.7), nor when they are removed. A destination that downloaded the file but never said it was
//   downloaded correctly (so it still waited) is told that too, and to delete the copy it downloaded
//   (the payload's downloadedAt; decision 64).
//   The LA's Forward of a school's file to the school it was meant for (forward-service.ts, the original
//   'removed') takes it away from that school by the same rule: it is told its LA passed the file on, never
//   to which school (where the pupil went is not its to know), and that it need do nothing
//   ('waiting-file-forwarded', tellOfForwardAway; decision 64).
// - a lost pupil's file (no destination) tells, as its destination, the LA whose Lost Pupil user last
//   downloaded it without the pupil being found: it may hold a copy, and is asked to delete it
//   (lostPupilDownloaderToldOf; 'waiting-file-removed' with `lostPupils`; decision 79).
// - the LA that forwarded a copy (LA notes §4.2), as a Reject tells it (forwarderToldOf), unless it removes
//   the copy itself or is its sender: the 'forwarded-file-removed' email names the file it forwarded, that
//   file's sender, and who removed the copy (tellOfRemoval).
// - the LA that uploaded a lost pupil's record the removal makes lost again, when another
//   (lost-pupils/forwarded-copies.ts, uploaderToldOf): emailed by lostPupilCopyGone, said here by the same
//   rule from the record read once (lostAgainIfRemoved, lostWithFileKeptRecord).
//
// Nobody is emailed about what their own organisation did.

import { getUserRow } from '../accounts/repository.ts';
import type { Actor } from '../auth/actor.ts';
import { scopeOf } from '../auth/permissions.ts';
import { uploaderToldOf } from '../lost-pupils/forwarded-copies.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import type { Executor, LostPupilRow, TransferRow } from '../platform/db/schema.ts';
import { destinationLabel, OFFERED_SCANS, type PartyLabel, sourceLabel } from './download-listing.ts';
import { type OrganisationNames, organisationNames } from './download-repository.ts';
import { forwardedFacts, isSentByLa, senderAddress } from './download-service.ts';
import type { Forwarding } from './forward-service.ts';

/** An organisation as emails address it: a school by its number, an LA (or one of its inboxes) by its. */
export interface Address {
  recipientKind: 'school' | 'la';
  recipient: string;
}

/**
 * The organisation a removal is made by: a school user's school, an LA user's LA (whichever its role).
 * Nobody is emailed about what it did itself.
 */
export type Remover = Address;

export function removerOf(actor: Actor): Remover {
  return scopeOf(actor.role) === 'school' && actor.establishmentNumber
    ? { recipientKind: 'school', recipient: actor.establishmentNumber }
    : laRemover(actor.laNumber ?? '');
}

/** An LA as the remover, whichever of its users acts. */
export function laRemover(laNumber: string): Remover {
  return { recipientKind: 'la', recipient: laNumber };
}

function sameAddress(a: Address, b: Address): boolean {
  return a.recipientKind === b.recipientKind && a.recipient === b.recipient;
}

/** Where a file's destination is emailed: its school, or its LA (LLLL or an inbox); none for the LPD. */
function destinationAddress(row: Pick<TransferRow, 'dest_kind' | 'dest_la' | 'dest_school'>): Address | null {
  if (row.dest_kind === 'school' && row.dest_school)
    return { recipientKind: 'school', recipient: row.dest_school };
  if ((row.dest_kind === 'la' || row.dest_kind === 'la-inbox') && row.dest_la) {
    return { recipientKind: 'la', recipient: row.dest_la };
  }
  return null;
}

/**
 * Whether the file waits for its destination to collect it, or did when it was removed: offered to it (its
 * scan passed or none was needed), never rejected nor collected. A removal keeps what the file was: each
 * change of status (the scan's release, a Reject, a collection) is made only from the status before it,
 * with its own columns, so a removed file's columns say which it was removed from.
 */
export function waitingForCollection(
  row: Pick<TransferRow, 'status' | 'scan_status' | 'rejected_at' | 'collected_at'>,
): boolean {
  if (row.status === 'available') return true;
  return (
    row.status === 'removed' &&
    OFFERED_SCANS.includes(row.scan_status) &&
    row.rejected_at === null &&
    row.collected_at === null
  );
}

/**
 * The destination a removal of this file tells ('waiting-file-removed'): a CTF's school or LA, while the
 * file waits for it to collect (waitingForCollection), unless it is the remover. Its address, else null.
 */
export function destinationToldOf(row: TransferRow, remover: Remover): Address | null {
  if (row.category !== 'ctf' || !waitingForCollection(row)) return null;
  const to = destinationAddress(row);
  return to && !sameAddress(to, remover) ? to : null;
}

/**
 * The LA a removal of a lost pupil's file tells as its destination (decision 79, as decision 64 tells a
 * CTF's): the LA whose Lost Pupil user last downloaded it from the database without the pupil being found
 * (a found pupil's file is not removed by its sender), so it may hold a copy to forward or load. Not the
 * remover itself. Only the last download is kept on the file (`downloaded_by`): an earlier LA's is not known
 * here. Its address, else null.
 */
export async function lostPupilDownloaderToldOf(
  db: Executor,
  row: TransferRow,
  remover: Remover,
): Promise<Address | null> {
  if (row.dest_kind !== 'lost-pupils' || !waitingForCollection(row)) return null;
  if (!row.last_downloaded_at || !row.downloaded_by) return null;
  const la = (await getUserRow(db, row.downloaded_by))?.la_number;
  if (!la) return null;
  const to: Address = { recipientKind: 'la', recipient: la };
  return sameAddress(to, remover) ? null : to;
}

/**
 * Whom a removal of a forwarded copy tells beside the file's sender: the LA that forwarded it (in the
 * handbook's way, download, rename and upload, that LA would be its sender, LA notes §4.2), as a school's
 * Reject tells it (download-service.ts). Not the removing LA itself (it knows), nor an LA that is the
 * file's sender (told as the sender, or the remover). The LA's number, else null.
 */
export function forwarderToldOf(
  row: TransferRow,
  forwarding: Pick<Forwarding, 'la'> | null,
  remover: Remover,
): string | null {
  if (!forwarding || sameAddress({ recipientKind: 'la', recipient: forwarding.la }, remover)) return null;
  return isSentByLa(row, forwarding.la) ? null : forwarding.la;
}

/** Who a removal emails beside the file's sender, as its pages and answers name them; null for nobody. */
export interface Told {
  /** The destination that could have collected the file (destinationToldOf). */
  destination: PartyLabel | null;
  /**
   * With destination: when it last downloaded the file, if it did without confirming the download (it may
   * hold a copy: its email asks it to delete that copy, waitingFacts); else null.
   */
  destinationDownloadedAt: string | null;
  /** The LA that forwarded the copy (forwarderToldOf). */
  forwarder: PartyLabel | null;
  /** With a lost pupil's record made lost again: the LA that uploaded it, when another (uploaderToldOf). */
  uploader: PartyLabel | null;
}

/**
 * Who a removal of this file emails beside its sender (Told), by the rules it emails by. `lostAgain` is the
 * lost pupil's record the removal makes (or made) lost again, as read once by the caller (its page:
 * lostAgainIfRemoved; its answer: lostPupilCopyGone; its answer given again: lostWithFileKeptRecord).
 */
export async function toldOfRemoval(
  db: Executor,
  row: TransferRow,
  forwarding: Pick<Forwarding, 'la'> | null,
  remover: Remover,
  lostAgain: Pick<LostPupilRow, 'source_la'> | null,
): Promise<Told> {
  const forwarder = forwarderToldOf(row, forwarding, remover);
  const uploader = lostAgain && forwarding ? uploaderToldOf(lostAgain, forwarding.la) : null;
  const destination = await toldDestination(db, row, remover);
  return {
    destination,
    destinationDownloadedAt: destination ? row.last_downloaded_at : null,
    forwarder: forwarder ? await laLabel(db, forwarder) : null,
    uploader: uploader ? await laLabel(db, uploader) : null,
  };
}

/** An LA as the pages name it: "Ayshire LA", with its code. */
export async function laLabel(db: Executor, laNumber: string): Promise<PartyLabel> {
  return organisationLabel(db, { recipientKind: 'la', recipient: laNumber });
}

/** A school or an LA as the pages and emails name it, with its code. */
async function organisationLabel(db: Executor, organisation: Address): Promise<PartyLabel> {
  const school = organisation.recipientKind === 'school' ? organisation.recipient : null;
  const ends = {
    source_la: school ? school.slice(0, 3) : organisation.recipient,
    source_school: school,
    source_inbox: null,
  };
  return sourceLabel(ends, await organisationNames(db, [{ ...ends, dest_la: null, dest_school: null }]));
}

/**
 * What the destination's email says of the file it waited for beside who took it away: who sent it, and
 * when the destination last downloaded it, when it did without saying it was downloaded correctly.
 */
function waitingFacts(
  row: TransferRow,
  names: OrganisationNames,
): { sentBy: PartyLabel['name']; sentByCode: string; downloadedAt?: string } {
  const sentBy = sourceLabel(row, names);
  return {
    sentBy: sentBy.name,
    sentByCode: sentBy.code,
    ...(row.last_downloaded_at ? { downloadedAt: row.last_downloaded_at } : {}),
  };
}

/**
 * The destination a removal tells, as the pages name it (destinationToldOf); null for nobody. The LA's
 * Forward takes a file away from the school it waited for by the same rule (forward-service.ts, the
 * original 'removed'), the forwarding LA being the remover: its page and answer name that school so.
 */
export async function toldDestination(
  db: Executor,
  row: TransferRow,
  remover: Remover,
): Promise<PartyLabel | null> {
  if (destinationToldOf(row, remover)) return destinationLabel(row, await organisationNames(db, [row]));
  const downloader = await lostPupilDownloaderToldOf(db, row, remover);
  return downloader ? organisationLabel(db, downloader) : null;
}

/**
 * The email of the LA's Forward to the school it takes the file away from ('waiting-file-forwarded'),
 * when destinationToldOf names it; in the forward's transaction, `row` the original as the forward left it.
 * It names the file, its sender and the forwarding LA, never the school the file went to. Returns that
 * school as the pages name it, else null.
 */
export async function tellOfForwardAway(
  tx: Executor,
  forward: { row: TransferRow; forwarder: Remover; at: Date },
): Promise<PartyLabel | null> {
  const { row, forwarder, at } = forward;
  const to = destinationToldOf(row, forwarder);
  if (!to) return null;
  const names = await organisationNames(tx, [row]);
  const forwardedBy = await organisationLabel(tx, forwarder);
  await enqueueNotification(tx, {
    at,
    template: 'waiting-file-forwarded',
    ...to,
    payload: {
      filename: row.filename,
      forwardedBy: forwardedBy.name,
      forwardedByCode: forwardedBy.code,
      forwardedAt: at.toISOString(),
      ...waitingFacts(row, names),
    },
  });
  return destinationLabel(row, names);
}

/**
 * The emails of a removal beside the sender's ('file-removed', the LA's Delete) and the lost-again one:
 * to the destination ('waiting-file-removed', destinationToldOf) and to the LA that forwarded the copy
 * ('forwarded-file-removed', forwarderToldOf), naming the remover; in the removal's transaction. `row` is
 * the file as the removal left it (read in its transaction), so that what it was removed from is known.
 */
export async function tellOfRemoval(
  tx: Executor,
  removal: {
    row: TransferRow;
    forwarding: Pick<Forwarding, 'la' | 'original' | 'sentBy'> | null;
    remover: Remover;
    at: Date;
  },
): Promise<void> {
  const { row, forwarding, remover, at } = removal;
  // A lost pupil's file has no destination: the LA that downloaded it is told as one (decision 79).
  const downloaderTo = await lostPupilDownloaderToldOf(tx, row, remover);
  const destinationTo = destinationToldOf(row, remover) ?? downloaderTo;
  const forwarderTo = forwarderToldOf(row, forwarding, remover);
  if (!destinationTo && !forwarderTo) return;
  const names = await organisationNames(tx, [row]);
  const removedBy = await organisationLabel(tx, remover);
  const removed = {
    filename: row.filename,
    removedBy: removedBy.name,
    removedByCode: removedBy.code,
    removedAt: at.toISOString(),
  };
  if (destinationTo) {
    await enqueueNotification(tx, {
      at,
      template: 'waiting-file-removed',
      ...destinationTo,
      payload: { ...removed, ...waitingFacts(row, names), ...(downloaderTo ? { lostPupils: true } : {}) },
    });
  }
  if (forwarderTo && forwarding) {
    const destination = destinationLabel(row, names);
    // The sender is emailed too unless it removed the file itself (the LA's Delete emails it).
    const senderTold = !sameAddress(senderAddress(row), remover);
    await enqueueNotification(tx, {
      at,
      template: 'forwarded-file-removed',
      recipientKind: 'la',
      recipient: forwarderTo,
      payload: {
        ...removed,
        destinationName: destination.name,
        destination: destination.code,
        ...forwardedFacts(forwarding, senderTold),
      },
    });
  }
}
