// Sessions end when they are used after their idle or absolute limit (AuthService.lookUpSession), but a
// session nobody comes back to would stay in the table for ever: this job deletes them, so the table holds
// only sessions that can still be used.
import type { Db } from '../platform/db/schema.ts';
import { message } from '../platform/i18n/catalogue.ts';
import type { JobDefinition } from '../platform/jobs/scheduler.ts';
import { deleteExpiredSessions } from './repository.ts';

export const SESSION_SWEEP_JOB = 'sweep-sessions';

export function sessionSweepJob(deps: {
  db: Db;
  config: { session: { idleMinutes: number } };
}): JobDefinition {
  const { idleMinutes } = deps.config.session;
  return {
    name: SESSION_SWEEP_JOB,
    description: message('jobs.sweep-sessions.description', { minutes: idleMinutes }),
    schedule: '50 * * * *',
    scheduleText: message('jobs.sweep-sessions.schedule'),
    exclusive: true,
    run: async ({ now }) => {
      const deleted = await deleteExpiredSessions(deps.db, now, idleMinutes);
      return {
        ok: true,
        didWork: deleted > 0,
        summary: message('jobs.sweep-sessions.summary', { count: deleted }),
        counts: { deleted },
      };
    },
  };
}
