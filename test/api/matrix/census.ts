// Matrix cases of the Census operations: a collection the actor's LA takes part in and a return of its
// school (submitted, for the LA to open it; as loaded, for a school), and the same of another LA.
import { randomUUID } from 'node:crypto';
import { can, scopeOf } from '../../../src/auth/permissions.ts';
import { ManualClock } from '../../../src/platform/clock.ts';
import type { EstablishmentRow, LocalAuthorityRow } from '../../../src/platform/db/schema.ts';
import { liveCollection } from '../../support/census.ts';
import { makeUser } from '../../support/factories.ts';
import { loadedReturn, uploadReturn } from '../census-support.ts';
import { api } from '../support.ts';
import type { MatrixCall, MatrixCase, MatrixFixtures } from './cases.ts';

const ownCollection = (fx: MatrixFixtures) => liveCollection(fx.db, fx.actor, [fx.la.number]);
const otherCollection = (fx: MatrixFixtures) => liveCollection(fx.db, fx.actor, [fx.otherLa.number]);

/**
 * A return of `school`: loaded by the actor when it is that school, otherwise by the school and submitted.
 * A role that never takes part in collections through the API is refused before its request is read, so
 * its request names made-up ids instead of returns loaded for nothing.
 */
async function returnOf(fx: MatrixFixtures, la: LocalAuthorityRow, school: EstablishmentRow) {
  if (!can(fx.role, 'api.use') || !can(fx.role, 'collect.use')) {
    return { returnId: randomUUID(), queryId: randomUUID() };
  }
  const collectionId = await liveCollection(fx.db, fx.actor, [la.number]);
  const own = scopeOf(fx.role) === 'school' && fx.actor.establishment_number === school.number;
  const schoolUser = own
    ? fx.actor
    : await makeUser(fx.db, 'school', { laNumber: la.number, establishmentNumber: school.number });
  return loadedReturn({ db: fx.db, files: fx.files, clock: new ManualClock() }, schoolUser, collectionId, {
    submit: !own,
  });
}
const ownReturn = (fx: MatrixFixtures) => returnOf(fx, fx.la, fx.school);
const otherReturn = (fx: MatrixFixtures) => returnOf(fx, fx.otherLa, fx.strangerA);

const onReturn =
  (path: (r: { returnId: string; queryId: string }) => string, method: 'GET' | 'POST', json?: unknown) =>
  (r: { returnId: string; queryId: string }): MatrixCall =>
  (t, token) =>
    api(t.app, { method, url: `/api/v1/census/returns/${path(r)}`, token, ...(json ? { json } : {}) });

function returnCase(call: (r: { returnId: string; queryId: string }) => MatrixCall): MatrixCase {
  return { own: async (fx) => call(await ownReturn(fx)), other: async (fx) => call(await otherReturn(fx)) };
}

const upload =
  (collectionId: string): MatrixCall =>
  (t, token) =>
    uploadReturn(t.app, token, collectionId, [{ filename: 'NOT_A_RETURN.XML', content: '<x/>' }]);

export const CENSUS_CASES: Record<string, MatrixCase> = {
  listDataCollections: {
    own: async () => (t, token) => api(t.app, { url: '/api/v1/census/collections', token }),
  },
  getDataCollection: {
    own: async (fx) => {
      const id = await ownCollection(fx);
      return (t, token) => api(t.app, { url: `/api/v1/census/collections/${id}`, token });
    },
    other: async (fx) => {
      const id = await otherCollection(fx);
      return (t, token) => api(t.app, { url: `/api/v1/census/collections/${id}`, token });
    },
  },
  uploadCensusReturn: {
    own: async (fx) => upload(await ownCollection(fx)),
    other: async (fx) => upload(await otherCollection(fx)),
  },
  getCensusReturn: returnCase(onReturn((r) => r.returnId, 'GET')),
  answerCensusQuery: returnCase(
    onReturn((r) => `${r.returnId}/queries/${r.queryId}/answer`, 'POST', { answer: 'Parents declined.' }),
  ),
  submitCensusReturn: returnCase(
    onReturn((r) => `${r.returnId}/submit`, 'POST', { headteacherApproved: true }),
  ),
};
