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
//   forwarding a file from the lost pupils database keeps the original school as the source (LA notes
//   §4.2). Whether the person uploading may send for that source is the upload's permission check.
// - Lost pupils destinations (XXXXXXXX, MMMMMMMM) are not in the directory: nothing to check.
import { getEstablishment, getLocalAuthority } from '../directory/repository.ts';
import type { Executor } from '../platform/db/schema.ts';
import type { ClassifiedFilename, Party } from './filenames.ts';

type Role = 'source' | 'destination';

async function partyProblems(
  db: Executor,
  file: ClassifiedFilename,
  party: Party,
  role: Role,
): Promise<string[]> {
  switch (party.kind) {
    case 'lost-pupils':
      return [];
    case 'la':
    case 'la-inbox': {
      const la = await getLocalAuthority(db, party.laNumber);
      return la
        ? []
        : [`the ${role} LA ${party.laNumber} does not exist: check the LA number (the first 3 digits)`];
    }
    case 'school': {
      const number = party.establishmentNumber;
      const school = await getEstablishment(db, number);
      if (!school) {
        return [
          `the ${role} school ${number} does not exist: check its DfE number in the Establishment Finder`,
        ];
      }
      if (role === 'source') return [];
      const ctf = file.kind === 'ctf';
      if (school.status === 'closed') {
        return [
          ctf
            ? `the destination school ${number} is closed: send the CTF to the school the pupil has moved to, or use XXXXXXXX as the destination if that is not known (handbook §9)`
            : `the destination school ${number} is closed: check the number of the school you mean in the Establishment Finder`,
        ];
      }
      if (!school.uses_s2s) {
        return [
          ctf
            ? `the destination school ${number} does not use s2s: use MMMMMMMM as the destination (handbook §9)`
            : `the destination school ${number} does not use s2s, so it cannot collect the file: agree another secure way to send it with the school`,
        ];
      }
      if (!school.active) {
        return [
          `the destination school ${number} cannot collect files because its s2s account is inactive: ask LA ${school.la_number} to make it active again`,
        ];
      }
      return [];
    }
  }
}

/** Why the directory says this file cannot go from its source to its destination; empty when it can. */
export async function checkParties(db: Executor, file: ClassifiedFilename): Promise<string[]> {
  return [
    ...(await partyProblems(db, file, file.source, 'source')),
    ...(await partyProblems(db, file, file.destination, 'destination')),
  ];
}
