// The example file names an Upload page shows (handbook §8, LA notes Appendix 2), made from the
// signed-in organisation's own numbers: a school sees names starting with its number, an LA with its
// LEALLLL, an inbox with its LEAPLAS or LEAADMS. Each candidate is kept only if the upload would take
// it from that organisation through that menu item: the name rules accept it (classifyFilename: no file
// to itself, no admissions file between schools, census returns only from a school to its own LA), the
// menu item takes its kind, and someone at its destination can collect it (parties.ts collectable).
// Pure: no database, so the other schools and LAs named are made up from the organisation's numbers.
import { CATEGORY_INFO, type Category } from './categories.ts';
import { classifyFilename, partyCode } from './filenames.ts';
import { type ActorParty, collectable } from './parties.ts';

/** At most this many examples per page. */
const SHOWN = 3;

/** A school number of `la` that is not `not` (the handbook's school numbers, 5402 and 1234). */
export function schoolOf(la: string, not = ''): string {
  return `${la}5402` === not ? `${la}1234` : `${la}5402`;
}

/** Names of the organisation's own files for a menu item, in the order they are offered. */
function candidates(party: ActorParty, category: Category, now: Date): string[] {
  const self = partyCode(party);
  const la = party.laNumber;
  const otherLaNumber = la === '817' ? '916' : '817';
  const own = `${la}LLLL`;
  const admissions = `${la}ADMS`;
  const school = schoolOf(la, self);
  const otherLa = `${otherLaNumber}LLLL`;
  const otherSchool = schoolOf(otherLaNumber, self);
  // CFR and exclusion returns go to an LA: a school's to its own, an LA's on to another.
  const returnsTo = party.kind === 'school' ? own : otherLa;
  const year = String(now.getUTCFullYear());
  const yy = year.slice(2);
  switch (category) {
    case 'ctf':
      return [
        `${self}_CTF_${otherSchool}_003.XML`,
        `${self}_CTF_${school}_004.XML`,
        `${self}_CTF_${own}_007.XML`,
        `${self}_CTF_XXXXXXXX_008.XML`,
      ];
    case 'plasc':
      return [`${self}_SC2_${la}LL${yy}_001.XML`, `${self}_ASC_${la}LL${yy}_001.XML`];
    case 'cfr':
      return [`${self}_${returnsTo}_CFR${year}.XLS`, `${self}_CFR_${returnsTo}_001.XLS`];
    case 'generic':
      return [
        `${self}_${school}_SENLIST.ZIP`,
        `${self}_${own}_SENLIST.ZIP`,
        `${self}_${otherLa}_SENLIST.ZIP`,
      ];
    case 'exclusion':
      return [`${self}_${returnsTo}_EXCLUSIONS.ZIP`, `${self}_EXC_${returnsTo}_001.CSV`];
    case 'admissions':
      return [
        `${self}_ATF_${school}_${yy}001.XML`,
        `${self}_ADT_${admissions}_001.XML`,
        `${self}_ADT_${own}_002.XML`,
      ];
  }
}

/** Example names the organisation could send with this Upload menu item (none: census returns from an LA). */
export function uploadExamples(party: ActorParty, category: Category, now: Date): string[] {
  const sendable = candidates(party, category, now).filter((name) => {
    const classified = classifyFilename(name);
    if (!classified.ok) return false;
    const { file } = classified;
    return (
      partyCode(file.source) === partyCode(party) &&
      CATEGORY_INFO[category].kinds.includes(file.kind) &&
      collectable(category, file.kind, file.destination)
    );
  });
  return sendable.slice(0, SHOWN);
}
