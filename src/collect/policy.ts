// Who may open a census return and act on it (census guide: "Only the school and the Local Authority can
// view and access Census data. The DfES cannot view or access your data until the Local Authority grant
// access to it"). Pure functions over the permission table and the version's stamps.
import type { Actor } from '../auth/actor.ts';
import { can, scopeOf } from '../auth/permissions.ts';
import type { CensusReturnRow } from '../platform/db/schema.ts';

type Version = Pick<
  CensusReturnRow,
  'establishment_number' | 'la_number' | 'uploaded_by_scope' | 'submitted_at' | 'approved_at'
>;

/** The school's LA as the return's agent: its role checks returns and the return is of its schools. */
export function isAgentOf(actor: Actor, version: Pick<CensusReturnRow, 'la_number'>): boolean {
  return can(actor.role, 'collect.agent') && actor.laNumber === version.la_number;
}

/**
 * Acting as the return's source (answering queries, submitting): the school for its own return, and the
 * LA for a return it loaded for its school.
 */
export function actsAsSource(actor: Actor, version: Version): boolean {
  if (!can(actor.role, 'collect.return')) return false;
  if (scopeOf(actor.role) === 'school') return actor.establishmentNumber === version.establishment_number;
  return isAgentOf(actor, version) && version.uploaded_by_scope === 'la';
}

/**
 * Opening a version: the school always; its LA once it was submitted (or when the LA loaded it); the
 * collector only once the LA approved it.
 */
export function mayOpen(actor: Actor, version: Version): boolean {
  if (!can(actor.role, 'collect.use')) return false;
  if (actsAsSource(actor, version)) return true;
  if (isAgentOf(actor, version)) return version.submitted_at !== null;
  return scopeOf(actor.role) === 'national' && version.approved_at !== null;
}
