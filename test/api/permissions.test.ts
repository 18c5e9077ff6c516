// The API's permission matrix. /api/v1 is not in app.routeTable (its routes are not pages), so it has
// its own walk, over the operations table itself: every operation x every role x its own organisation's
// file and another organisation's; without a token (401); with a token whose scope is too small (403).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { API_OPERATIONS } from '../../src/api/catalogue.ts';
import type { ApiOperationInfo } from '../../src/api/operation.ts';
import { insertApiToken } from '../../src/api/token-repository.ts';
import { type Scope, scopeAllows, tokenHash } from '../../src/api/token-service.ts';
import { can, ROLES, type Role, scopeOf } from '../../src/auth/permissions.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import type { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { createTestApp, type TestApp } from '../support/web.ts';
import type { MatrixCase, MatrixFixtures } from './matrix/cases.ts';
import { CENSUS_CASES } from './matrix/census.ts';
import { FILES_CASES } from './matrix/files.ts';
import { LOST_PUPILS_CASES } from './matrix/lost-pupils.ts';
import { MESSAGES_CASES } from './matrix/messages.ts';
import { REPORTS_CASES } from './matrix/reports.ts';

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

const CASES: Record<string, MatrixCase> = {
  ...FILES_CASES,
  ...LOST_PUPILS_CASES,
  ...MESSAGES_CASES,
  ...REPORTS_CASES,
  ...CENSUS_CASES,
};

async function fixturesFor(db: Db, files: EncryptedFileStore, role: Role): Promise<MatrixFixtures> {
  const la = await makeLa(db);
  const otherLa = await makeLa(db);
  const school = await makeSchool(db, la.number);
  const scope = scopeOf(role);
  const actor = await makeUser(db, role, {
    laNumber: scope === 'national' ? null : la.number,
    establishmentNumber: scope === 'school' ? school.number : null,
  });
  return {
    db,
    files,
    role,
    actor,
    la,
    school,
    otherLa,
    strangerA: await makeSchool(db, otherLa.number),
    strangerB: await makeSchool(db, otherLa.number),
  };
}

function caseOf(op: ApiOperationInfo): MatrixCase {
  const found = CASES[op.operationId];
  if (!found) throw new Error(`${op.operationId} has no case in test/api/matrix/`);
  return found;
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
    const fixtures = await fixturesFor(database.db, t.deps.files, 'school');
    for (const op of API_OPERATIONS) {
      const response = await (await caseOf(op).own(fixtures))(t, undefined);
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
        const cases = caseOf(op);
        const own = await (await cases.own(fixtures))(t, full);
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
          const small = await (await cases.own(fixtures))(t, reader);
          check(
            small.statusCode === 403 && small.json().type === '/api/docs#problem-insufficient-scope',
            `${op.method} ${op.url} (read token)`,
            small.statusCode,
            small.body,
            '403 insufficient-scope',
          );
        }
        if (op.url.includes(':') && !cases.other)
          problems.push(`${op.operationId} has no other-organisation case`);
        if (cases.other) {
          const other = await (await cases.other(fixtures))(t, full);
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
