// Forwarding a CTF to the right school (LA notes §4.2 and §5.3 "delete or forward as applicable"). The
// handbook's way is by hand: download the file, rename it so that its destination is the school, upload
// it again. Here it is one step that keeps what the handbook keeps and records what it cannot:
//
// - The new name keeps the original's source and sequence number and names the destination school:
//   9165402_CTF_916LLLL_007.XML -> 9165402_CTF_8171234_007.XML (the original source stays the sender,
//   so the school that made the file is the one told when it is collected). One exception: a lost
//   pupil's file is passed on as the forwarding LA's own, 9165402_CTF_XXXXXXXX_003.XML ->
//   916LLLL_CTF_9163001_003.XML, as the handbook's way (download, rename, upload as the LA: its example
//   is "681LLLL_CTF_6812049.xml", LA notes §4.2) makes it. The Lost Pupils Database is for LAs only
//   (§1.3): the school that sent the pupil there is not shown where they went, cannot remove a file it
//   did not send, and is not the one told when it is collected; the LA is, and gets the sender's
//   confirmation, as for its own uploads (§4.2). It also lets a pupil who returned go back to the
//   school they left: a name cannot go from a school to itself. Other files are never forwarded to the
//   school that sent them: it already has the pupil's details.
// - The new name is one the destination school does not already hold (a CTF waiting for it, awaiting
//   its scan, or collected and still offered again): otherwise the next free sequence number NNN after
//   the original's is used (001 after 999), and the confirmation says why. Two files of one name would
//   reach the school's zip download as "NAME (2).XML", a name outside the handbook's format (§8).
//   Uploads keep the sender's own name, as the MIS made it: only a forward makes a name up.
// - The new name passes the upload's name checks: classifyFilename (a CTF name whose source and
//   destination differ) and partyMessages (the destination school exists, uses s2s, is open and
//   active). Two of the upload's checks do not apply, on purpose: the source check (the forwarder is
//   not the source; that is the point of forwarding, see upload-service.ts "Not done here") and the
//   comparison of the CTF header's destination with the name (the content is forwarded unchanged, as a
//   renamed file is, so its header still names the first destination). The content itself passed the
//   upload's checks when it arrived, and is checked against its SHA-256 as it is copied.
// - The content is decrypted (its SHA-256 checked) and encrypted again under a new data key, into a new
//   blob of its own. Copying the stored blob and its wrapped key would be cheaper, but then two
//   transfers would share one blob: purging or removing one (the original is purged 7 days after it is
//   collected, or at once when removed) would delete the other's content, and one data key would
//   protect two records with different lifetimes. A copy of its own has neither problem.
// - The new transfer has forwarded_from = the original's id, the original's pupils, and is waiting
//   for the school ('available'), uploaded by the forwarding user, now.
// - The original becomes what the caller says: 'collected' when it was the forwarder's own file (the
//   LA took it and passed it on, as a download would), 'removed' when it was waiting for another
//   organisation (a school's file sent to the wrong school: that school must no longer see it), or
//   'kept' as it was (a lost pupil's file: it stays, with its content, while the school's copy waits,
//   and until its LA removes it when another LA forwarded it; decisions 36 and 38), or 'rejected' as it was (a copy its school rejected, which
//   the LA forwards on). A removed original's content is deleted at once after the commit, as a sender's removal is (sent-service.ts); if that fails, the purge job finishes it.
// - One transaction: the new transfer and its pupils, the original's change (only if it is still in a
//   state the caller allows, so a school collecting it at the same moment wins cleanly), a
//   'file-forwarded' audit record on each of the two, and the 'ctf-uploaded' email to the new
//   destination through the outbox. The blob is stored before the transaction and removed again if the
//   transaction fails; a crash in between leaves an unreferenced blob and no record, as an upload does.
// - The school a removed original waited for (a school's file sent to the wrong school) is told, in the
//   forward's transaction, by decision 60's rule (destinationToldOf, removal-told.ts: a CTF offered to it,
//   neither rejected nor collected; downloaded but never said to be downloaded correctly counts as
//   waiting): 'waiting-file-forwarded' says its LA passed the file on to the school it was meant for and
//   that it need do nothing (or, if it downloaded it, to delete its copy), never naming that school: where
//   the pupil went is not the first school's to know. The result names it (originalTold) for the answer;
//   the confirmation page asks the same rule (toldDestination). Decision 64.
// - The original sender is not emailed at the forward: its file is still on its way. It is told when
//   the school collects the forwarded file (download-service.ts emails the source of a collected CTF).
//   When the new file is the forwarding LA's own (a lost pupil's), the LA gets 'upload-confirmed'.
// - The forwarding LA is told what became of the file, as the handbook's way (download, rename, upload
//   as the LA) would make it the sender and give it the "final email ... when the destination school
//   downloads or rejects the CTF" (LA notes §4.2): download-service.ts emails it
//   'forwarded-file-downloaded' or 'forwarded-file-rejected' (with the reason and what it can do), the
//   original sender keeping its own email. Where the LA is the sender already (a lost pupil's file),
//   the LA gets that one email in place of the sender's, not both. The forwarding LA is the copy's
//   uploader's (forwardingOf below): only LA users forward, and a user's LA never changes. The LA's
//   monitoring page lists the copies it forwarded that were rejected (la-monitor-service.ts), as the
//   sender's View / Remove Files lists its rejected files.
//
// - A file is forwarded once: the transaction takes the original's row, then finds no other copy of it
//   (copyForwardedFrom), so a second confirmation makes nothing; the caller says where the first went
//   (two forwards at once: the second waits for the first's lock and then finds its copy).
// - A copy its school rejected can be forwarded on by the LA that forwarded it, while its content is kept
//   (7 days after the rejection): the copy stays 'rejected' (docs/decisions.md, 37).
//
// Who may forward which file is the caller's decision (ForwardService checks only the file and the
// destination): la-monitor-service.ts for an LA's own LLLL files, its schools' uncollected files and the
// copies it forwarded that were rejected.
// The Lost Pupils issue reuses this for "forward to school" from the lost pupils database: its service
// checks the lost-pupil transfer role, the attestation and that the record is one its LA may act on,
// then calls forward() with originalBecomes 'kept' (the file stays while the school's copy waits; its LA's
// own becomes collected when the school collects the copy, lostPupilCopyCollected; decision 38) and onlyLa
// set to the actor's LA (the attestation is about a school "in your LEA"); the name rule below already
// turns XXXXXXXX / MMMMMMMM names into school names.
import { randomUUID } from 'node:crypto';
import type { Updateable } from 'kysely';
import { recordAudit } from '../audit/repository.ts';
import type { Actor } from '../auth/actor.ts';
import { organisationOf } from '../auth/actor.ts';
import { scopeOf } from '../auth/permissions.ts';
import { laName, nameAndCode, type OrganisationName, schoolName } from '../directory/organisation-names.ts';
import { getEstablishment, getLocalAuthority } from '../directory/repository.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Executor, TransferRow, TransferStatus, TransferTable } from '../platform/db/schema.ts';
import { Invalid } from '../platform/errors.ts';
import { keyedError, sentenceError } from '../platform/i18n/catalogue.ts';
import type { Logger } from '../platform/logger.ts';
import type { EncryptedFileStore, StoredFile } from '../platform/storage/encrypted-store.ts';
import { destinationLabel, type PartyLabel, sourceLabel } from './download-listing.ts';
import {
  copyForwardedFrom,
  ctfNamesHeldFor,
  organisationNames,
  updateTransferIfStatus,
} from './download-repository.ts';
import { type ClassifiedFilename, classifyFilename } from './filenames.ts';
import { contentLostSince, purgeContent } from './jobs.ts';
import { actorParty, isSender } from './parties.ts';
import { removerOf, tellOfForwardAway } from './removal-told.ts';
import { getTransfer, insertTransfer, lockFilename, type NewTransferPupil, pupilsOf } from './repository.ts';
import { partyMessages } from './routing.ts';

export interface ForwardDeps {
  db: Db;
  files: Pick<EncryptedFileStore, 'get' | 'put' | 'remove'>;
  clock: Clock;
  logger: Logger;
}

/**
 * What the original becomes once forwarded (see the top of this file). A forwarded copy its school
 * rejected stays 'rejected' when the LA forwards it on: the school did reject it, and its sender's View /
 * Remove Files says so; its content is purged 7 days after the rejection, as any rejected file's. A kept
 * original (a lost pupil's file another LA is responsible for) stays as it was.
 */
export type OriginalOutcome = 'collected' | 'removed' | 'rejected' | 'kept';

export interface ForwardOptions {
  /** Only schools of this LA may receive it (the lost pupils database's attested forward). */
  onlyLa?: string;
}

export interface ForwardRequest extends ForwardOptions {
  actor: Actor;
  /** The file to forward, already authorised by the caller. */
  original: TransferRow;
  /** The destination school's number as the user typed it. */
  school: string;
  originalBecomes: OriginalOutcome;
  /** The states the original must still be in when the forward is recorded; 'available' unless told. */
  from?: readonly TransferStatus[];
  /**
   * What else the caller records with the forward, in its transaction (the Lost Pupils Database marks
   * the pupil found): both happen, or neither.
   */
  alongside?: (tx: Executor, forwarded: TransferRow, plan: ForwardPlan) => Promise<void>;
}

/** A forward checked and ready to confirm: what the new file will be called and where it will go. */
export interface ForwardPlan {
  filename: string;
  /** The name the new file would have had, when the school already holds a file of that name. */
  takenName: string | null;
  file: ClassifiedFilename;
  source: PartyLabel;
  destination: PartyLabel;
}

export interface ForwardResult {
  plan: ForwardPlan;
  /** The new transfer, waiting for the destination school. */
  forwarded: TransferRow;
  /** The original, now collected or removed, or kept as it was. */
  original: TransferRow;
  /**
   * The school a removed original waited for, emailed that its LA passed the file on
   * ('waiting-file-forwarded', tellOfForwardAway); null when nobody was.
   */
  originalTold: PartyLabel | null;
}

/**
 * The change to the original's row for each outcome. An original that stays as it was is written as it
 * was read, which locks its row until the forward commits.
 */
const ORIGINAL_CHANGES: Record<
  OriginalOutcome,
  (original: TransferRow, at: string, by: string) => Updateable<TransferTable>
> = {
  collected: (_original, at) => ({ status: 'collected', collected_at: at }),
  removed: (_original, at, by) => ({ status: 'removed', removed_at: at, removed_by: by }),
  rejected: () => ({ status: 'rejected' }),
  kept: (original) => ({ status: original.status }),
};

/** The form field errors are reported against. */
export const SCHOOL_FIELD = 'school';

/**
 * Why a file the form showed cannot be forwarded now, by what it has become meanwhile. One still waiting
 * ('available') when the caller forwards only from other states has changed all the same.
 */
const CANNOT_FORWARD: Record<TransferStatus, string> = {
  available: 'transfer.forward.changed',
  'pending-scan': 'transfer.forward.cannot.pending-scan',
  quarantined: 'transfer.forward.cannot.quarantined',
  collected: 'transfer.forward.cannot.collected',
  rejected: 'transfer.forward.cannot.rejected',
  removed: 'transfer.forward.cannot.removed',
};

/** A school's DfE number as people write it: 9165402, 916 5402, 916/5402. Null unless 7 digits. */
export function readSchoolNumber(input: string): string | null {
  const digits = input.trim().replace(/[\s/-]/g, '');
  return /^\d{7}$/.test(digits) ? digits : null;
}

/**
 * The original's name with another destination: SOURCE_CTF_DEST_NNN.ext -> SOURCE_CTF_school_NNN.ext
 * (source, type code, sequence and extension kept as written), or with another source too when one is
 * given. Null when the original is not a CTF name (nothing else is forwarded).
 */
export function forwardedFilename(originalName: string, school: string, source?: string): string | null {
  const classified = classifyFilename(originalName);
  if (!classified.ok || classified.file.kind !== 'ctf') return null;
  const parts = originalName.split('_');
  if (parts.length !== 4) return null;
  parts[2] = school;
  if (source !== undefined) parts[0] = source;
  return parts.join('_');
}

/** A CTF name with another sequence number: SOURCE_CTF_DEST_007.XML, 8 -> SOURCE_CTF_DEST_008.XML. */
export function withSequence(name: string, sequence: number): string {
  const parts = name.split('_');
  const last = parts[3] ?? '';
  parts[3] = `${String(sequence).padStart(3, '0')}${last.slice(3)}`;
  return parts.join('_');
}

/**
 * The name itself when the school holds no file of that name, else the same name with the first
 * sequence number after its own (wrapping from 999 to 001) that no held file has; null if none is free.
 */
export function freeName(name: string, held: ReadonlySet<string>): string | null {
  if (!held.has(name.toUpperCase())) return name;
  const own = Number.parseInt(name.split('_')[3]?.slice(0, 3) ?? '', 10);
  for (let step = 1; step < 999; step += 1) {
    const candidate = withSequence(name, ((own - 1 + step) % 999) + 1);
    if (!held.has(candidate.toUpperCase())) return candidate;
  }
  return null;
}

export class ForwardService {
  constructor(private readonly deps: ForwardDeps) {}

  /**
   * Checks a forward without making it: the new name, and the destination in the directory. Throws
   * Invalid (field 'school') with what to do.
   */
  async plan(original: TransferRow, schoolInput: string, options: ForwardOptions = {}): Promise<ForwardPlan> {
    const fail = (key: string, params?: Record<string, string>): never => {
      throw new Invalid([keyedError(SCHOOL_FIELD, key, params)]);
    };
    if (schoolInput.trim() === '')
      throw new Invalid([keyedError(SCHOOL_FIELD, 'transfer.forward.enter-school')]);
    const school = readSchoolNumber(schoolInput);
    if (!school) {
      fail('transfer.forward.school-format');
    }
    const number = school as string;
    if (original.dest_kind === 'school' && original.dest_school === number) {
      fail('transfer.forward.already-addressed', { filename: original.filename, number });
    }
    // A lost pupil's file goes on as the forwarding LA's own (LEALLLL; see the top of this file), so it
    // may go back to the school the pupil left. Any other file goes back to the school that made it for
    // nothing: that school already has the pupil's details.
    const fromLostPupils = original.dest_kind === 'lost-pupils';
    if (original.source_school === number && !fromLostPupils) {
      fail('transfer.forward.from-same-school', { filename: original.filename, number });
    }
    if (options.onlyLa !== undefined && number.slice(0, 3) !== options.onlyLa) {
      fail('transfer.forward.not-your-school', { number, la: options.onlyLa });
    }
    // The destination is a school of the forwarding LA (onlyLa, which lost pupils' forwards always give).
    const filename = forwardedFilename(
      original.filename,
      number,
      fromLostPupils ? `${options.onlyLa ?? number.slice(0, 3)}LLLL` : undefined,
    );
    const classified = filename === null ? undefined : classifyFilename(filename);
    if (!classified?.ok || classified.file.kind !== 'ctf') {
      // A stored CTF always has a CTF name; anything else is not forwarded.
      return fail('transfer.forward.only-ctfs', { filename: original.filename });
    }
    const problems = await partyMessages(this.deps.db, classified.file, 'forward');
    if (problems.length > 0) throw new Invalid(problems.map((reason) => sentenceError(SCHOOL_FIELD, reason)));
    const free = freeName(classified.file.name, await ctfNamesHeldFor(this.deps.db, number));
    const renamed = free === null ? null : classifyFilename(free);
    if (!renamed?.ok || renamed.file.kind !== 'ctf') {
      return fail('transfer.forward.no-free-name', { filename: classified.file.name, number });
    }
    const file = renamed.file;
    const draft = this.draft(original, file, { id: '', uploadedBy: '', at: '', forwardingLa: null });
    const names = await organisationNames(this.deps.db, [draft]);
    return {
      filename: file.name,
      takenName: file.name === classified.file.name ? null : classified.file.name,
      file,
      source: sourceLabel(draft, names),
      destination: destinationLabel(draft, names),
    };
  }

  /** Forwards the file (see the top of this file). Throws Invalid when it cannot be, changing nothing. */
  async forward(request: ForwardRequest): Promise<ForwardResult> {
    const { db, files, clock, logger } = this.deps;
    const { actor, original } = request;
    const from = request.from ?? ['available'];
    const filename = { filename: original.filename };
    if (!from.includes(original.status)) {
      throw new Invalid([keyedError(SCHOOL_FIELD, CANNOT_FORWARD[original.status], filename)]);
    }
    const plan = await this.plan(original, request.school, request);
    if (!original.storage_key || !original.wrapped_key) {
      throw new Invalid([keyedError(SCHOOL_FIELD, 'transfer.forward.content-gone', filename)]);
    }

    // The content, decrypted (and checked against its SHA-256) and encrypted under a new data key.
    let stored: StoredFile;
    try {
      stored = await files.put(
        await files.get({
          storageKey: original.storage_key,
          wrappedKey: original.wrapped_key,
          masterKeyId: original.master_key_id,
          sha256: original.sha256,
        }),
      );
    } catch (error) {
      // Another forward of it (a second confirmation at once) finished since the file was read and
      // deleted the content it removed: refused as the transaction's checks refuse it, so the caller
      // says where the file went. Or the purge job deleted it (a rejected file's, 7 days after the
      // rejection), whether it has recorded that yet or not: refused as content no longer held.
      // Content that failed with its record unchanged and not due for the purge is a fault.
      const lost = await contentLostSince(db, original);
      if (lost === 'changed') {
        throw new Invalid([keyedError(SCHOOL_FIELD, 'transfer.forward.changed', filename)]);
      }
      if (lost === 'purged') {
        throw new Invalid([keyedError(SCHOOL_FIELD, 'transfer.forward.content-gone', filename)]);
      }
      throw error;
    }
    const removeCopy = () =>
      files.remove(stored.storageKey).catch((error: unknown) => {
        logger.warn(
          { transferId: original.id, error: error instanceof Error ? error.message : String(error) },
          'could not remove the copy made for a forward that was not recorded',
        );
      });
    if (stored.sha256 !== original.sha256 || stored.size !== original.size) {
      await removeCopy();
      throw new Error(`The copy of transfer ${original.id} does not match its record`);
    }

    const id = randomUUID();
    const at = clock.now();
    const iso = at.toISOString();
    let result: Omit<ForwardResult, 'plan'>;
    try {
      result = await db.transaction().execute(async (tx) => {
        const forwarded: TransferRow = {
          ...this.draft(original, plan.file, {
            id,
            uploadedBy: actor.userId,
            at: iso,
            // forwardingOf's rule: an LA user's forward is its LA's (a school user has its school's LA too).
            forwardingLa: actor.establishmentNumber ? null : (actor.laNumber ?? null),
          }),
          size: stored.size,
          sha256: stored.sha256,
          storage_key: stored.storageKey,
          wrapped_key: stored.wrappedKey,
          master_key_id: stored.masterKeyId,
        };
        // The name was chosen before this transaction (plan), so another forward or an upload may have
        // taken it since: once any other of that name has finished (as an upload waits, step 5 of
        // upload-service.ts), it must still be free at the school.
        await lockFilename(tx, forwarded.filename);
        if (
          (await ctfNamesHeldFor(tx, forwarded.dest_school as string)).has(forwarded.filename.toUpperCase())
        ) {
          throw new Invalid([
            keyedError(SCHOOL_FIELD, 'transfer.forward.name-taken', { filename: forwarded.filename }),
          ]);
        }
        const pupils: NewTransferPupil[] = (await pupilsOf(tx, original.id)).map(
          ({ transfer_id: _t, position: _p, ...pupil }) => pupil,
        );
        await insertTransfer(tx, forwarded, pupils);
        // An original that stays as it is (rejected, kept) is written as it is: the update takes its row's
        // lock all the same, so that of two forwards of it at once the second waits here, then finds the
        // first's copy below.
        // Only while it still names the content copied: the purge job (a rejected file's, at the end of
        // its 7 days) records that it lets it go, with its pupils, before it deletes it, so a copy made
        // from content let go since, its pupils read as none, is refused.
        const changed = await updateTransferIfStatus(
          tx,
          original.id,
          request.originalBecomes === 'kept' ? [original.status] : from,
          ORIGINAL_CHANGES[request.originalBecomes](original, iso, actor.userId),
          original.storage_key as string, // held: checked before the copy
        );
        if (!changed) {
          const lost = await contentLostSince(tx, original);
          throw new Invalid([
            keyedError(
              SCHOOL_FIELD,
              lost === 'purged' ? 'transfer.forward.content-gone' : 'transfer.forward.changed',
              filename,
            ),
          ]);
        }
        // A file is forwarded once: a double submit, or the back button and submit again, makes no second
        // copy. A kept file (a lost pupil's) is forwarded again once its school rejected the copy, or its
        // LA removed it (decision 38); a copy waiting or collected still stops it.
        const onItsWay = request.originalBecomes === 'kept';
        if (await copyForwardedFrom(tx, original.id, id, { onItsWay })) {
          throw new Invalid([keyedError(SCHOOL_FIELD, 'transfer.forward.changed', filename)]);
        }
        const audit = (subject: TransferRow, detail: Record<string, unknown>) =>
          recordAudit(tx, {
            at,
            actorUserId: actor.userId,
            actorUsername: actor.username,
            organisation: organisationOf(actor),
            action: 'file-forwarded',
            subjectType: 'transfer',
            subjectId: subject.id,
            detail: {
              filename: subject.filename,
              category: subject.category,
              pupils: subject.pupil_count,
              ...detail,
            },
          });
        await audit(original, {
          forwardedTo: id,
          newFilename: forwarded.filename,
          destination: plan.destination.code,
          originalNow: request.originalBecomes,
        });
        await audit(forwarded, {
          forwardedFrom: original.id,
          originalFilename: original.filename,
          destination: plan.destination.code,
          size: forwarded.size,
        });
        const payload = {
          filename: forwarded.filename,
          transferId: id,
          sender: plan.source.code,
          senderName: nameAndCode(plan.source.name, plan.source.code),
          destination: plan.destination.code,
          destinationName: nameAndCode(plan.destination.name, plan.destination.code),
          pupils: forwarded.pupil_count,
          forwardedBy: await forwarderName(tx, actor),
          forwardedFrom: original.filename,
          // The original was sent to the Lost Pupils Database, not to the LA: the email says so.
          ...(original.dest_kind === 'lost-pupils' ? { forwardedFromLostPupils: true } : {}),
        };
        await enqueueNotification(tx, {
          at,
          template: 'ctf-uploaded',
          recipientKind: 'school',
          recipient: forwarded.dest_school as string,
          payload,
        });
        // The new file is sent in the forwarding LA's own name (a lost pupil's, or the LA's own file).
        if (isSender(actorParty(actor), forwarded)) {
          await enqueueNotification(tx, {
            at,
            template: 'upload-confirmed',
            recipientKind: 'la',
            recipient: forwarded.source_la,
            payload,
          });
        }
        await request.alongside?.(tx, forwarded, plan);
        const after = (await getTransfer(tx, original.id)) as TransferRow;
        // Taken away from the school it waited for: that school is told, as the row now says it was.
        const originalTold =
          request.originalBecomes === 'removed'
            ? await tellOfForwardAway(tx, { row: after, forwarder: removerOf(actor), at })
            : null;
        return { forwarded, original: after, originalTold };
      });
    } catch (error) {
      await removeCopy();
      throw error;
    }

    if (request.originalBecomes === 'removed') {
      try {
        await purgeContent(db, files, clock, original, 'removed', {
          userId: actor.userId,
          username: actor.username,
          organisation: organisationOf(actor),
        });
      } catch (error) {
        // The original is removed (nobody can download it); the purge job (nothing recorded yet) or the
        // sweep of unreferenced files (recorded, not deleted) deletes the content later.
        logger.warn(
          { transferId: original.id, error: error instanceof Error ? error.message : String(error) },
          'could not delete the content of a forwarded transfer; the purge job or the sweep of unreferenced files will',
        );
      }
      result.original = (await getTransfer(db, original.id)) ?? result.original;
    }
    return { plan, ...result };
  }

  /** The forwarded transfer's row, from the original and the new name (content columns copied). */
  private draft(
    original: TransferRow,
    file: ClassifiedFilename,
    facts: { id: string; uploadedBy: string; at: string; forwardingLa: string | null },
  ): TransferRow {
    const { source, destination } = file;
    if (destination.kind !== 'school') throw new Error('A CTF is only forwarded to a school');
    if (source.kind === 'lost-pupils') throw new Error('The Lost Pupils Database is never a source');
    return {
      ...original,
      id: facts.id,
      filename: file.name,
      // The original's source, unless the LA passes a lost pupil's file back to its school (see plan).
      source_la: source.laNumber,
      source_school: source.kind === 'school' ? source.establishmentNumber : null,
      source_inbox: source.kind === 'la-inbox' ? source.inbox : null,
      dest_kind: 'school',
      dest_la: destination.laNumber,
      dest_school: destination.establishmentNumber,
      dest_inbox: null,
      lost_reason: null,
      uploaded_by: facts.uploadedBy,
      uploaded_at: facts.at,
      status: 'available',
      first_downloaded_at: null,
      last_downloaded_at: null,
      downloaded_by: null,
      collected_at: null,
      rejected_at: null,
      rejected_by: null,
      reject_reason: null,
      removed_at: null,
      removed_by: null,
      purged_at: null,
      forwarded_from: original.id,
      forwarding_la: facts.forwardingLa,
    };
  }
}

/** A forwarded copy's forwarding LA and original, for the emails at its collection or rejection. */
export interface Forwarding {
  /** The number of the LA whose user forwarded the copy. */
  la: string;
  /** The file the copy was made from. */
  original: TransferRow;
  /** Who sent the original: the school (or LA) that made the file. */
  sentBy: PartyLabel;
}

/**
 * The LA that forwarded this file, with its original, or null when the file was not forwarded by an LA
 * (an upload). The forwarder is the copy's uploader (forward() records the forwarding user there);
 * only LA users forward (la-monitor-service.ts, lost-pupils/service.ts) and their LA never changes.
 */
export async function forwardingOf(
  db: Executor,
  copy: Pick<TransferRow, 'forwarded_from' | 'uploaded_by'>,
): Promise<Forwarding | null> {
  if (!copy.forwarded_from) return null;
  const forwarder = await db
    .selectFrom('users')
    .select(['la_number', 'establishment_number'])
    .where('id', '=', copy.uploaded_by)
    .executeTakeFirst();
  // A school user has its school's LA too: only an LA user's forward is the LA's.
  if (!forwarder?.la_number || forwarder.establishment_number) return null;
  const original = await getTransfer(db, copy.forwarded_from);
  if (!original) return null;
  const names = await organisationNames(db, [original]);
  return { la: forwarder.la_number, original, sentBy: sourceLabel(original, names) };
}

/** The forwarding organisation as the email names it: "Testshire LA (916LLLL)" or a school's name. */
async function forwarderName(db: Executor, actor: Actor): Promise<OrganisationName> {
  const organisation = organisationOf(actor);
  if (!organisation) return 's2s';
  if (scopeOf(actor.role) === 'school') {
    const school = await getEstablishment(db, organisation);
    return school ? `${school.name} (${organisation})` : schoolName(organisation, null);
  }
  const la = await getLocalAuthority(db, organisation);
  return la ? nameAndCode(laName(organisation, la.name), `${organisation}LLLL`) : laName(organisation, null);
}
