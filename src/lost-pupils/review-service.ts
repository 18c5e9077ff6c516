// Lost Pupils Past Leaving Age: "The LA has a responsibility for the pupils uploaded by their schools
// ... They are also responsible for removing pupils CTF's uploaded by their schools once a pupil reaches
// statutory school leaving age" (LA notes §1.3).
//
// - The list: the records the actor's LA uploaded (source_la: its schools' uploads and its own), still
//   in the database (lost, or found by an LA), whose pupil's leaving day (the last Friday in June of the
//   school year they turn 16, ingest.ts leavesSchoolOn) is on or before today in London; the longest
//   past leaving age first. It shows the pupils' names, dates of birth and UPNs: the LA uploaded them.
// - Records with no date of birth have no leaving day, so s2s cannot tell when they fall due: they are
//   never in the list, nor counted on the home page or in the monthly email. They are shown apart on
//   the page, without a checkbox, for a decision by people: the LA asks the school for the date of birth,
//   and the service desk removes a record if it must go.
// - Records found by an LA (downloaded or forwarded: the pupil's school is known) whose pupils have not
//   reached leaving age, or have no date of birth, are listed apart, and may be removed now: the LA must
//   "ensure that files are removed from the Lost Pupil Database where the destination school is
//   subsequently established" (LA notes §1.3). Their reason can only be that the destination is known.
//   A record whose file was forwarded says where: to which school, when, by which LA. One forwarded by
//   another LA keeps its file and content until the LA removes it here (decision 36).
// - Not while a forwarded copy waits at its school (decision 38): until the school collects it, the
//   record's file may be the only copy of the pupil's CTF left (a rejected copy's content goes 7 days
//   after the rejection), and a rejection makes the pupil lost again. Such a record is listed without a
//   checkbox, saying why; once the school collects the copy it can be removed (the pupil reached a
//   school), and once it rejects it the record is lost again and removed as any other.
// - Removal, of the records chosen, with a reason: each record in a transaction of its own, changed
//   only if it may still be removed (someone else may have found or changed it since the page was read:
//   their change wins, and the record is reported as left alone). A record chosen that was removed
//   already, before or meanwhile (by the actor: Back to an earlier list, the form posted again; by a
//   colleague; by the school that sent its file), is not a reason to refuse the others: nothing more is
//   done to it, and the answer says it was removed already and by whom (its removed_by and that user's
//   account: the actor, a user of the LA, the sending school's). The record becomes 'removed' (removed_at,
//   removed_by, removal_reason; never deleted: the reports count it), its file's transfer becomes
//   'removed' too (as View / Remove Files leaves a removed file: nobody can download it, and the purge
//   job deletes its content if deleting it now fails), and an audit record 'lost-pupil-removed' names
//   the record, its file and the LA, never the pupil. The file's content is then deleted (purgeContent,
//   reason 'removed', which writes its own 'file-purged' audit record). The file's row is written first,
//   as a forward writes it (then the record's), so that a forward or a collection of its copy committed
//   meanwhile is seen by the check for a waiting copy, and no forward begins before the removal ends.
// - Nothing is removed without a person choosing it: the monthly job (review-job.ts) only tells the LA.
//
// A record of another LA, or an id that is no record, is "not found", as everywhere else.
import { recordAudit } from '../audit/repository.ts';
import type { Actor } from '../auth/actor.ts';
import { can, scopeOf } from '../auth/permissions.ts';
import { laName, nameAndCode, type OrganisationName, schoolName } from '../directory/organisation-names.ts';
import type { Clock } from '../platform/clock.ts';
import { londonDate } from '../platform/dates.ts';
import type { Db, TransferStatus } from '../platform/db/schema.ts';
import { type FieldError, Forbidden, Invalid, NotFound } from '../platform/errors.ts';
import { dateParam, keyedError, type Message, message } from '../platform/i18n/catalogue.ts';
import { isId } from '../platform/ids.ts';
import type { Logger } from '../platform/logger.ts';
import type { EncryptedFileStore } from '../platform/storage/encrypted-store.ts';
import { copyForwardedFrom, updateTransferIfStatus } from '../transfers/download-repository.ts';
import { purgeContent } from '../transfers/jobs.ts';
import { type Forwarded, forwardedFiles } from './forwards.ts';
import {
  countDueForReview,
  listDueForReview,
  listFoundNotDue,
  listWithoutLeavingDay,
  markRemovedIfRemovable,
  type Remover,
  type ReviewRow,
  removersByIds,
  reviewRowsById,
} from './review-repository.ts';

export const REVIEW_PATH = '/lost-pupils/review';
export const REVIEW_LABEL = 'Lost Pupils Past Leaving Age';

/**
 * Records listed at most, and chosen for one removal at most. A longer backlog is worked through a page
 * at a time: once these are removed, the next ones are listed.
 */
export const REVIEW_LIMIT = 200;

/** Why an LA removes a record: the reason is kept on the record and in the audit log. */
export const REMOVAL_REASONS = {
  'past-leaving-age': 'Past statutory school-leaving age',
  'destination-known': "The pupil's school or destination is now known",
} as const;
export type RemovalReason = keyof typeof REMOVAL_REASONS;

export function isRemovalReason(value: unknown): value is RemovalReason {
  return typeof value === 'string' && Object.hasOwn(REMOVAL_REASONS, value);
}

/**
 * The file's transfer can be removed from any of these (a lost-pupil file may have been downloaded, or
 * still wait for its malware scan: left waiting, with its content deleted, the scan job would wait for
 * it for ever). What is left, removed or quarantined, has its content deleted already or by the job.
 */
const TRANSFER_NOT_REMOVED: readonly TransferStatus[] = [
  'available',
  'collected',
  'rejected',
  'pending-scan',
];

/** Thrown to roll a removal back: the record is left alone. */
class LeftAlone extends Error {}

/** One record as the pages show it. */
export interface ReviewRecord {
  id: string;
  /**
   * "Surname, Forename Middle names"; where the file gives none, a message saying so, written in the
   * reader's language wherever it is shown (in the sentences that name records, too; in English by the API).
   */
  name: string | Message;
  /** The file names the pupil (else `name` says it does not). */
  named: boolean;
  dateOfBirth: string | null;
  upn: string | null;
  /** The school that uploaded it, or the LA itself. */
  school: { name: OrganisationName; code: string };
  /** The LA uploaded it itself (then `school` names the LA as "Your LA", in the reader's language). */
  byLa: boolean;
  uploadedAt: string;
  /** Why it is in the database: XXXXXXXX or MMMMMMMM, in the reader's language. */
  reason: Message;
  /** The reason is MMMMMMMM (else XXXXXXXX). */
  leftMaintainedSector: boolean;
  leavesSchoolOn: string | null;
  /** An LA downloaded or forwarded it: the pupil was found, but the record is still in the database. */
  found: boolean;
  /**
   * Which LA found it and when (decision 71): another LA (`ownLa` false), which the LA that uploaded it
   * may ask which school, or the LA itself. Null when not found.
   */
  foundBy: { la: OrganisationName; at: string; ownLa: boolean } | null;
  /** Where its file was forwarded, if it was. */
  forwarded: Forwarded | null;
  /** Its file's forwarded copy waits at the school: it cannot be removed until the school collects or rejects it. */
  copyWaiting: boolean;
  filename: string;
}

export interface ReviewList {
  /** Today in London (YYYY-MM-DD): records whose pupils left school on or before it are listed. */
  today: string;
  records: ReviewRecord[];
  /** How many are due in all (more than listed when the backlog is longer than REVIEW_LIMIT). */
  total: number;
  /** The LA's records not yet found with no date of birth, which never fall due by themselves. */
  withoutBirthDate: { records: ReviewRecord[]; total: number };
  /** The LA's records found by an LA and not due (before leaving age, or no date of birth): removable. */
  foundNotDue: { records: ReviewRecord[]; total: number };
}

/**
 * Who removed a record chosen for removal before this removal came to it, as the record's removed_by (the
 * user its 'lost-pupil-removed' or 'file-removed' audit event names) says: the actor (the same form
 * posted again, or at once, or an earlier removal), a colleague (another user of the LA), the school that
 * sent its file (View / Remove Files, or its file quarantined), or someone else.
 */
export type RemovedBy = 'you' | 'colleague' | 'sender' | 'someone-else';

/** A record chosen for removal that was removed already: nothing more is done to it. */
export interface RemovedAlready {
  record: ReviewRecord;
  by: RemovedBy;
  /** The colleague, as "Full Name (username)", when `by` is 'colleague'; else null. */
  colleague: string | null;
}

/** The records chosen for removal, as its confirmation shows them. */
export interface Selection {
  /** Those to remove. */
  records: ReviewRecord[];
  /** Those removed already, by whom. */
  removedAlready: RemovedAlready[];
}

export interface RemovalOutcome {
  removed: ReviewRecord[];
  /** Chosen, but no longer due when it came to it (found or changed by someone else, not removed). */
  leftAlone: ReviewRecord[];
  /**
   * Chosen, and removed already when it came to it: by the actor (the same form posted again, or at once
   * after the other), by a colleague or by the school that sent it. Nothing more is done to them.
   */
  removedAlready: RemovedAlready[];
  reason: RemovalReason;
}

export interface ReviewDeps {
  db: Db;
  files: Pick<EncryptedFileStore, 'remove'>;
  clock: Clock;
  logger: Pick<Logger, 'warn'>;
}

function recordOf(row: ReviewRow, forwards?: ReadonlyMap<string, Forwarded>): ReviewRecord {
  const given = [row.forename, row.middle_names].filter((part) => part).join(' ');
  const name = [row.surname, given].filter((part) => part).join(', ');
  return {
    id: row.id,
    name: name || message('lost-pupils.review.name-not-given'),
    named: name !== '',
    dateOfBirth: row.date_of_birth,
    upn: row.upn,
    school: row.source_school
      ? { name: schoolName(row.source_school, row.school_name), code: row.source_school }
      : { name: message('lost-pupils.review.your-la'), code: `${row.source_la}LLLL` },
    byLa: !row.source_school,
    uploadedAt: row.uploaded_at,
    reason: message(
      row.reason === 'left-maintained-sector'
        ? 'lost-pupils.reason.left-maintained-sector'
        : 'lost-pupils.reason.destination-unknown',
    ),
    leftMaintainedSector: row.reason === 'left-maintained-sector',
    leavesSchoolOn: row.leaves_school_on,
    found: row.status === 'found',
    foundBy:
      row.status === 'found' && row.found_by_la && row.found_at
        ? {
            la: row.found_by_la_name
              ? nameAndCode(row.found_by_la_name, row.found_by_la)
              : laName(row.found_by_la, null),
            at: row.found_at,
            ownLa: row.found_by_la === row.source_la,
          }
        : null,
    forwarded: forwards?.get(row.transfer_id) ?? null,
    copyWaiting: forwards?.get(row.transfer_id)?.state === 'waiting',
    filename: row.filename,
  };
}

/** Whether the record's pupil has reached school-leaving age by `today`. */
const pastLeavingAge = (row: ReviewRow, today: string): boolean =>
  row.leaves_school_on !== null && row.leaves_school_on <= today;

/**
 * Why a record of the LA, not removed already, cannot be removed today (neither due nor found, or its
 * forwarded copy waits at the school), or null if it can.
 */
function notRemovable(
  row: ReviewRow,
  today: string,
  forwards: ReadonlyMap<string, Forwarded>,
): FieldError | null {
  const name = recordOf(row).name;
  const forwarded = forwards.get(row.transfer_id);
  if (forwarded?.state === 'waiting') {
    return keyedError('record', 'lost-pupils.review.copy-waiting', {
      name,
      school: forwarded.school.name,
      code: forwarded.school.number,
      date: dateParam(forwarded.at),
    });
  }
  if (row.status === 'found') return null;
  if (row.leaves_school_on === null) {
    return keyedError('record', 'lost-pupils.review.no-date-of-birth', { name });
  }
  if (row.leaves_school_on > today) {
    return keyedError('record', 'lost-pupils.review.not-yet', {
      name,
      date: dateParam(row.leaves_school_on),
    });
  }
  return null;
}

export class LostPupilReviewService {
  constructor(private readonly deps: ReviewDeps) {}

  /** Today in London: the day the review is for. */
  today(): string {
    return londonDate(this.deps.clock.now());
  }

  async due(actor: Actor): Promise<ReviewList> {
    const laNumber = this.laOf(actor);
    const today = this.today();
    const rows = await listDueForReview(this.deps.db, laNumber, today, REVIEW_LIMIT);
    const total =
      rows.length < REVIEW_LIMIT ? rows.length : await countDueForReview(this.deps.db, laNumber, today);
    const without = await listWithoutLeavingDay(this.deps.db, laNumber, REVIEW_LIMIT);
    const found = await listFoundNotDue(this.deps.db, laNumber, today, REVIEW_LIMIT);
    // A lost record's file may have been forwarded too: the school rejected the copy (decision 38).
    const forwards = await forwardedFiles(
      this.deps.db,
      [...rows, ...found.rows].map((row) => row.transfer_id),
    );
    const described = (row: ReviewRow) => recordOf(row, forwards);
    return {
      today,
      records: rows.map(described),
      total,
      withoutBirthDate: { records: without.rows.map(described), total: without.total },
      foundNotDue: { records: found.rows.map(described), total: found.total },
    };
  }

  /**
   * The records chosen for removal, all of the actor's LA: those removable today, and those removed
   * already (by the actor before, a colleague, or the school that sent it), which are not refused: there
   * is nothing left to do to them. Invalid when one cannot be removed (not due, its copy waiting), or
   * NotFound.
   */
  async selection(actor: Actor, ids: readonly string[]): Promise<Selection> {
    const laNumber = this.laOf(actor);
    const rows = await this.chosen(laNumber, ids);
    const today = this.today();
    const forwards = await this.forwardsOf(rows);
    const toRemove = rows.filter((row) => row.status !== 'removed');
    const problems = toRemove.flatMap((row) => notRemovable(row, today, forwards) ?? []);
    if (problems.length > 0) {
      throw new Invalid(problems);
    }
    return {
      records: toRemove.map((row) => recordOf(row, forwards)),
      removedAlready: await this.removedAlready(
        actor,
        laNumber,
        rows.filter((row) => row.status === 'removed'),
        forwards,
      ),
    };
  }

  /**
   * Removes the chosen records that may still be removed (see the top of this file). Records removed
   * already are reported with who removed them (removedAlready), never refused. Records chosen but no
   * longer removable are left alone and reported; if none of those not removed already is removable,
   * nothing is done (Invalid). A record before leaving age goes only because its destination is known.
   */
  async remove(actor: Actor, ids: readonly string[], reason: unknown): Promise<RemovalOutcome> {
    const laNumber = this.laOf(actor);
    const reasonProblem = isRemovalReason(reason)
      ? []
      : [keyedError('reason', 'lost-pupils.review.reason-required')];
    let rows: ReviewRow[];
    try {
      rows = await this.chosen(laNumber, ids);
    } catch (error) {
      if (error instanceof Invalid) throw new Invalid([...error.errors, ...reasonProblem]);
      throw error;
    }
    if (!isRemovalReason(reason)) throw new Invalid(reasonProblem);
    const today = this.today();
    const forwards = await this.forwardsOf(rows);
    // Removed already (by the actor, a colleague, or the school that sent it): nothing to do, said so.
    const removedBefore = rows.filter((row) => row.status === 'removed');
    const toRemove = rows.filter((row) => row.status !== 'removed');
    const outcome: RemovalOutcome = {
      removed: [],
      leftAlone: [],
      removedAlready: await this.removedAlready(actor, laNumber, removedBefore, forwards),
      reason,
    };
    if (toRemove.length === 0) return outcome;
    const stale = toRemove.flatMap((row) => notRemovable(row, today, forwards) ?? []);
    if (stale.length === toRemove.length) {
      throw new Invalid(stale);
    }
    if (reason === 'past-leaving-age') {
      const early = toRemove.filter((row) => row.status === 'found' && !pastLeavingAge(row, today));
      if (early.length > 0) {
        throw new Invalid(
          early.map((row) =>
            keyedError('reason', 'lost-pupils.review.not-past-age', { name: recordOf(row).name }),
          ),
        );
      }
    }

    const removedRows: ReviewRow[] = [];
    const leftRows: ReviewRow[] = [];
    for (const row of toRemove) {
      const removed = await this.removeOne(actor, laNumber, today, row, reason);
      if (removed) {
        removedRows.push(row);
        outcome.removed.push(recordOf(row, forwards));
      } else {
        leftRows.push(row);
      }
    }
    // Those left alone as removed meanwhile (by the actor: the same form posted at once; or by a colleague)
    // were removed already, as asked, and said by whom; the others someone else found or changed.
    const now = await reviewRowsById(
      this.deps.db,
      leftRows.map((row) => row.id),
    );
    const removedMeanwhile = now.filter((row) => row.status === 'removed');
    outcome.removedAlready.push(...(await this.removedAlready(actor, laNumber, removedMeanwhile, forwards)));
    const meanwhile = new Set(removedMeanwhile.map((row) => row.id));
    for (const row of leftRows) {
      if (!meanwhile.has(row.id)) outcome.leftAlone.push(recordOf(row, forwards));
    }
    for (const row of removedRows) {
      try {
        await purgeContent(
          this.deps.db,
          this.deps.files,
          this.deps.clock,
          {
            id: row.transfer_id,
            filename: row.filename,
            category: row.category,
            storage_key: row.storage_key,
          },
          'removed',
          { userId: actor.userId, username: actor.username, organisation: laNumber },
        );
      } catch (error) {
        // The record and its file are removed (nobody can find or download it); the purge job (nothing
        // recorded yet) or the sweep of unreferenced files (recorded, not deleted) deletes the content later.
        this.deps.logger.warn(
          { lostPupilId: row.id, error: error instanceof Error ? error.message : String(error) },
          'could not delete the content of a removed lost-pupil file; the purge job or the sweep of unreferenced files will',
        );
      }
    }
    return outcome;
  }

  /**
   * One record's removal, its file's and its audit record, in one transaction; false if no longer due, or
   * if its file's forwarded copy waits at the school (nothing is changed then).
   */
  private async removeOne(
    actor: Actor,
    laNumber: string,
    today: string,
    row: ReviewRow,
    reason: RemovalReason,
  ): Promise<boolean> {
    const at = this.deps.clock.now();
    try {
      return await this.deps.db.transaction().execute(async (tx) => {
        // The file's row first, as a forward takes it: its lock held, a forward committed meanwhile, or a
        // collection of the copy, is seen below. Already removed by its sender (View / Remove Files) is as
        // good: the file is gone either way, and nothing forwards it.
        const transferRemoved = await updateTransferIfStatus(tx, row.transfer_id, TRANSFER_NOT_REMOVED, {
          status: 'removed',
          removed_at: at.toISOString(),
          removed_by: actor.userId,
        });
        if (await copyForwardedFrom(tx, row.transfer_id, undefined, { waiting: true })) {
          throw new LeftAlone();
        }
        const changed = await markRemovedIfRemovable(
          tx,
          row.id,
          { laNumber, today },
          { at: at.toISOString(), by: actor.userId, reason: REMOVAL_REASONS[reason] },
        );
        if (!changed) throw new LeftAlone();
        await recordAudit(tx, {
          at,
          actorUserId: actor.userId,
          actorUsername: actor.username,
          organisation: laNumber,
          action: 'lost-pupil-removed',
          subjectType: 'lost-pupil',
          subjectId: row.id,
          detail: {
            transferId: row.transfer_id,
            filename: row.filename,
            sourceLa: row.source_la,
            sourceSchool: row.source_school,
            lostReason: row.reason,
            previousStatus: row.status,
            reason,
            fileRemoved: transferRemoved,
          },
        });
        return true;
      });
    } catch (error) {
      if (error instanceof LeftAlone) return false;
      throw error;
    }
  }

  /** Removed records, each with who removed it (RemovedBy), from its removed_by and that user's account. */
  private async removedAlready(
    actor: Actor,
    laNumber: string,
    rows: readonly ReviewRow[],
    forwards: ReadonlyMap<string, Forwarded>,
  ): Promise<RemovedAlready[]> {
    const removers = await removersByIds(
      this.deps.db,
      rows.flatMap((row) => (row.removed_by && row.removed_by !== actor.userId ? [row.removed_by] : [])),
    );
    return rows.map((row) => {
      const record = recordOf(row, forwards);
      if (row.removed_by === actor.userId) return { record, by: 'you', colleague: null };
      const remover: Remover | undefined = row.removed_by ? removers.get(row.removed_by) : undefined;
      if (remover?.la_number === laNumber && !remover.establishment_number) {
        return { record, by: 'colleague', colleague: `${remover.full_name} (${remover.username})` };
      }
      if (remover?.establishment_number && remover.establishment_number === row.source_school) {
        return { record, by: 'sender', colleague: null };
      }
      return { record, by: 'someone-else', colleague: null };
    });
  }

  /** Where the files of these records were forwarded, by file id. */
  private forwardsOf(rows: readonly ReviewRow[]): Promise<Map<string, Forwarded>> {
    return forwardedFiles(
      this.deps.db,
      rows.map((row) => row.transfer_id),
    );
  }

  /** The records with these ids, each of the LA; Invalid for no choice or too many, else NotFound. */
  private async chosen(laNumber: string, ids: readonly string[]): Promise<ReviewRow[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) throw new Invalid([keyedError('record', 'lost-pupils.review.select-records')]);
    if (unique.length > REVIEW_LIMIT) {
      throw new Invalid([
        keyedError('record', 'lost-pupils.review.too-many', { limit: REVIEW_LIMIT, count: unique.length }),
      ]);
    }
    if (!unique.every((id) => isId(id))) throw new NotFound(message('lost-pupils.not-found.record'));
    const rows = await reviewRowsById(this.deps.db, unique);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return unique.map((id) => {
      const row = byId.get(id);
      if (!row || row.source_la !== laNumber) throw new NotFound(message('lost-pupils.not-found.record'));
      return row;
    });
  }

  /** The actor's LA, if the actor may review its records. */
  private laOf(actor: Actor): string {
    if (!can(actor.role, 'lost-pupils.review') || scopeOf(actor.role) !== 'la' || !actor.laNumber) {
      throw new Forbidden();
    }
    return actor.laNumber;
  }
}
