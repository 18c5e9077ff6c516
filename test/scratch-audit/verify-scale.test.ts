// Scratch audit (to be deleted): verify over a million sealed events, time and memory.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sealAudit, verifyAudit } from '../../src/audit/chain.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';

const N = Number(process.env.SCALE_EVENTS ?? 1_000_000);
for (const engine of (process.env.SCALE_ENGINES ?? 'sqlite').split(',') as ('sqlite' | 'postgres')[]) {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase(engine);
  });
  after(async () => {
    await database.drop();
  });
  test(`verify ${N} events [${engine}]`, { timeout: 3_600_000 }, async () => {
    const db = database.db;
    let t = Date.now();
    const batch = 1000;
    for (let from = 0; from < N; from += batch) {
      const rows = Array.from({ length: Math.min(batch, N - from) }, (_, i) => ({
        id: `00000000-0000-4000-8000-${String(from + i).padStart(12, '0')}`,
        occurred_at: new Date(Date.UTC(2026, 0, 1) + (from + i) * 1000).toISOString(),
        actor_user_id: '6f1c8a8e-1111-4222-8333-444455556666',
        actor_username: 'school-user-123',
        organisation: '9165402',
        action: 'file-downloaded',
        subject_type: 'transfer',
        subject_id: '6f1c8a8e-1111-4222-8333-444455556666',
        detail: JSON.stringify({ filename: '9165402_CTF_9163001_001.XML', category: 'ctf', pupils: 3, files: 1 }),
      }));
      // PostgreSQL takes at most 65535 parameters a statement.
      for (let i = 0; i < rows.length; i += 500) await db.insertInto('audit_events').values(rows.slice(i, i + 500)).execute();
    }
    console.log(`inserted ${N} in ${(Date.now() - t) / 1000} s`);
    t = Date.now();
    assert.equal(await sealAudit(db), N);
    console.log(`sealed in ${(Date.now() - t) / 1000} s`);
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let peak = heapBefore;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 20);
    t = Date.now();
    const result = await verifyAudit(db);
    clearInterval(timer);
    console.log(
      `verified ${result.checked} in ${(Date.now() - t) / 1000} s; heap before ${Math.round(heapBefore / 1e6)} MB, peak ${Math.round(peak / 1e6)} MB`,
    );
    assert.equal(result.ok, true);
  });
}
