import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { TransferStatus } from '../../src/platform/db/schema.ts';
import {
  getTransfer,
  insertTransfer,
  pupilsOf,
  updateTransfer,
  waitingTransfersNamed,
} from '../../src/transfers/repository.ts';
import { describeEachEngine, queryPlan } from '../support/databases.ts';

describeEachEngine('transfers repository', (database) => {
  test('a transfer and its 300 pupils are stored and read back as they were, in order; changes are saved', async () => {
    const { db } = database();
    const id = randomUUID();
    // Names as files hold them: quotes, backslashes, commas and braces (which PostgreSQL's array
    // syntax uses), the word NULL as a name, letters beyond ASCII, and missing values.
    const awkward = ["O'Brien", 'Smith, "Jr"', 'Back\\slash', '{Brace}', 'NULL', 'Zoë Åström', ''];
    const pupils = Array.from({ length: 300 }, (_, i) => ({
      upn: `A${String(i).padStart(12, '0')}`,
      former_upn: i % 3 === 0 ? null : `B${String(i).padStart(12, '0')}`,
      surname: i < awkward.length ? (awkward[i] as string) : `Surname${i}`,
      former_surname: i % 5 === 0 ? 'NULL' : null,
      forename: 'Alex',
      middle_names: i % 7 === 0 ? 'Jo Ann' : null,
      date_of_birth: i % 11 === 0 ? null : '2015-09-01',
      sex: i % 2 ? 'F' : 'M',
    }));
    await insertTransfer(
      db,
      {
        id,
        filename: '9165402_CTF_8171234_003.XML',
        category: 'ctf',
        kind: 'ctf',
        type_code: 'CTF',
        source_la: '916',
        source_school: '9165402',
        source_inbox: null,
        dest_kind: 'school',
        dest_la: '817',
        dest_school: '8171234',
        dest_inbox: null,
        lost_reason: null,
        uploaded_by: randomUUID(),
        uploaded_at: '2026-11-23T10:00:00.000Z',
        size: 1234,
        sha256: 'ab'.repeat(32),
        storage_key: randomUUID(),
        wrapped_key: 'wrapped',
        master_key_id: '0123456789abcdef',
        pupil_count: 300,
        status: 'available',
      },
      pupils,
    );
    const stored = await getTransfer(db, id);
    assert.equal(stored?.filename, '9165402_CTF_8171234_003.XML');
    assert.equal(stored?.status, 'available');
    const back = await pupilsOf(db, id);
    assert.deepEqual(
      back,
      pupils.map((pupil, i) => ({ transfer_id: id, position: i + 1, ...pupil })),
    );
    await updateTransfer(db, id, { status: 'collected', collected_at: '2026-11-24T09:00:00.000Z' });
    assert.equal((await getTransfer(db, id))?.status, 'collected');
    assert.equal(await getTransfer(db, randomUUID()), undefined);
  });

  test('the files of a name still waiting, whatever its case, are found through transfers_name_status', async () => {
    const { db, engine } = database();
    const name = '9165402_CTF_8171235_004.XML';
    const ids: Record<string, string> = {};
    const statuses: TransferStatus[] = ['available', 'pending-scan', 'collected', 'rejected', 'removed'];
    for (const [n, status] of statuses.entries()) {
      ids[status] = randomUUID();
      await insertTransfer(
        db,
        {
          id: ids[status],
          filename: n % 2 ? name.toLowerCase() : name,
          category: 'ctf',
          kind: 'ctf',
          type_code: 'CTF',
          source_la: '916',
          source_school: '9165402',
          dest_kind: 'school',
          dest_la: '817',
          dest_school: '8171235',
          uploaded_by: randomUUID(),
          uploaded_at: '2026-11-23T10:00:00.000Z',
          size: 1,
          sha256: 'ab'.repeat(32),
          pupil_count: 0,
          status,
        },
        [],
      );
    }
    const found = await waitingTransfersNamed(db, '9165402_ctf_8171235_004.Xml');
    assert.deepEqual(found.map((row) => row.id).sort(), [ids.available, ids['pending-scan']].sort());
    assert.deepEqual(await waitingTransfersNamed(db, '9165402_CTF_8171235_005.XML'), []);

    // The plan of waitingTransfersNamed's query: a seek of the index by upper-cased name and status,
    // not a scan of the transfers.
    const query = db
      .selectFrom('transfers')
      .select(['id', 'source_la', 'source_school', 'source_inbox'])
      .where((eb) => eb(eb.fn('upper', ['filename']), '=', name))
      .where('status', 'in', ['available', 'pending-scan'])
      .compile();
    const plan = await queryPlan(db, engine, query);
    assert.match(plan, /transfers_name_status/, plan);
  });
});
