// Matrix cases of the Files operations: a file sent to or by the actor's organisation, and a file
// between two schools of another LA.
import { can } from '../../../src/auth/permissions.ts';
import { CATEGORIES, downloadCapability, uploadCapability } from '../../../src/transfers/categories.ts';
import { actorParty } from '../../../src/transfers/parties.ts';
import { actorOf, makeTransfer, school as schoolParty } from '../../support/transfers.ts';
import { api, uploadFiles } from '../support.ts';
import type { MatrixCall, MatrixCase, MatrixFixtures } from './cases.ts';

async function otherFile(fx: MatrixFixtures): Promise<string> {
  const other = await makeTransfer(fx.db, fx.files, {
    from: schoolParty(fx.strangerA.number),
    to: schoolParty(fx.strangerB.number),
  });
  return other.row.id;
}

/** A file addressed to the actor's organisation (another LA's file for national roles). */
async function incoming(fx: MatrixFixtures): Promise<string> {
  const own = actorParty(actorOf(fx.actor));
  if (!own) return otherFile(fx);
  const category = CATEGORIES.find((c) => can(fx.role, downloadCapability(c))) ?? 'ctf';
  return (await makeTransfer(fx.db, fx.files, { from: schoolParty(fx.strangerA.number), to: own, category }))
    .row.id;
}

async function sent(fx: MatrixFixtures): Promise<string> {
  const own = actorParty(actorOf(fx.actor));
  if (!own) return otherFile(fx);
  const category = CATEGORIES.find((c) => can(fx.role, uploadCapability(c))) ?? 'ctf';
  return (await makeTransfer(fx.db, fx.files, { from: own, to: schoolParty(fx.strangerA.number), category }))
    .row.id;
}

const onFile =
  (method: 'GET' | 'POST' | 'DELETE', path: string, json?: unknown) =>
  (id: string): MatrixCall =>
  (t, token) =>
    api(t.app, { method, url: `/api/v1/files/${id}${path}`, token, ...(json ? { json } : {}) });

function fileCase(call: (id: string) => MatrixCall, own = incoming): MatrixCase {
  return {
    own: async (fx) => call(await own(fx)),
    other: async (fx) => call(await otherFile(fx)),
  };
}

export const FILES_CASES: Record<string, MatrixCase> = {
  uploadFiles: {
    own: async () => (t, token) =>
      uploadFiles(t.app, token, [{ filename: 'NOT_A_GOOD_NAME.XML', content: '<x/>' }]),
  },
  listIncomingFiles: { own: async () => (t, token) => api(t.app, { url: '/api/v1/files/incoming', token }) },
  listOutgoingFiles: { own: async () => (t, token) => api(t.app, { url: '/api/v1/files/outgoing', token }) },
  getFile: fileCase(onFile('GET', '')),
  downloadFile: fileCase(onFile('GET', '/content')),
  acceptFile: fileCase(onFile('POST', '/accept')),
  rejectFile: fileCase(onFile('POST', '/reject', { reason: 'Not our pupils' })),
  removeFile: fileCase(onFile('DELETE', ''), sent),
};
