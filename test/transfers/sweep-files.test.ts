// The sweep of stored files nothing refers to: what a crash between storing an upload and recording it
// leaves behind, and the pieces of writes that never finished. Only once they are a day old.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { ManualClock } from '../../src/platform/clock.ts';
import { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { DiskFileStore } from '../../src/platform/storage/file-store.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { ORPHAN_GRACE_HOURS, sweepOrphanFiles } from '../../src/transfers/jobs.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool } from '../support/factories.ts';
import { makeTransfer, school } from '../support/transfers.ts';

describeEachEngine('sweep of unreferenced stored files', (database) => {
  test('removes day-old blobs no transfer refers to and unfinished pieces; keeps the rest', async () => {
    const { db } = database();
    const root = mkdtempSync(join(tmpdir(), 's2s-sweep-'));
    const raw = new DiskFileStore(root);
    const files = new EncryptedFileStore(raw, new MasterKeyring(MasterKey.generate()));
    const la = await makeLa(db);
    const from = await makeSchool(db, la.number);
    const to = await makeSchool(db, la.number);
    const kept = await makeTransfer(db, files, { from: school(from.number), to: school(to.number) });
    const orphan = randomUUID();
    await raw.put(orphan, Readable.from([Buffer.from('left by a crash')]));
    const young = randomUUID();
    await raw.put(young, Readable.from([Buffer.from('an upload being recorded now')]));
    const partial = `.partial-${randomUUID()}`;
    writeFileSync(join(root, partial), 'half a file');

    const now = new Date();
    const clock = new ManualClock(new Date(now.getTime() + (ORPHAN_GRACE_HOURS + 1) * 3_600_000));
    // The young blob was written just now, as far as the sweep's clock is concerned.
    utimesSync(join(root, young), clock.now(), clock.now());

    const result = await sweepOrphanFiles(db, raw, clock);
    assert.deepEqual(result, { removed: 1, partials: 1, checked: 4 });
    assert.equal(await raw.exists(orphan), false);
    assert.equal(await raw.exists(young), true, 'too young to be swept');
    assert.equal(await raw.exists(kept.row.storage_key as string), true, 'referenced by its transfer');
    assert.deepEqual(await collect(raw.list()), [kept.row.storage_key, young].sort());
    // A second run has nothing to do.
    assert.deepEqual(await sweepOrphanFiles(db, raw, clock), { removed: 0, partials: 0, checked: 2 });
  });
});

async function collect(objects: AsyncIterable<{ key: string }>): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of objects) keys.push(object.key);
  return keys.sort();
}
