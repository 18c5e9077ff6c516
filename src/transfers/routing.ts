// Whether the parties a file name names can send and receive it, according to the school directory.
// The name's form is checked first, without a database, by classifyFilename (filenames.ts).
//
// Decisions:
// - A destination school that is closed is refused, with advice: a CTF goes to the pupil's new school,
//   or to XXXXXXXX when that is not known (handbook §9); for other files, check the number in the
//   Establishment Finder (schools that reopen get a new number).
// - A destination school that does not use s2s is refused (handbook §9: "will be rejected"); for a CTF
//   the advice is MMMMMMMM, as the handbook says.
// - A destination school whose s2s account is inactive is refused too: nobody there can sign in to
//   collect the file. Its LA administers the account, so the advice is to ask the LA.
// - The source school only has to exist: a closing school still sends its pupils' CTFs, and an LA
//   forwarding a school's file to the right school keeps that school as the source (forward-service.ts).
//   Whether the person uploading may send for that source is the upload's permission check.
// - Lost pupils destinations (XXXXXXXX, MMMMMMMM) are not in the directory: nothing to check.
// - An LA forwarding a CTF (forward-service.ts) is told what fits a forward: the pupil is on roll at the
//   school the LA names, so a closed school means choosing the school the pupil is at now, and one not
//   using s2s needs another secure way. The handbook's XXXXXXXX and MMMMMMMM advice is for a school
//   sending a CTF, not for a file being passed on.
import { getEstablishment, getLocalAuthority } from '../directory/repository.ts';
import type { Executor } from '../platform/db/schema.ts';
import { type Message, message, translateMessage } from '../platform/i18n/catalogue.ts';
import type { ClassifiedFilename, Party } from './filenames.ts';

type Role = 'source' | 'destination';
/** Why the parties are checked: a file being uploaded, or a CTF an LA forwards to a school. */
export type Purpose = 'upload' | 'forward';

async function partyProblems(
  db: Executor,
  file: ClassifiedFilename,
  party: Party,
  role: Role,
  purpose: Purpose,
): Promise<Message[]> {
  switch (party.kind) {
    case 'lost-pupils':
      return [];
    case 'la':
    case 'la-inbox': {
      const la = await getLocalAuthority(db, party.laNumber);
      const missing =
        role === 'source' ? 'transfer.parties.la-missing.source' : 'transfer.parties.la-missing.destination';
      return la ? [] : [message(missing, { number: party.laNumber })];
    }
    case 'school': {
      const number = party.establishmentNumber;
      const school = await getEstablishment(db, number);
      if (!school) {
        const missing =
          role === 'source'
            ? 'transfer.parties.school-missing.source'
            : 'transfer.parties.school-missing.destination';
        return [message(missing, { number })];
      }
      if (role === 'source') return [];
      const ctf = file.kind === 'ctf' && purpose === 'upload';
      if (school.status === 'closed') {
        const closed =
          purpose === 'forward'
            ? 'transfer.parties.closed.forward'
            : ctf
              ? 'transfer.parties.closed.ctf'
              : 'transfer.parties.closed.other';
        return [message(closed, { number })];
      }
      if (!school.uses_s2s) {
        return [message(ctf ? 'transfer.parties.no-s2s.ctf' : 'transfer.parties.no-s2s.other', { number })];
      }
      if (!school.active) {
        return [message('transfer.parties.inactive', { number, la: school.la_number })];
      }
      return [];
    }
  }
}

/** Why the directory says this file cannot go from its source to its destination; empty when it can. */
export async function checkParties(db: Executor, file: ClassifiedFilename): Promise<string[]> {
  return (await partyMessages(db, file)).map((problem) => translateMessage('en', problem));
}

/** checkParties' reasons as keys, for pages in the reader's language (lower case, as clauses). */
export async function partyMessages(
  db: Executor,
  file: ClassifiedFilename,
  purpose: Purpose = 'upload',
): Promise<Message[]> {
  return [
    ...(await partyProblems(db, file, file.source, 'source', purpose)),
    ...(await partyProblems(db, file, file.destination, 'destination', purpose)),
  ];
}
