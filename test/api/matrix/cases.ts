// The API permission matrix's cases: for each operation, a request on something of the actor's own
// organisation, and (for operations that address one thing) the same request on another
// organisation's. Each feature keeps its cases in its own file here; permissions.test.ts walks them
// all and fails for an operation without one.
import type { LightMyRequestResponse } from 'fastify';
import type { Role } from '../../../src/auth/permissions.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow, UserRow } from '../../../src/platform/db/schema.ts';
import type { EncryptedFileStore } from '../../../src/platform/storage/encrypted-store.ts';
import type { TestApp } from '../../support/web.ts';

export interface MatrixFixtures {
  db: Db;
  files: EncryptedFileStore;
  role: Role;
  /** The user whose tokens are used: of `la` (and of `school` for school roles; national: neither). */
  actor: UserRow;
  la: LocalAuthorityRow;
  school: EstablishmentRow;
  /** Another LA, with two schools of its own. */
  otherLa: LocalAuthorityRow;
  strangerA: EstablishmentRow;
  strangerB: EstablishmentRow;
}

/** One request, made with the token given (none: unauthenticated). */
export type MatrixCall = (t: TestApp, token: string | undefined) => Promise<LightMyRequestResponse>;

export interface MatrixCase {
  /** Something the actor's organisation may act on (roles that may not use the operation get 403). */
  own: (fixtures: MatrixFixtures) => Promise<MatrixCall>;
  /** Another organisation's: 404 for roles that may use the operation. */
  other?: (fixtures: MatrixFixtures) => Promise<MatrixCall>;
}
