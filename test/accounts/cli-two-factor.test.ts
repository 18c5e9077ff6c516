// `s2s users reset-two-factor`: the operator's way back in for a national administrator who lost both
// their phone and their recovery codes. Run as operators run it: a separate process on its own database.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cliSandbox } from '../support/cli.ts';
import { markTwoFactorSetUp } from '../support/factories.ts';

describe('s2s users reset-two-factor', () => {
  const sandbox = cliSandbox('users-2fa', { database: true });
  const { s2s } = sandbox;

  test('removes the secret and recovery codes of the account, audited as the command line', async () => {
    const added = s2s(
      'users',
      'add',
      '--username',
      'natadmin2',
      '--role',
      'national_admin',
      '--name',
      'N Two',
    );
    assert.equal(added.code, 0, added.stderr);
    const db = sandbox.db();
    const at = '2026-11-23T09:00:00.000Z';
    const userId = await markTwoFactorSetUp(db, 'natadmin2', at);
    await db
      .insertInto('two_factor_recovery_codes')
      .values({ id: 'c1', user_id: userId, code_hash: 'h'.repeat(64), created_at: at, used_at: null })
      .execute();

    const run = s2s('users', 'reset-two-factor', '--username', 'natadmin2');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /The two-factor sign-in of natadmin2 has been reset/);
    const left = await db
      .selectFrom('two_factor_secrets')
      .select('user_id')
      .where('user_id', '=', userId)
      .execute();
    assert.deepEqual(left, []);
    const codes = await db
      .selectFrom('two_factor_recovery_codes')
      .select('id')
      .where('user_id', '=', userId)
      .execute();
    assert.deepEqual(codes, []);
    const audit = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'two-factor-reset')
      .executeTakeFirstOrThrow();
    assert.equal(audit.actor_username, 'cli');
    assert.equal(audit.subject_id, 'natadmin2');

    const again = s2s('users', 'reset-two-factor', '--username', 'natadmin2', '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { username: 'natadmin2', reset: false });
  });

  test('an unknown account is an error, a missing username a usage error', () => {
    const unknown = s2s('users', 'reset-two-factor', '--username', 'nobody');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /There is no account nobody/);
    const missing = s2s('users', 'reset-two-factor');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Missing --username/);
  });
});
