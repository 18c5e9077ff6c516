// The API's permission matrix. /api/v1 is not in app.routeTable (its routes are not pages), so it has
// its own walk, over the operations table itself: every operation x every role x its own organisation's
// file and another organisation's; without a token (401); with a token whose scope is too small (403).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { API_OPERATIONS, type ApiOperationInfo } from '../../src/api/operations.ts';
import { insertApiToken } from '../../src/api/token-repository.ts';
import { type Scope, scopeAllows, tokenHash } from '../../src/api/token-service.ts';
import { can, ROLES, type Role, scopeOf } from '../../src/auth/permissions.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import type { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { CATEGORIES, downloadCapability, uploadCapability } from '../../src/transfers/categories.ts';
import { actorParty } from '../../src/transfers/parties.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf, makeTransfer, school as schoolParty } from '../support/transfers.ts';
import { createTestApp, type TestApp } from '../support/web.ts';
import { api, uploadFiles } from './support.ts';

/** A token straight into the table: roles without api.use cannot make one, but must still be refused. */
async function tokenFor(db: Db, user: UserRow, scope: Scope): Promise<string> {
  const token = `s2s_${randomBytes(32).toString('base64url')}`;
  await insertApiToken(db, {
    id: randomUUID(),
    user_id: user.id,
    name: 'matrix',
    scopes: scope,
    token_hash: tokenHash(token),
    prefix: token.slice(0, 8),
    created_at: new Date().toISOString(),
    expires_at: null,
    last_used_at: null,
    revoked_at: null,
    revoked_by: null,
  });
  return token;
}

interface Fixtures {
  actor: UserRow;
  /** Files addressed to the actor's organisation (one per operation that changes one), one it sent. */
  incoming: () => Promise<string>;
  sent: () => Promise<string>;
  /** A file between two schools of another LA. */
  other: string;
}

async function fixturesFor(db: Db, files: EncryptedFileStore, role: Role): Promise<Fixtures> {
  const la = await makeLa(db);
  const otherLa = await makeLa(db);
  const school = await makeSchool(db, la.number);
  const strangerA = await makeSchool(db, otherLa.number);
  const strangerB = await makeSchool(db, otherLa.number);
  const scope = scopeOf(role);
  const actor = await makeUser(db, role, {
    laNumber: scope === 'national' ? null : la.number,
    establishmentNumber: scope === 'school' ? school.number : null,
  });
  const other = await makeTransfer(db, files, {
    from: schoolParty(strangerA.number),
    to: schoolParty(strangerB.number),
  });
  const own = actorParty(actorOf(actor));
  const receives = CATEGORIES.find((c) => can(role, downloadCapability(c))) ?? 'ctf';
  const sends = CATEGORIES.find((c) => can(role, uploadCapability(c))) ?? 'ctf';
  const from = schoolParty(strangerA.number);
  return {
    actor,
    other: other.row.id,
    incoming: async () =>
      own ? (await makeTransfer(db, files, { from, to: own, category: receives })).row.id : other.row.id,
    sent: async () =>
      own ? (await makeTransfer(db, files, { from: own, to: from, category: sends })).row.id : other.row.id,
  };
}

async function call(t: TestApp, op: ApiOperationInfo, token: string | undefined, id: string) {
  if (op.operationId === 'uploadFiles') {
    return uploadFiles(t.app, token, [{ filename: 'NOT_A_GOOD_NAME.XML', content: '<x/>' }]);
  }
  return api(t.app, {
    method: op.method,
    url: op.url.replace(':id', id),
    token,
    ...(op.operationId === 'rejectFile' ? { json: { reason: 'Not our pupils' } } : {}),
  });
}

describe('API permission matrix: every operation x every role x own and other organisation', () => {
  let database: TestDatabase;
  let t: TestApp;
  before(async () => {
    database = await createTestDatabase('sqlite');
    t = await createTestApp(database.db);
  });
  after(async () => {
    await t.app.close();
    await database.drop();
  });

  test('without a token every operation answers 401 problem+json', async () => {
    for (const op of API_OPERATIONS) {
      const response = await call(t, op, undefined, randomUUID());
      assert.equal(response.statusCode, 401, `${op.method} ${op.url}`);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="s2s"');
    }
  });

  for (const role of ROLES) {
    test(`role ${role}`, async () => {
      const fixtures = await fixturesFor(database.db, t.deps.files, role);
      const full = await tokenFor(database.db, fixtures.actor, 'admin');
      const reader = await tokenFor(database.db, fixtures.actor, 'read');
      const problems: string[] = [];
      const check = (ok: boolean, what: string, status: number, body: string, wanted: string) => {
        if (!ok) problems.push(`${what} answered ${status} (${body.slice(0, 160)}), expected ${wanted}`);
      };
      for (const op of API_OPERATIONS) {
        const allowed = can(role, 'api.use') && can(role, op.capability);
        const ownId = op.operationId === 'removeFile' ? await fixtures.sent() : await fixtures.incoming();
        const own = await call(t, op, full, ownId);
        const what = `${op.method} ${op.url} (own)`;
        if (!allowed) {
          check(own.statusCode === 403, what, own.statusCode, own.body, '403');
          check(
            own.json().type === '/api/docs#problem-forbidden',
            what,
            own.statusCode,
            own.body,
            'forbidden',
          );
        } else {
          check(
            own.statusCode < 500 && ![401, 403, 404].includes(own.statusCode),
            what,
            own.statusCode,
            own.body,
            'no refusal',
          );
        }
        // A token whose scope is too small is refused before anything else happens.
        if (allowed && !scopeAllows(['read'], op.scope)) {
          const small = await call(t, op, reader, await fixtures.incoming());
          check(
            small.statusCode === 403 && small.json().type === '/api/docs#problem-insufficient-scope',
            `${op.method} ${op.url} (read token)`,
            small.statusCode,
            small.body,
            '403 insufficient-scope',
          );
        }
        if (op.url.includes(':id')) {
          const other = await call(t, op, full, fixtures.other);
          check(
            allowed ? other.statusCode === 404 : other.statusCode === 403,
            `${op.method} ${op.url} (other organisation)`,
            other.statusCode,
            other.body,
            allowed ? '404' : '403',
          );
        }
      }
      assert.deepEqual(problems, []);
    });
  }
});
