// Scratch audit (to be deleted): `s2s audit verify` run while the seal-audit job seals (every minute,
// on every node) reports tampering that did not happen.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import { sealAudit, verifyAudit } from '../../src/audit/chain.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { describeEachEngine } from '../support/databases.ts';

describeEachEngine('scratch: verify during sealing', (database) => {
  let db: Db;
  before(() => {
    db = database().db;
  });

  async function bulk(count: number, from: number): Promise<void> {
    const rows = Array.from({ length: count }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(from + i).padStart(12, '0')}`,
      occurred_at: new Date(Date.UTC(2026, 10, 2, 0, 0, 0, from + i)).toISOString(),
      actor_user_id: null,
      actor_username: 'bulk',
      organisation: '916',
      action: 'file-downloaded',
      subject_type: null,
      subject_id: null,
      detail: null,
    }));
    for (let i = 0; i < rows.length; i += 500)
      await db
        .insertInto('audit_events')
        .values(rows.slice(i, i + 500))
        .execute();
  }

  test('an untouched trail verifies while the job seals the events of the last minute', async () => {
    await bulk(20_000, 0);
    await sealAudit(db);
    assert.equal((await verifyAudit(db)).ok, true, 'whole before');
    // The last minute's events, waiting for the job.
    await bulk(50, 20_000);
    // The operator runs verify; the job's minute comes round just after verify has read the head.
    let result: Awaited<ReturnType<typeof verifyAudit>>;
    if (database().engine === 'sqlite') {
      // One connection: the job's transaction takes its turn between verify's queries.
      [result] = await Promise.all([verifyAudit(db), sealAudit(db)]);
    } else {
      // Another node's job, on another connection, once verify has read the head row.
      let sealed = false;
      const afterHeadRead: KyselyPlugin = {
        transformQuery: (args) => args.node,
        transformResult: async (args) => {
          if (!sealed) {
            sealed = true;
            await sealAudit(db);
          }
          return args.result;
        },
      };
      result = await verifyAudit(db.withPlugin(afterHeadRead));
    }
    assert.equal(result.ok, true, `nothing was tampered with, yet: ${JSON.stringify(result.broken)}`);
  });
});
