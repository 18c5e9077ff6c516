import type { Kysely } from 'kysely';

// The LA's School Report counts its schools' CTFs sent and received, and General Usage/Volume adds up each
// school's, by reading each file's kind, school, scan and forwarding. Through the indexes of 043 and 002
// every one of those rows was a read of the table: 12,500 rows on 7,500 pages for LA 916 at a tenth of the
// country (65 ms), and at national size, where the table no longer fits in memory, each page a read from
// the operating system's cache. The same indexes now end with the columns those reports read, so both
// engines answer them from the index alone (docs/decisions.md, 45). Key columns rather than PostgreSQL's
// INCLUDE, which SQLite lacks: after `id` (unique) or within one school's rows they change no order used.
const COVERING = {
  transfers_source_la_uploaded: {
    columns: ['source_la', 'uploaded_at', 'filename', 'id', 'category', 'source_school', 'forwarded_from'],
    before: ['source_la', 'uploaded_at', 'filename', 'id'],
  },
  transfers_dest_la_uploaded: {
    columns: ['dest_la', 'uploaded_at', 'filename', 'id', 'category', 'dest_school', 'scan_status'],
    before: ['dest_la', 'uploaded_at', 'filename', 'id'],
  },
  transfers_source_school: {
    columns: ['source_school', 'status', 'category', 'uploaded_at', 'forwarded_from', 'pupil_count'],
    before: ['source_school', 'status'],
  },
  transfers_dest_school: {
    columns: ['dest_school', 'status', 'category', 'dest_kind', 'scan_status', 'uploaded_at', 'pupil_count'],
    before: ['dest_school', 'status'],
  },
} as const;

async function rebuild(db: Kysely<unknown>, columnsOf: (index: keyof typeof COVERING) => readonly string[]) {
  for (const index of Object.keys(COVERING) as (keyof typeof COVERING)[]) {
    await db.schema.dropIndex(index).execute();
    await db.schema
      .createIndex(index)
      .on('transfers')
      .columns([...columnsOf(index)])
      .execute();
  }
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await rebuild(db, (index) => COVERING[index].columns);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await rebuild(db, (index) => COVERING[index].before);
}
