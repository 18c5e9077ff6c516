// Who may see and change which LA's directory records: the permission table says what a role may do,
// and the actor's organisation says where. LA roles act for their own LA only; national roles for all.
import type { Actor } from '../auth/actor.ts';
import { type Capability, can, scopeOf } from '../auth/permissions.ts';

type Who = Pick<Actor, 'role' | 'laNumber'>;

/** The LA is the actor's own, or the actor acts nationally. */
export function laIsInScope(actor: Who, laNumber: string): boolean {
  const scope = scopeOf(actor.role);
  if (scope === 'national') return true;
  return scope === 'la' && actor.laNumber !== null && actor.laNumber === laNumber;
}

/** The actor's role grants `capability` and the LA is theirs to act on. */
export function mayActOnLa(actor: Who, capability: Capability, laNumber: string): boolean {
  return can(actor.role, capability) && laIsInScope(actor, laNumber);
}

/** National roles choose an LA to work on (`requested`); everyone else always works on their own. */
export function chosenLa(actor: Who, requested: string | undefined): string | undefined {
  if (scopeOf(actor.role) === 'national') return requested || undefined;
  return actor.laNumber ?? undefined;
}

/** National roles pick the LA they work on from a list; LA roles have only their own. */
export function picksLa(actor: Who): boolean {
  return scopeOf(actor.role) === 'national';
}

/**
 * Whose audit events the actor may read: `{ laNumber }` for an LA (its own events and its schools'),
 * `{}` for everything, or null when the role may not read the audit log at all.
 */
export function auditScope(actor: Who): { laNumber?: string } | null {
  if (!can(actor.role, 'audit.view')) return null;
  const scope = scopeOf(actor.role);
  if (scope === 'national') return {};
  if (scope === 'la' && actor.laNumber) return { laNumber: actor.laNumber };
  return null;
}
