// Matrix cases of the Lost Pupils operations. The Lost Pupils Database is national: every LA's
// lost-pupil users may read any record still in it, so a record has no "other organisation". What
// answers 404 there is a record removed from the database. Matches and the records past leaving age
// are the LA's own, and another LA's answer 404.
import { randomInt } from 'node:crypto';
import { matchLostPupils } from '../../../src/lost-pupils/matching.ts';
import type { Db } from '../../../src/platform/db/schema.ts';
import type { EncryptedFileStore } from '../../../src/platform/storage/encrypted-store.ts';
import { makeLostPupil } from '../../support/lost-pupils.ts';
import { makeTransfer, school } from '../../support/transfers.ts';
import { api } from '../support.ts';
import type { MatrixCall, MatrixCase, MatrixFixtures } from './cases.ts';

/** Left school on Friday 27 June 2025: past leaving age on the test clock's day. */
const PAST_LEAVING_AGE = '2009-02-01';

/** A 13-character UPN no other test uses. */
export function freshUpn(): string {
  return `A${String(randomInt(1e6)).padStart(6, '0')}${String(randomInt(1e6)).padStart(6, '0')}`;
}

/**
 * A lost pupil sent to the database by `from` (a school's number), seen since in a CTF sent to
 * `seenAt` (a school of `seenAtLa`): the record and the open match.
 */
export async function makeMatch(
  db: Db,
  files: Pick<EncryptedFileStore, 'put'>,
  spec: { from: string; seenAt: string; seenAtLa: string; surname?: string },
): Promise<{ recordId: string; matchId: string; seenIn: string }> {
  const upn = freshUpn();
  const lost = await makeLostPupil(db, files, {
    from: school(spec.from),
    pupil: { surname: spec.surname ?? 'Matched', forename: 'Robin', upn, dateOfBirth: '2014-02-03' },
  });
  const incoming = await makeTransfer(db, files, { from: school(spec.from), to: school(spec.seenAt) });
  await matchLostPupils(
    db,
    {
      transferId: incoming.row.id,
      filename: incoming.row.filename,
      kind: 'CTF',
      seenAt: { la: spec.seenAtLa, school: spec.seenAt, name: 'Seen School', code: spec.seenAt },
      at: new Date('2026-11-22T10:00:00.000Z'),
    },
    [{ upn, formerUpn: null, surname: null, forename: null, dateOfBirth: null }],
  );
  const match = await db
    .selectFrom('lost_pupil_matches')
    .select('id')
    .where('lost_pupil_id', '=', lost.record.id)
    .executeTakeFirstOrThrow();
  return { recordId: lost.record.id, matchId: match.id, seenIn: incoming.row.filename };
}

/** A record in the database, sent by a school of another LA. */
async function record(fx: MatrixFixtures): Promise<string> {
  return (await makeLostPupil(fx.db, fx.files, { from: school(fx.strangerA.number) })).record.id;
}

/** A record its LA has removed from the database: nobody finds it any more. */
async function removed(fx: MatrixFixtures): Promise<string> {
  const id = await record(fx);
  await fx.db
    .updateTable('lost_pupils')
    .set({ status: 'removed', removed_at: '2026-11-22T10:00:00.000Z', removal_reason: 'Test' })
    .where('id', '=', id)
    .execute();
  return id;
}

/** A record past leaving age, sent by `from`. */
async function due(fx: MatrixFixtures, from: string): Promise<string> {
  return (
    await makeLostPupil(fx.db, fx.files, {
      from: school(from),
      pupil: { dateOfBirth: PAST_LEAVING_AGE },
    })
  ).record.id;
}

const onRecord =
  (method: 'GET' | 'POST', path: string, json?: (fx: MatrixFixtures) => unknown) =>
  async (fx: MatrixFixtures, id: string): Promise<MatrixCall> =>
  (t, token) =>
    api(t.app, {
      method,
      url: `/api/v1/lost-pupils/${id}${path}`,
      token,
      ...(json ? { json: json(fx) } : {}),
    });

function recordCase(call: (fx: MatrixFixtures, id: string) => Promise<MatrixCall>): MatrixCase {
  return {
    own: async (fx) => call(fx, await record(fx)),
    other: async (fx) => call(fx, await removed(fx)),
  };
}

const closeMatch =
  (matchId: string): MatrixCall =>
  (t, token) =>
    api(t.app, {
      method: 'POST',
      url: `/api/v1/lost-pupils/matches/${matchId}/close`,
      token,
      json: { outcome: 'not-the-pupil' },
    });

const removeRecords =
  (id: string): MatrixCall =>
  (t, token) =>
    api(t.app, {
      method: 'POST',
      url: '/api/v1/lost-pupils/past-leaving-age/remove',
      token,
      json: { records: [id], reason: 'past-leaving-age' },
    });

export const LOST_PUPILS_CASES: Record<string, MatrixCase> = {
  searchLostPupils: {
    own: async () => (t, token) =>
      api(t.app, { method: 'POST', url: '/api/v1/lost-pupils/search', token, json: { surname: 'Smith' } }),
  },
  getLostPupil: recordCase(onRecord('GET', '')),
  downloadLostPupil: recordCase(onRecord('POST', '/download', () => ({ attest: true }))),
  confirmLostPupilFound: recordCase(onRecord('POST', '/found')),
  forwardLostPupil: recordCase(
    onRecord('POST', '/forward', (fx) => ({ school: fx.school.number, attest: true })),
  ),
  listLostPupilMatches: {
    own: async () => (t, token) => api(t.app, { url: '/api/v1/lost-pupils/matches', token }),
  },
  closeLostPupilMatch: {
    own: async (fx) =>
      closeMatch(
        (
          await makeMatch(fx.db, fx.files, {
            from: fx.school.number,
            seenAt: fx.strangerA.number,
            seenAtLa: fx.otherLa.number,
          })
        ).matchId,
      ),
    other: async (fx) =>
      closeMatch(
        (
          await makeMatch(fx.db, fx.files, {
            from: fx.strangerA.number,
            seenAt: fx.strangerB.number,
            seenAtLa: fx.otherLa.number,
          })
        ).matchId,
      ),
  },
  listPastLeavingAge: {
    own: async () => (t, token) => api(t.app, { url: '/api/v1/lost-pupils/past-leaving-age', token }),
  },
  removePastLeavingAge: {
    own: async (fx) => removeRecords(await due(fx, fx.school.number)),
    other: async (fx) => removeRecords(await due(fx, fx.strangerA.number)),
  },
};
