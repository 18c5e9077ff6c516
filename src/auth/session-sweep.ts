// Sessions end when they are used after their idle or absolute limit (AuthService.lookUpSession), but a
// session nobody comes back to would stay in the table for ever: this job deletes them, so the table holds
// only sessions that can still be used. Likewise the sign-in attempts older than the throttle's window.
import type { Db } from '../platform/db/schema.ts';
import { message } from '../platform/i18n/catalogue.ts';
import type { JobDefinition } from '../platform/jobs/scheduler.ts';
import { deleteExpiredSessions, deleteSignInAttemptsBefore } from './repository.ts';

export const SESSION_SWEEP_JOB = 'sweep-sessions';

export function sessionSweepJob(deps: {
  db: Db;
  config: { session: { idleMinutes: number }; signIn: { lockMinutes: number } };
}): JobDefinition {
  const { idleMinutes } = deps.config.session;
  const { lockMinutes } = deps.config.signIn;
  return {
    name: SESSION_SWEEP_JOB,
    description: message('jobs.sweep-sessions.description', { minutes: idleMinutes, lockMinutes }),
    schedule: '50 * * * *',
    scheduleText: message('jobs.sweep-sessions.schedule'),
    exclusive: true,
    run: async ({ now, signal }) => {
      const deleted = await deleteExpiredSessions(deps.db, now, idleMinutes);
      const lockedSince = new Date(now.getTime() - lockMinutes * 60_000).toISOString();
      const attempts = await deleteSignInAttemptsBefore(deps.db, lockedSince, { signal });
      return {
        ok: true,
        didWork: deleted + attempts > 0,
        summary: message('jobs.sweep-sessions.summary', {
          count: deleted,
          attempts: message('jobs.sweep-sessions.attempts', { count: attempts }),
        }),
        counts: { deleted, attempts },
      };
    },
  };
}
