// The expiry of messages (handbook §11): "Messages in red text have not been read. These will be deleted
// after: 31 days. Messages in black text have been read. These will be deleted after: 14 days."
import type { Db } from '../platform/db/schema.ts';
import type { JobDefinition } from '../platform/jobs/scheduler.ts';
import { plural } from '../platform/words.ts';
import { expireMessages } from './repository.ts';
import { READ_DAYS, UNREAD_DAYS } from './service.ts';

export const MESSAGE_EXPIRY_JOB = 'message-expiry';

export function messageExpiryJob(deps: { db: Db }): JobDefinition {
  return {
    name: MESSAGE_EXPIRY_JOB,
    description: `Takes messages out of their recipients' lists ${UNREAD_DAYS} days after they were sent if nobody has read them, or ${READ_DAYS} days after they were first read, and deletes a message with its text once it has left every list and is at least ${UNREAD_DAYS} days old.`,
    schedule: '25 * * * *',
    scheduleText: 'every hour, at 25 minutes past',
    exclusive: true,
    run: async ({ now }) => {
      const r = await expireMessages(deps.db, now, { unreadDays: UNREAD_DAYS, readDays: READ_DAYS });
      return {
        ok: true,
        didWork: r.expired + r.deleted > 0,
        summary: `Took ${plural(r.expired, 'message')} out of recipients' lists; deleted ${plural(r.deleted, 'message')} with ${r.deleted === 1 ? 'its' : 'their'} text.`,
        counts: { ...r },
      };
    },
  };
}
