// Synthetic pupils for demo data at scale and for the benchmarks: names with a long tail, as in a real
// population, drawn from a seeded generator so every run makes the same people.
import { makeUpn } from '../ctf/upn.ts';
import { leavesSchoolOn } from '../lost-pupils/ingest.ts';
import type { NewLostPupil } from '../lost-pupils/repository.ts';
// Names: a long tail, as in a real population.

/** The most common surnames of England and Wales, most common first (with a few of other origins). */
export const COMMON_SURNAMES =
  `Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson
Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin
Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis
Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy
Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell
Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd
Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur
Gibson Howard Andrews Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence
Cole Atkinson Bradley Spencer Gill Dawson Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells
Armstrong Francis Rees Hayes Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page Marsh
Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton Oliver Reed
Kennedy Williamson Bird Gardner Shah Dean Lane Cooke Bates Henderson Parry Burgess Bishop Walton Burns
Nicholson Shepherd Ross Cross Long Freeman Warren Nicholls Hamilton Byrne Sutton McDonald Yates Hodgson
Robson Curtis Hopkins O'Connor Harper Coleman Watkins Moss McCarthy Chambers O'Neill Griffin Sharp Hardy
Wheeler Potter Osborne Johnston Gordon Doyle Wallace George Jordan Hutchinson Rowe Burke May Pritchard
Gilbert Willis Higgins Read Miles Stevenson Stephenson Hammond Arnold Buckley Walters Hewitt Barber Nelson
Slater Austin Sullivan Whitehead Mann Frost Lambert Stephens Blake Akhtar Lynch Goodwin Barton Woodward
Thomson Cunningham Quinn Barnett Baxter Bibi Clayton Nash Greenwood Jennings Holt Kemp Poole Gallagher
Bond Stokes Tucker Davidson Fowler Heath Norman Middleton Lawson Banks French Stanley Jarvis Gibbs Ferguson
Hayward Carroll Douglas Dickinson Todd Barlow Peters Lucas Knowles Hartley Miah Simmons Morton Alexander
Field Nguyen Núñez Kowalski Nowak Schmidt Smyth`
    .split(/\s+/)
    .filter(Boolean);

const FIRST = `Ash Black Brad Brook Cal Card Chal Chest Clif Cran Dal Dun Elm Fair Farn Gold Gran Green Hart
Hav Hol Kings Lang Mar Mid Mor New North Oak Pen Ros Rad Red Shel Stan Stock Sud Thorn War Wes Whit Win Wood
Ald Bar Bel Bur Cas Dar Ed Fen Gar Hal Hen Kel Lin Mal Nor Pel Ran Sel Tal Ver Wal Yar`
  .split(/\s+/)
  .filter(Boolean);
const LAST = `ford ley ton wood worth by field man son well more ham stead bridge combe den dale hurst wick
thorpe ridge shaw croft gate low`
  .split(/\s+/)
  .filter(Boolean);
const MIDDLE = ['er', 'ing', 'en', 'el', 'is', 'an'];

export const BOYS =
  `Oliver George Harry Noah Jack Leo Arthur Muhammad Oscar Charlie Jacob Thomas Henry William
Freddie Alfie Theo Archie Joshua James Isaac Lucas Ethan Max Alexander Logan Mason Joseph Daniel Samuel
Dylan Adam Riley Finley Harrison Sebastian Reuben Edward Toby Luca Ryan Jayden Callum Kian Liam Aaron Owen
Rhys Evan Connor Tyler Lewis Kyle Ben Jake Luke Nathan Jordan Cameron Ibrahim Yusuf Ali Omar Hamza`
    .split(/\s+/)
    .filter(Boolean);
export const GIRLS =
  `Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Willow Freya Florence Emily
Ella Poppy Evie Elsie Charlotte Evelyn Sienna Sofia Daisy Phoebe Sophie Alice Harper Matilda Ruby Emilia
Maya Millie Esme Chloe Jessica Holly Megan Lucy Hannah Ellie Leah Erin Caitlin Bethany Lauren Amy Jasmine
Zara Aisha Fatima Maryam Niamh Ffion Seren Cerys Anya Layla Nia Eve Hollie Keira Tia Abigail`
    .split(/\s+/)
    .filter(Boolean);

export const TOWNS =
  `Birmingham Leeds Sheffield Bradford Manchester Liverpool Bristol Cardiff Coventry Leicester
Nottingham Newcastle Sunderland Brighton Hull Plymouth Stoke Wolverhampton Derby Swansea Southampton
Salford Portsmouth Reading Northampton Luton Milton Keynes Bolton Bournemouth Norwich Swindon Middlesbrough
Peterborough Huddersfield Oxford Blackpool Ipswich York Gloucester Cambridge Exeter Wrexham Newport Bath
Carlisle Dover Truro Stroud Lincoln Chester Durham Worcester Hereford Shrewsbury Telford Crewe Wigan
Rochdale Oldham Barnsley Doncaster Rotherham Wakefield Halifax Burnley Preston Lancaster Kendal Barrow
Whitby Scarborough Harrogate Grimsby Scunthorpe Boston Grantham Mansfield Chesterfield Buxton Macclesfield
Stafford Tamworth Nuneaton Rugby Banbury Aylesbury Watford Slough Guildford Woking Crawley Hastings
Eastbourne Margate Canterbury Maidstone Chelmsford Colchester Basildon Southend Bedford Stevenage Aberystwyth
Bangor Llandudno Rhyl Merthyr Pontypridd Bridgend Neath Llanelli Carmarthen Haverfordwest Brecon Newtown`
    .split(/\s+/)
    .filter(Boolean);

/** Deterministic pseudo-random numbers (mulberry32), so every run loads the same records. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A list to draw from with weights falling as rank^-exponent (Zipf-like: a few common, a long tail). */
export class Weighted {
  private readonly cumulative: number[] = [];
  constructor(
    readonly values: readonly string[],
    exponent: number,
  ) {
    let total = 0;
    for (let rank = 1; rank <= values.length; rank += 1) {
      total += rank ** -exponent;
      this.cumulative.push(total);
    }
  }
  /** The share of draws that give the value of this rank (0-based). */
  share(rank: number): number {
    const total = this.cumulative[this.cumulative.length - 1] ?? 1;
    return ((this.cumulative[rank] ?? 0) - (this.cumulative[rank - 1] ?? 0)) / total;
  }
  pick(next: () => number): string {
    const total = this.cumulative[this.cumulative.length - 1] ?? 0;
    const target = next() * total;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.cumulative[middle] ?? 0) < target) low = middle + 1;
      else high = middle;
    }
    return this.values[low] ?? '';
  }
}

const capitalise = (word: string) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();

/** Thousands of rarer surnames: every Ash-ford, Ash-ley... and Ash-er-ford... of the syllables above. */
function tailSurnames(): string[] {
  const names = new Set<string>(COMMON_SURNAMES);
  const tail: string[] = [];
  const add = (name: string) => {
    if (!names.has(name)) {
      names.add(name);
      tail.push(name);
    }
  };
  for (const first of FIRST) for (const last of LAST) add(capitalise(first + last));
  for (const middle of MIDDLE)
    for (const first of FIRST) for (const last of LAST) add(capitalise(first + middle + last));
  // Shuffled (deterministically), so the rarest are not all Yar- or -low names.
  const next = random(99);
  for (let i = tail.length - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    [tail[i], tail[j]] = [tail[j] as string, tail[i] as string];
  }
  return tail;
}

export const SURNAMES = new Weighted([...COMMON_SURNAMES, ...tailSurnames()], 0.65);
export const FORENAMES = {
  M: new Weighted(BOYS, 0.7),
  F: new Weighted(GIRLS, 0.7),
};
export const TOWN_LIST = new Weighted(TOWNS, 0.8);

/** How people misspell a name on a form: the misspelt variants a soundalike search must find. */
const MISSPELLINGS: [RegExp, string][] = [
  [/i/, 'y'],
  [/y/, 'i'],
  [/([bcdfglmnprst])\1/, '$1'],
  [/([lnrst])(?!\1)/, '$1$1'],
  [/e$/, ''],
  [/([^e])$/, '$1e'],
  [/ph/, 'f'],
  [/ck/, 'k'],
  [/c/, 'k'],
  [/ie/, 'ey'],
  [/son$/, 'sen'],
  [/ou/, 'ow'],
];

export function misspell(name: string, next: () => number): string {
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const [pattern, replacement] = MISSPELLINGS[Math.floor(next() * MISSPELLINGS.length)] as [RegExp, string];
    const head = name.charAt(0);
    const changed = head + name.slice(1).replace(pattern, replacement);
    if (changed !== name) return changed;
  }
  return name;
}

function surname(next: () => number): string {
  const roll = next();
  const name = SURNAMES.pick(next);
  if (roll < 0.04) return misspell(name, next);
  if (roll < 0.06) return `${name}-${SURNAMES.pick(next)}`;
  return name;
}

/** 16 school years of pupils: born 1 September 2005 to 31 August 2021. */
const FIRST_BIRTHDAY = Date.UTC(2005, 8, 1);
const BIRTHDAYS = Math.round((Date.UTC(2021, 8, 1) - FIRST_BIRTHDAY) / 86_400_000);

export const hex = (next: () => number) =>
  Math.floor(next() * 2 ** 32)
    .toString(16)
    .padStart(8, '0');

/** A version-4-shaped UUID from the generator. */
export const uuid = (next: () => number) =>
  `${hex(next)}-${hex(next).slice(0, 4)}-4${hex(next).slice(0, 3)}-8${hex(next).slice(0, 3)}-${hex(next)}${hex(next).slice(0, 4)}`;

export function upn(serial: number): string {
  const la = String(201 + (serial % 150));
  const rest = Math.floor(serial / 150);
  return makeUpn(
    la,
    String(rest % 10_000).padStart(4, '0'),
    String(Math.floor(rest / 10_000) % 100).padStart(2, '0'),
    String(Math.floor(rest / 1_000_000) % 1000).padStart(3, '0'),
  );
}

/** Record number `n` of the synthetic database: the same every run, whatever size is loaded. */
export function syntheticLostPupil(n: number): NewLostPupil & { status: 'lost' | 'found' | 'removed' } {
  const next = random(n * 7919 + 1);
  const id = uuid(next);
  const gender = next() < 0.5 ? 'M' : 'F';
  const born = new Date(FIRST_BIRTHDAY + Math.floor(next() * BIRTHDAYS) * 86_400_000);
  const dateOfBirth = born.toISOString().slice(0, 10);
  const la = String(201 + Math.floor(next() * 150));
  const status = next();
  return {
    id,
    transfer_id: id,
    reason: next() < 0.8 ? 'destination-unknown' : 'left-maintained-sector',
    upn: next() < 0.95 ? upn(n) : null,
    former_upn: next() < 0.03 ? upn(n + 50_000_000) : null,
    surname: surname(next),
    former_surname: next() < 0.06 ? surname(next) : null,
    forename: FORENAMES[gender].pick(next),
    middle_names: next() < 0.5 ? FORENAMES[gender].pick(next) : null,
    date_of_birth: dateOfBirth,
    gender,
    town: TOWN_LIST.pick(next),
    source_la: la,
    source_school: `${la}${String(2000 + Math.floor(next() * 400))}`,
    uploaded_at: new Date(Date.UTC(2024, 0, 1) + Math.floor(next() * 900 * 86_400_000)).toISOString(),
    leaves_school_on: leavesSchoolOn(dateOfBirth),
    // Most records are still lost; some were found by an LA, a few removed at review.
    status: status < 0.9 ? 'lost' : status < 0.97 ? 'found' : 'removed',
  };
}
