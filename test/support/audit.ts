// Audit events for the audit trail's tests.
import { recordAudit } from '../../src/audit/repository.ts';
import type { Db } from '../../src/platform/db/schema.ts';

/**
 * A writer of sign-in events through the handle `db()` gives (with its audit keys): `record(count,
 * organisation)` writes `count` events, each a minute after the one before, from 08:01 on 1 November 2026.
 */
export function signInEvents(db: () => Db): (count: number, organisation?: string) => Promise<void> {
  let minute = 0;
  return async (count, organisation = '916') => {
    for (let i = 0; i < count; i += 1) {
      minute += 1;
      await recordAudit(db(), {
        at: new Date(Date.UTC(2026, 10, 1, 8, minute)),
        actorUsername: `user${minute}`,
        organisation,
        action: 'sign-in',
        detail: { n: minute },
      });
    }
  };
}
