import type { Kysely } from 'kysely';

// An LA's Monitor CTF Files tabs (transfers/la-monitor-service.ts) read one page at a time: a tab's CTFs of
// one state in the order of upload time, or of file name (download-repository.ts, laCtfPageQuery), and
// their count. Before, every CTF of the tab was read and sorted in memory for each page: a collected tab
// holds every collected CTF of the LA's, growing each year. The files to the LA's schools or the LA
// (within and incoming) are read by their destination, those from them (outgoing) by their source; after
// the upload time come the columns each tab is chosen by and the file name, so that both engines read a
// page, and count the tab, from the index alone (docs/decisions.md, 46). The status comes before the
// category: the reports, which ask for no status, keep reading their own indexes (043, 046).
const INDEXES = {
  transfers_la_ctfs_to: [
    'dest_la',
    'status',
    'category',
    'uploaded_at',
    'id',
    'dest_kind',
    'source_la',
    'source_inbox',
    'filename',
  ],
  transfers_la_ctfs_from: [
    'source_la',
    'status',
    'category',
    'uploaded_at',
    'id',
    'source_inbox',
    'dest_la',
    'dest_kind',
    'filename',
  ],
} as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [index, columns] of Object.entries(INDEXES)) {
    await db.schema
      .createIndex(index)
      .on('transfers')
      .columns([...columns])
      .execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of Object.keys(INDEXES)) await db.schema.dropIndex(index).execute();
}
