// The email outbox keeps each notification once it has an outcome for FINISHED_RETENTION_DAYS, then this
// job deletes it: without it the table grew by every email ever sent (millions a year nationally), and
// kept the text of messages sent by email long after the messages themselves had gone.
import { daysBefore } from '../platform/dates.ts';
import type { Db } from '../platform/db/schema.ts';
import { message } from '../platform/i18n/catalogue.ts';
import type { JobDefinition } from '../platform/jobs/scheduler.ts';
import { deleteFinishedNotifications, FINISHED_RETENTION_DAYS } from './outbox.ts';

export const NOTIFICATION_RETENTION_JOB = 'purge-notifications';

export function notificationRetentionJob(deps: { db: Db }): JobDefinition {
  return {
    name: NOTIFICATION_RETENTION_JOB,
    description: message('jobs.purge-notifications.description', { days: FINISHED_RETENTION_DAYS }),
    schedule: '35 * * * *',
    scheduleText: message('jobs.purge-notifications.schedule'),
    exclusive: true,
    run: async ({ now, signal }) => {
      const before = daysBefore(now, FINISHED_RETENTION_DAYS);
      const deleted = await deleteFinishedNotifications(deps.db, before, { signal });
      return {
        ok: true,
        didWork: deleted > 0,
        summary: message('jobs.purge-notifications.summary', { count: deleted }),
        counts: { deleted },
      };
    },
  };
}
