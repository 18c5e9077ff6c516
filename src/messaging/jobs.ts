// The expiry of messages (handbook §11): "Messages in red text have not been read. These will be deleted
// after: 31 days. Messages in black text have been read. These will be deleted after: 14 days."
import type { Db } from '../platform/db/schema.ts';
import { message } from '../platform/i18n/catalogue.ts';
import type { JobDefinition } from '../platform/jobs/scheduler.ts';
import { expireMessages } from './repository.ts';
import { READ_DAYS, RETENTION, UNREAD_DAYS } from './service.ts';

export const MESSAGE_EXPIRY_JOB = 'message-expiry';

export function messageExpiryJob(deps: { db: Db }): JobDefinition {
  return {
    name: MESSAGE_EXPIRY_JOB,
    description: message('jobs.message-expiry.description', { unreadDays: UNREAD_DAYS, readDays: READ_DAYS }),
    schedule: '25 * * * *',
    scheduleText: message('jobs.message-expiry.schedule'),
    exclusive: true,
    run: async ({ now, signal }) => {
      const r = await expireMessages(deps.db, now, RETENTION, { signal });
      return {
        ok: true,
        didWork: r.expired + r.deleted > 0,
        summary: message('jobs.message-expiry.summary', {
          count: r.expired,
          deleted: message('jobs.message-expiry.deleted', { count: r.deleted }),
        }),
        counts: { ...r },
      };
    },
  };
}
