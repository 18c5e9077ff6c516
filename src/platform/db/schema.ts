// Table types for the Kysely query builder. Dates are ISO-8601 UTC strings and flags are 0/1 integers in
// both engines, so feature code never sees a dialect difference.
import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';

export type Flag = 0 | 1;

export interface LocalAuthorityTable {
  number: string;
  name: string;
  country: 'England' | 'Wales';
  contact_name: string | null;
  email: string | null;
  telephone: string | null;
  address: string | null;
  updated_at: string;
}

export interface EstablishmentTable {
  number: string;
  la_number: string;
  name: string;
  name_search: string;
  town: string | null;
  town_search: string;
  postcode: string | null;
  phase: string | null;
  type: string | null;
  status: 'open' | 'closed';
  urn: string | null;
  uses_s2s: Flag;
  active: Flag;
  email: string | null;
  telephone: string | null;
  opened_on: string | null;
  closed_on: string | null;
  created_at: string;
  updated_at: string;
}

export interface UserTable {
  id: string;
  username: string;
  password_hash: string;
  role: string;
  la_number: string | null;
  establishment_number: string | null;
  full_name: string;
  email: string | null;
  telephone: string | null;
  must_change_password: Flag;
  created_at: string;
  updated_at: string;
  password_changed_at: string;
  last_signed_in_at: string | null;
  deleted_at: string | null;
}

export interface SessionTable {
  id: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface SignInAttemptTable {
  id: string;
  username: string;
  address: string;
  attempted_at: string;
  succeeded: Flag;
}

export interface AuditEventTable {
  id: string;
  occurred_at: string;
  actor_user_id: string | null;
  actor_username: string | null;
  organisation: string | null;
  action: string;
  subject_type: string | null;
  subject_id: string | null;
  detail: string | null;
}

export interface Database {
  local_authorities: LocalAuthorityTable;
  establishments: EstablishmentTable;
  users: UserTable;
  sessions: SessionTable;
  sign_in_attempts: SignInAttemptTable;
  audit_events: AuditEventTable;
}

export type Db = Kysely<Database>;
/** A database handle or an open transaction: repository methods accept either. */
export type Executor = Kysely<Database> | Transaction<Database>;

export type LocalAuthorityRow = Selectable<LocalAuthorityTable>;
export type EstablishmentRow = Selectable<EstablishmentTable>;
export type NewEstablishment = Insertable<EstablishmentTable>;
export type EstablishmentUpdate = Updateable<EstablishmentTable>;
export type UserRow = Selectable<UserTable>;
export type AuditEventRow = Selectable<AuditEventTable>;
