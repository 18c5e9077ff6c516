import { type Role, scopeOf } from './permissions.ts';

/** Who is acting: the signed-in user as the domain sees them. */
export interface Actor {
  userId: string;
  username: string;
  role: Role;
  laNumber: string | null;
  establishmentNumber: string | null;
}

/** The organisation an actor acts for: their school, their LA, or null for national roles. */
export function organisationOf(
  actor: Pick<Actor, 'role' | 'laNumber' | 'establishmentNumber'>,
): string | null {
  const scope = scopeOf(actor.role);
  if (scope === 'school') return actor.establishmentNumber;
  if (scope === 'la') return actor.laNumber;
  return null;
}
