// One-off: the heap `s2s backup` and `s2s restore` keep while they copy N stored files, for N given on
// the command line (default 10000 40000). Every file is one small transfer's, stored as it is (the
// backup copies files as stored: no need to encrypt them here), in a SQLite instance on the memory
// filesystem, so that the copy is quick and what grows with N is the process's own state. The heap is
// sampled after a full collection every 100 ms: its peak above the heap before the command is what the
// command keeps (docs/benchmarks.md, Backup and restore).
//   node --import tsx --expose-gc bench/backup.ts 10000 40000
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBackup } from '../src/backup/backup.ts';
import { restoreBackup } from '../src/backup/restore.ts';
import { EncryptedFileStore } from '../src/platform/storage/encrypted-store.ts';
import { MasterKey } from '../src/platform/storage/envelope.ts';
import { emptyInstance } from '../test/backup/support.ts';
import { makeLa, makeSchool } from '../test/support/factories.ts';
import { makeTransfer, school } from '../test/support/transfers.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('Run with --expose-gc: the heap is measured after full collections.');
const collect = gc;

/** The peak live heap (MB above the heap before) while `work` runs. */
async function peakHeap<T>(work: () => Promise<T>): Promise<{ result: T; peakMB: number }> {
  collect();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const sample = setInterval(() => {
    collect();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 100);
  try {
    const result = await work();
    return { result, peakMB: Math.round(((peak - before) / 2 ** 20) * 10) / 10 };
  } finally {
    clearInterval(sample);
  }
}

const root = mkdtempSync(join('/dev/shm', 's2s-bench-backup-'));
const masterKey = MasterKey.generate();
try {
  for (const count of (process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['10000', '40000']).map(
    Number,
  )) {
    const source = await emptyInstance('sqlite', masterKey);
    const target = await emptyInstance('sqlite', masterKey);
    try {
      const authority = await makeLa(source.db);
      const from = await makeSchool(source.db, authority.number);
      const to = await makeSchool(source.db, authority.number);
      const files = new EncryptedFileStore(source.store, source.keyring);
      const made = await makeTransfer(source.db, files, {
        from: school(from.number),
        to: school(to.number),
        category: 'generic',
      });
      const stored = readFileSync(join(source.storeDir, made.row.storage_key as string));
      for (let at = 1; at < count; at += 500) {
        const rows = Array.from({ length: Math.min(500, count - at) }, () => {
          const storageKey = randomUUID();
          writeFileSync(join(source.storeDir, storageKey), stored);
          return { ...made.row, id: randomUUID(), storage_key: storageKey };
        });
        await source.db.insertInto('transfers').values(rows).execute();
      }
      const dir = join(root, `backup-${count}`);
      const backup = await peakHeap(() => createBackup(source, dir, new Date()));
      const restore = await peakHeap(() => restoreBackup(target, dir));
      console.log(
        JSON.stringify({
          blobs: backup.result.blobs,
          restored: restore.result.blobs,
          manifestBytes: readFileSync(join(dir, 'manifest.json')).length,
          backupPeakHeapMB: backup.peakMB,
          restorePeakHeapMB: restore.peakMB,
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    } finally {
      await source.drop();
      await target.drop();
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
