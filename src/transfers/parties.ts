// Whose file is it? A transfer is visible to its source organisation and its destination organisation
// only (LA monitoring views are a separate, explicit rule). Pure functions.
import type { Actor } from '../auth/actor.ts';
import { type Role, scopeOf } from '../auth/permissions.ts';
import type { TransferRow } from '../platform/db/schema.ts';

/** The organisation an actor sends and receives files as. */
export type ActorParty =
  | { kind: 'school'; establishmentNumber: string; laNumber: string }
  | { kind: 'la'; laNumber: string }
  | { kind: 'la-inbox'; laNumber: string; inbox: 'PLAS' | 'ADMS' };

/** LA notes §1.6: the PLASC and admissions roles use their LA's LEAPLAS and LEAADMS codes. */
const INBOX_OF: Partial<Record<Role, 'PLAS' | 'ADMS'>> = { la_plasc: 'PLAS', la_admissions: 'ADMS' };

/** The party the actor acts as, or null for roles that neither send nor receive files. */
export function actorParty(actor: Actor): ActorParty | null {
  const scope = scopeOf(actor.role);
  if (scope === 'school') {
    return actor.establishmentNumber
      ? {
          kind: 'school',
          establishmentNumber: actor.establishmentNumber,
          laNumber: actor.establishmentNumber.slice(0, 3),
        }
      : null;
  }
  if (scope === 'la' && actor.laNumber) {
    const inbox = INBOX_OF[actor.role];
    return inbox
      ? { kind: 'la-inbox', laNumber: actor.laNumber, inbox }
      : { kind: 'la', laNumber: actor.laNumber };
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

export function isSender(party: ActorParty | null, transfer: Ends): boolean {
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

export function isRecipient(party: ActorParty | null, transfer: Ends): boolean {
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
