// What a school's answer to a lost pupil's forwarded file does to the record and its file in the Lost
// Pupils Database (decision 38). The forward leaves the lost pupil file as it was (service.ts), so that
// while the pupil is not collected by a school a copy of the CTF is always kept somewhere:
//
// - Collected: the school has the pupil's file. When the LA that uploaded the record forwarded it, its
//   file becomes collected now, its content deleted 7 days later (transfers/jobs.ts); forwarded by
//   another LA, it stays for the LA that uploaded it to remove (decision 36), and that LA is told
//   ('lost-pupil-forwarded-collected'): told at the forward to wait for the school, it may close its case
//   and remove the record now (decision 71).
// - Rejected: the pupil is not at that school. The record is lost again, to be found and forwarded again
//   (its finding by the forward is undone, unless another finding came after it), audited
//   ('lost-pupil-lost-again'); the LA that uploaded the record is told when another LA forwarded it, as
//   it was told of the forward, so that it does not close its case.
// - Removed by the LA that forwarded it, before the school collected it: likewise lost again (audited),
//   as the LA's Delete's warning and answer say (lostAgainIfRemoved). The LA did it, so it is not emailed;
//   the LA that uploaded the record, when another, is told as after a rejection (uploaderToldOf).
//
// Each runs in the transaction of the collection, rejection (transfers/download-service.ts) or removal
// (sent-service.ts, la-monitor-service.ts). A copy forwarded on from Monitor CTF Files after a rejection
// (decision 37) leads back to the lost pupil file through its chain of originals.
import { recordAudit } from '../audit/repository.ts';
import type { Actor } from '../auth/actor.ts';
import { organisationOf } from '../auth/actor.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import type { Executor, LostPupilRow, TransferRow } from '../platform/db/schema.ts';
import { destinationLabel, sourceLabel } from '../transfers/download-listing.ts';
import { organisationNames, updateTransferIfStatus } from '../transfers/download-repository.ts';
import { getTransfer } from '../transfers/repository.ts';
import { isFoundByForward, markLostPupilLostAgain } from './found-repository.ts';
import { lostPupilRecipients, uploaderOf } from './matching.ts';
import { getLostPupil } from './repository.ts';
import { REVIEW_PATH } from './review-service.ts';

/** More forwards than any chain of rejections and forwards on could hold: a guard against a cycle. */
const MAX_CHAIN = 50;

/** The lost pupil file a forwarded copy was made from, through any copies between; undefined if none. */
export async function lostPupilFileOf(
  db: Executor,
  copy: Pick<TransferRow, 'forwarded_from'>,
): Promise<TransferRow | undefined> {
  let from = copy.forwarded_from;
  for (let step = 0; from && step < MAX_CHAIN; step += 1) {
    const original = await getTransfer(db, from);
    if (!original || original.dest_kind === 'lost-pupils') return original;
    from = original.forwarded_from;
  }
  return undefined;
}

/** The lost pupil file this copy was made from, and its record: either undefined when there is none. */
async function lostPupilOfCopy(
  db: Executor,
  copy: Pick<TransferRow, 'forwarded_from'>,
): Promise<{ file?: TransferRow; record?: LostPupilRow }> {
  const file = await lostPupilFileOf(db, copy);
  return { file, record: file ? await getLostPupil(db, file.id) : undefined };
}

/**
 * The school collected a forwarded copy: the lost pupil file of its LA's own forward is collected too;
 * after another LA's forward, the LA that uploaded the record is told (it was told at the forward to wait
 * for this, decision 71).
 */
export async function lostPupilCopyCollected(
  tx: Executor,
  actor: Actor,
  copy: TransferRow,
  forwardingLa: string,
  at: Date,
): Promise<void> {
  const file = await lostPupilFileOf(tx, copy);
  if (!file) return;
  const record = await getLostPupil(tx, file.id);
  if (!record) return;
  if (record.source_la !== forwardingLa) {
    if (record.status !== 'removed') await tellUploaderCollected(tx, record, file, copy, at);
    return;
  }
  const changed = await updateTransferIfStatus(tx, file.id, ['available'], {
    status: 'collected',
    collected_at: at.toISOString(),
  });
  if (!changed) return;
  await recordAudit(tx, {
    at,
    actorUserId: actor.userId,
    actorUsername: actor.username,
    organisation: organisationOf(actor),
    action: 'file-collected',
    subjectType: 'transfer',
    subjectId: file.id,
    detail: {
      filename: file.filename,
      category: file.category,
      pupils: file.pupil_count,
      collectedAs: copy.id,
      collectedAsFilename: copy.filename,
    },
  });
}

/** What the emails to the uploading LA about a forwarded copy say of the record, its uploader and the copy. */
async function forwardedCopyFacts(tx: Executor, record: LostPupilRow, file: TransferRow, copy: TransferRow) {
  const names = await organisationNames(tx, [copy]);
  const school = destinationLabel(copy, names);
  const forwardedBy = sourceLabel(copy, names);
  const uploadedBy = await uploaderOf(tx, record);
  return {
    lostFilename: file.filename,
    uploadedBy: uploadedBy.name,
    uploadedByCode: uploadedBy.code,
    uploadedAt: record.uploaded_at,
    forwardedBy: forwardedBy.name,
    forwardedByCode: forwardedBy.code,
    school: school.name,
    schoolCode: school.code,
  };
}

/**
 * The 'lost-pupil-forwarded-collected' email to the LA that uploaded the record, when the school another
 * LA forwarded its file to collects the copy: its case can be closed and the record removed now.
 */
async function tellUploaderCollected(
  tx: Executor,
  record: LostPupilRow,
  file: TransferRow,
  copy: TransferRow,
  at: Date,
): Promise<void> {
  const facts = await forwardedCopyFacts(tx, record, file, copy);
  for (const to of await lostPupilRecipients(tx, record.source_la)) {
    await enqueueNotification(tx, {
      at,
      template: 'lost-pupil-forwarded-collected',
      ...to,
      payload: {
        ...facts,
        collectedAt: at.toISOString(),
        path: REVIEW_PATH,
      },
    });
  }
}

/**
 * The record is lost again, if the forward's finding is still its latest, audited: the record and its
 * file when it was, else null.
 */
async function loseAgain(
  tx: Executor,
  actor: Actor,
  copy: TransferRow,
  forwardingLa: string,
  at: Date,
  how: 'rejected' | 'removed',
): Promise<{ record: LostPupilRow; file: TransferRow } | null> {
  const { file, record } = await lostPupilOfCopy(tx, copy);
  if (!file || !record) return null;
  if (!(await markLostPupilLostAgain(tx, record.id, { la: forwardingLa, at: copy.uploaded_at }))) return null;
  // Never the pupil's details: the record's id, the files' names, the organisations.
  await recordAudit(tx, {
    at,
    actorUserId: actor.userId,
    actorUsername: actor.username,
    organisation: organisationOf(actor),
    action: 'lost-pupil-lost-again',
    subjectType: 'lost-pupil',
    subjectId: record.id,
    detail: {
      filename: file.filename,
      how,
      copy: copy.id,
      copyFilename: copy.filename,
      forwardedBy: forwardingLa,
      sourceLa: record.source_la,
      sourceSchool: record.source_school,
    },
  });
  return { record, file };
}

/**
 * Who is told that a record is lost again beside the LA that made it so: the LA that uploaded the record,
 * when another LA forwarded it (it was told of the forward, decision 36, so that it does not close its
 * case). Its number, else null. The rejection and the removal email it (tellUploader); the pages that
 * say a removal say so by this rule.
 */
export function uploaderToldOf(record: Pick<LostPupilRow, 'source_la'>, forwardingLa: string): string | null {
  return record.source_la === forwardingLa ? null : record.source_la;
}

/** The 'lost-pupil-lost-again' email to the LA that uploaded the record (uploaderToldOf), if any. */
async function tellUploader(
  tx: Executor,
  lost: { record: LostPupilRow; file: TransferRow },
  copy: TransferRow,
  forwardingLa: string,
  at: Date,
  how: 'rejected' | 'removed',
): Promise<void> {
  const { record, file } = lost;
  const uploaderLa = uploaderToldOf(record, forwardingLa);
  if (!uploaderLa) return;
  const facts = await forwardedCopyFacts(tx, record, file, copy);
  for (const to of await lostPupilRecipients(tx, uploaderLa)) {
    await enqueueNotification(tx, {
      at,
      template: 'lost-pupil-lost-again',
      ...to,
      payload: {
        ...facts,
        rejectedAt: at.toISOString(),
        how,
        path: `/lost-pupils/search/${record.id}`,
      },
    });
  }
}

/**
 * The record removing this copy now would make lost again (lostPupilCopyGone, by loseAgain's rule): it is
 * a copy of a lost pupil's file, and the forward's finding is still the record's latest; else null. The
 * LA's Delete's warning and View / Remove Files' say so, and name the LA told of it by the record
 * (uploaderToldOf) without reading it again.
 */
export async function lostAgainIfRemoved(
  db: Executor,
  copy: Pick<TransferRow, 'forwarded_from' | 'uploaded_at'>,
  forwardingLa: string,
): Promise<LostPupilRow | null> {
  const { record } = await lostPupilOfCopy(db, copy);
  return record && (await isFoundByForward(db, record.id, { la: forwardingLa, at: copy.uploaded_at }))
    ? record
    : null;
}

/**
 * The record of the lost pupil file this copy was made from when it is lost now, its file kept to forward
 * again: what a removal of the copy, made again (the form posted again, the API's request sent again),
 * says of it; else null.
 */
export async function lostWithFileKeptRecord(
  db: Executor,
  copy: Pick<TransferRow, 'forwarded_from'>,
): Promise<LostPupilRow | null> {
  const { file, record } = await lostPupilOfCopy(db, copy);
  return record?.status === 'lost' && file?.status === 'available' && file.storage_key !== null
    ? record
    : null;
}

/**
 * A forwarded copy gone before the school collected it: the school rejected it, or the LA that forwarded
 * it removed it (View / Remove Files, or Monitor CTF Files' delete). The record is lost again, if the
 * forward's finding is still its latest, its file here to forward again; the LA that uploaded the record,
 * when another, is told (decision 36: it was told of the forward; uploaderToldOf), so that it does not
 * close its case. The record when it was lost again, else null.
 */
export async function lostPupilCopyGone(
  tx: Executor,
  actor: Actor,
  copy: TransferRow,
  forwardingLa: string,
  at: Date,
  how: 'rejected' | 'removed',
): Promise<LostPupilRow | null> {
  const lost = await loseAgain(tx, actor, copy, forwardingLa, at, how);
  if (!lost) return null;
  await tellUploader(tx, lost, copy, forwardingLa, at, how);
  return lost.record;
}
