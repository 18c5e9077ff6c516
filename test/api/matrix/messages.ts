// Matrix cases of the Messages operations: a message in the actor's mailbox (or sent from it), and a
// message between two schools of another LA. Roles without a mailbox are refused before any message is
// looked at, so theirs is the other schools' message.
import { mailboxOf } from '../../../src/messaging/mailboxes.ts';
import { makeUser } from '../../support/factories.ts';
import { actorOf, mailboxOfUser, makeMessage } from '../../support/messages.ts';
import { api } from '../support.ts';
import type { MatrixCall, MatrixCase, MatrixFixtures } from './cases.ts';

/** A user of the other LA's school A, who writes to the actor. */
async function stranger(fx: MatrixFixtures) {
  return makeUser(fx.db, 'school', {
    laNumber: fx.otherLa.number,
    establishmentNumber: fx.strangerA.number,
  });
}

/** A message from the other LA's school A to its school B. */
async function otherMessage(fx: MatrixFixtures): Promise<string> {
  return makeMessage(fx.db, await stranger(fx), [`school:${fx.strangerB.number}`]);
}

const hasMailbox = (fx: MatrixFixtures) => mailboxOf(actorOf(fx.actor)) !== null;

/** A message in the actor's mailbox. */
async function received(fx: MatrixFixtures): Promise<string> {
  if (!hasMailbox(fx)) return otherMessage(fx);
  return makeMessage(fx.db, await stranger(fx), [mailboxOfUser(fx.actor)]);
}

/** A message the actor's mailbox sent. */
async function sent(fx: MatrixFixtures): Promise<string> {
  if (!hasMailbox(fx)) return otherMessage(fx);
  return makeMessage(fx.db, fx.actor, [`school:${fx.strangerA.number}`]);
}

const onMessage =
  (method: 'GET' | 'POST' | 'DELETE', path: (id: string) => string, json?: unknown) =>
  (id: string): MatrixCall =>
  (t, token) =>
    api(t.app, { method, url: `/api/v1/messages${path(id)}`, token, ...(json ? { json } : {}) });

function messageCase(call: (id: string) => MatrixCall, own = received): MatrixCase {
  return {
    own: async (fx) => call(await own(fx)),
    other: async (fx) => call(await otherMessage(fx)),
  };
}

export const MESSAGES_CASES: Record<string, MatrixCase> = {
  listMessages: { own: async () => (t, token) => api(t.app, { url: '/api/v1/messages', token }) },
  getMessage: messageCase(onMessage('GET', (id) => `/${id}`)),
  sendMessage: {
    own: async (fx) => (t, token) =>
      api(t.app, {
        method: 'POST',
        url: '/api/v1/messages',
        token,
        json: {
          recipients: [{ school: fx.strangerA.number }],
          description: 'A pupil who left',
          text: 'Do you have the CTF?',
        },
      }),
  },
  replyToMessage: messageCase(onMessage('POST', (id) => `/${id}/reply`, { text: 'Thank you' })),
  deleteMessage: messageCase(onMessage('DELETE', (id) => `/${id}`)),
  listSentMessages: { own: async () => (t, token) => api(t.app, { url: '/api/v1/messages/sent', token }) },
  getSentMessage: messageCase(
    onMessage('GET', (id) => `/sent/${id}`),
    sent,
  ),
  listMessageGroups: {
    own: async () => (t, token) => api(t.app, { url: '/api/v1/messages/groups', token }),
  },
};
