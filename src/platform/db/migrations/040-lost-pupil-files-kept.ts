// Decision 38: a lost pupil's file forwarded by the LA that uploaded its record stays in the Lost Pupils
// Database, content and all, until the school collects the copy; if the school rejects the copy, the
// record is lost again. Until now such a forward marked the file collected at once, so the purge-files
// job deleted its content 7 days later whatever the school did. This puts the files of forwards made
// that way back as the new version leaves them, where their content is still held:
//
// - The copy still waits at the school (or for its scan): the file is 'available' again (kept), not
//   collected, so the purge job keeps it; download-service.ts collects it when the school collects the copy.
// - The school rejected the copy, and the LA has not forwarded the rejected copy on (Monitor CTF Files,
//   decision 37), or the LA removed the copy before the school collected it: the file is 'available'
//   again, and the record, found by that forward, is lost again, to be found and forwarded again. A record found since by another LA, or later (a download, a match
//   closed), stays found.
//
// Nothing else changes: a file whose copy was collected stays collected (purged as before); a copy
// forwarded on from Monitor CTF Files keeps its chain as it is; a file whose content is gone already stays
// as it is; nothing is deleted. Only 'collected' lost pupil files with content are read, in order of id, a
// batch at a time, each batch written in a few statements.
//
// Run it with the nodes stopped (or promptly after rolling them): a node of the previous version still
// marks its own forwards collected.
import type { Kysely } from 'kysely';
import { BATCH_ROWS, inBatches } from '../batches.ts';
import type { Database } from '../schema.ts';

/** As found-repository.ts: a forward's finding was written within moments of its copy's upload. */
const FINDING_OF_FORWARD_MS = 60_000;

export async function up(untyped: Kysely<unknown>): Promise<void> {
  const db = untyped as unknown as Kysely<Database>;
  let after = '';
  await inBatches(BATCH_ROWS, async () => {
    const files = await db
      .selectFrom('transfers as o')
      .innerJoin('lost_pupils as lp', 'lp.transfer_id', 'o.id')
      .select(['o.id', 'lp.id as record', 'lp.source_la'])
      .where('o.dest_kind', '=', 'lost-pupils')
      .where('o.status', '=', 'collected')
      .where('o.storage_key', 'is not', null)
      .where('lp.status', 'in', ['lost', 'found'])
      .where('o.id', '>', after)
      .orderBy('o.id')
      .limit(BATCH_ROWS)
      .execute();
    after = files.at(-1)?.id ?? after;
    if (files.length === 0) return 0;
    const copies = await db
      .selectFrom('transfers')
      .select(['id', 'forwarded_from', 'status', 'uploaded_at', 'forwarding_la', 'source_la'])
      .where(
        'forwarded_from',
        'in',
        files.map((file) => file.id),
      )
      .orderBy('uploaded_at')
      .orderBy('id')
      .execute();
    const rejectedCopies = copies.filter((copy) => copy.status === 'rejected').map((copy) => copy.id);
    // The rejected copies the LA forwarded on from Monitor CTF Files: their chains stay as they are.
    const forwardedOn = new Set(
      rejectedCopies.length === 0
        ? []
        : (
            await db
              .selectFrom('transfers')
              .select('forwarded_from')
              .where('forwarded_from', 'in', rejectedCopies)
              .execute()
          ).map((row) => row.forwarded_from),
    );
    // Each file's latest copy: a lost pupil's file was forwarded once.
    const latest = new Map(copies.map((copy) => [copy.forwarded_from, copy]));
    const waiting: string[] = [];
    const rejected: { file: string; record: string; la: string; at: string }[] = [];
    for (const file of files) {
      const copy = latest.get(file.id);
      const la = copy?.forwarding_la ?? copy?.source_la;
      // Only the forwards of the LA that uploaded the record marked the file collected.
      if (!copy || la !== file.source_la) continue;
      if (copy.status === 'available' || copy.status === 'pending-scan') waiting.push(file.id);
      else if ((copy.status === 'rejected' || copy.status === 'removed') && !forwardedOn.has(copy.id)) {
        rejected.push({ file: file.id, record: file.record, la, at: copy.uploaded_at });
      }
    }
    const kept = [...waiting, ...rejected.map((r) => r.file)];
    if (kept.length > 0) {
      await db
        .updateTable('transfers')
        .set({ status: 'available', collected_at: null })
        .where('id', 'in', kept)
        .where('status', '=', 'collected')
        .where('storage_key', 'is not', null)
        .execute();
    }
    for (const { record, la, at } of rejected) {
      await db
        .updateTable('lost_pupils')
        .set({ status: 'lost', found_at: null, found_by_la: null, found_by: null })
        .where('id', '=', record)
        .where('status', '=', 'found')
        .where('found_by_la', '=', la)
        .where('found_at', '<=', new Date(Date.parse(at) + FINDING_OF_FORWARD_MS).toISOString())
        .execute();
    }
    return files.length;
  });
}

export async function down(): Promise<void> {
  // Nothing is undone: the previous version shows a kept file as forwarded by another LA and keeps it
  // (it never purges an 'available' file), and a record lost again as any lost record.
}
