import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { getTransfer, insertTransfer, pupilsOf, updateTransfer } from '../../src/transfers/repository.ts';
import { describeEachEngine } from '../support/databases.ts';

describeEachEngine('transfers repository', (database) => {
  test('a transfer and its 300 pupils are stored and read back in order; changes are saved', async () => {
    const { db } = database();
    const id = randomUUID();
    const pupils = Array.from({ length: 300 }, (_, i) => ({
      upn: `A${String(i).padStart(12, '0')}`,
      former_upn: null,
      surname: `Surname${i}`,
      former_surname: null,
      forename: 'Alex',
      middle_names: null,
      date_of_birth: '2015-09-01',
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
    assert.equal(back.length, 300);
    assert.deepEqual(
      back.slice(0, 2).map((p) => [p.position, p.surname, p.sex]),
      [
        [1, 'Surname0', 'M'],
        [2, 'Surname1', 'F'],
      ],
    );
    await updateTransfer(db, id, { status: 'collected', collected_at: '2026-11-24T09:00:00.000Z' });
    assert.equal((await getTransfer(db, id))?.status, 'collected');
    assert.equal(await getTransfer(db, randomUUID()), undefined);
  });
});
