// Whose file is it? A transfer is visible to its source organisation and its destination organisation
// only (LA monitoring views are a separate, explicit rule). Pure functions.
import type { Actor } from '../auth/actor.ts';
import { can, ROLES, type Role, scopeOf } from '../auth/permissions.ts';
import type { TransferRow } from '../platform/db/schema.ts';
import { type Category, downloadCapability } from './categories.ts';
import type { FileKind, Party } from './filenames.ts';

/** The organisation an actor sends and receives files as. */
export type ActorParty =
  | { kind: 'school'; establishmentNumber: string; laNumber: string }
  | { kind: 'la'; laNumber: string }
  | { kind: 'la-inbox'; laNumber: string; inbox: 'PLAS' | 'ADMS' };

/** LA notes §1.6: the PLASC and admissions roles use their LA's LEAPLAS and LEAADMS codes. */
const INBOX_OF: Partial<Record<Role, 'PLAS' | 'ADMS'>> = { la_plasc: 'PLAS', la_admissions: 'ADMS' };

/** The party the actor acts as, or null for roles that neither send nor receive files. */
export function actorParty(actor: Actor): ActorParty | null {
  return roleParty(actor.role, actor);
}

/** The party a user of `role` in this organisation acts as (actorParty's rule, for any role). */
function roleParty(
  role: Role,
  organisation: Pick<Actor, 'laNumber' | 'establishmentNumber'>,
): ActorParty | null {
  const scope = scopeOf(role);
  if (scope === 'school') {
    return organisation.establishmentNumber
      ? {
          kind: 'school',
          establishmentNumber: organisation.establishmentNumber,
          laNumber: organisation.establishmentNumber.slice(0, 3),
        }
      : null;
  }
  if (scope === 'la' && organisation.laNumber) {
    const inbox = INBOX_OF[role];
    return inbox
      ? { kind: 'la-inbox', laNumber: organisation.laNumber, inbox }
      : { kind: 'la', laNumber: organisation.laNumber };
  }
  return null;
}

type Ends = Pick<
  TransferRow,
  | 'kind'
  | 'source_la'
  | 'source_school'
  | 'source_inbox'
  | 'dest_kind'
  | 'dest_la'
  | 'dest_school'
  | 'dest_inbox'
>;

export function isSender(
  party: ActorParty | null,
  transfer: Pick<Ends, 'source_la' | 'source_school' | 'source_inbox'>,
): boolean {
  if (!party) return false;
  switch (party.kind) {
    case 'school':
      return transfer.source_school === party.establishmentNumber;
    case 'la':
      return (
        transfer.source_school === null &&
        transfer.source_inbox === null &&
        transfer.source_la === party.laNumber
      );
    case 'la-inbox':
      return (
        transfer.source_school === null &&
        transfer.source_inbox === party.inbox &&
        transfer.source_la === party.laNumber
      );
  }
}

/** What isRecipient reads: where a file is addressed, and its kind. */
type Addressed = Pick<Ends, 'kind' | 'dest_kind' | 'dest_la' | 'dest_school' | 'dest_inbox'>;

export function isRecipient(party: ActorParty | null, transfer: Addressed): boolean {
  if (!party) return false;
  switch (party.kind) {
    case 'school':
      return transfer.dest_kind === 'school' && transfer.dest_school === party.establishmentNumber;
    case 'la':
      return transfer.dest_kind === 'la' && transfer.dest_la === party.laNumber;
    case 'la-inbox':
      if (transfer.dest_la !== party.laNumber) return false;
      if (transfer.dest_kind === 'la-inbox') return transfer.dest_inbox === party.inbox;
      // Census returns (LEALLyy) are the LA PLASC role's to collect.
      return party.inbox === 'PLAS' && transfer.kind === 'census' && transfer.dest_kind === 'la';
  }
}

/**
 * Whether anyone could collect a file of this kind, sent through this Upload menu item, at
 * `destination`: some role whose users receive what is addressed there (isRecipient) may download the
 * category. Read from the permission table, so it follows it: today a school downloads CTFs, generic and
 * admissions files, the PLASC inbox census and generic files, the admissions inbox admissions and
 * generic files, and the LA every category; a CFR or exclusion file addressed to a school or an inbox
 * would wait there for ever. The Lost Pupils Database is not collected but searched (lost-pupils/).
 */
export function collectable(category: Category, kind: FileKind, destination: Party): boolean {
  if (destination.kind === 'lost-pupils') return true;
  const school = destination.kind === 'school' ? destination.establishmentNumber : null;
  const addressed: Addressed = {
    kind,
    dest_kind: destination.kind,
    dest_la: destination.laNumber,
    dest_school: school,
    dest_inbox: destination.kind === 'la-inbox' ? destination.inbox : null,
  };
  const organisation = { laNumber: destination.laNumber, establishmentNumber: school };
  return ROLES.some(
    (role) =>
      can(role, downloadCapability(category)) && isRecipient(roleParty(role, organisation), addressed),
  );
}
