// Demo organisations and one account per role, loaded into an empty database outside production so a
// newcomer can sign in straight away. The schools and people are fictional.
import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import { hashPassword } from '../auth/passwords.ts';
import type { Role } from '../auth/permissions.ts';
import { insertCollection } from '../collect/collections-repository.ts';
import type { Clock } from '../platform/clock.ts';
import { addDays, londonDate } from '../platform/dates.ts';
import { rowsInserted } from '../platform/db/insert-once.ts';
import type { Db, NewEstablishment, UserTable } from '../platform/db/schema.ts';
import { searchText } from '../platform/db/text-search.ts';

export const DEMO_PASSWORD = 'demo-password-2026';

const LOCAL_AUTHORITIES = [
  {
    number: '916',
    name: 'Gloucestershire',
    country: 'England',
    contact_name: 'Demo LA s2s Administrator',
    email: 's2s-admin@gloucestershire.example.gov.uk',
    telephone: '01452 000916',
    address: 'Shire Hall, Westgate Street, Gloucester GL1 2TG',
  },
  {
    number: '817',
    name: 'Northborough (demo)',
    country: 'England',
    contact_name: 'Northborough Data Team',
    email: 'data.team@northborough.example.gov.uk',
    telephone: '01632 000817',
    address: 'Civic Centre, Northborough NB1 1AA',
  },
  {
    number: '681',
    name: 'Cardiff',
    country: 'Wales',
    contact_name: 'Cardiff Common Transfer Team',
    email: 'ctf@cardiff.example.gov.uk',
    telephone: '029 2000 0681',
    address: 'County Hall, Atlantic Wharf, Cardiff CF10 4UW',
  },
] as const;

type DemoSchool = Pick<
  NewEstablishment,
  'number' | 'name' | 'town' | 'postcode' | 'phase' | 'type' | 'status' | 'email' | 'telephone'
>;

const SCHOOLS: DemoSchool[] = [
  {
    number: '9165402',
    name: 'Cotswold Edge Primary School',
    town: 'Cirencester',
    postcode: 'GL7 1AA',
    phase: 'Primary',
    type: 'Community school',
    status: 'open',
    email: 'office@cotswoldedge.example.sch.uk',
    telephone: '01285 000001',
  },
  {
    number: '9164001',
    name: 'Severn Vale Academy',
    town: 'Gloucester',
    postcode: 'GL1 3AB',
    phase: 'Secondary',
    type: 'Academy converter',
    status: 'open',
    email: 'admin@severnvale.example.sch.uk',
    telephone: '01452 000002',
  },
  {
    number: '9163001',
    name: 'Stroud Valley Junior School',
    town: 'Stroud',
    postcode: 'GL5 2AC',
    phase: 'Primary',
    type: 'Voluntary aided school',
    status: 'open',
    email: 'office@stroudvalley.example.sch.uk',
    telephone: '01453 000003',
  },
  {
    number: '9162001',
    name: 'Forest Road Infant School',
    town: 'Cinderford',
    postcode: 'GL14 2AD',
    phase: 'Primary',
    type: 'Community school',
    status: 'closed',
    email: null,
    telephone: null,
  },
  {
    number: '8171234',
    name: 'St Martha Church of England Primary School',
    town: 'Northborough',
    postcode: 'NB2 4AE',
    phase: 'Primary',
    type: 'Voluntary controlled school',
    status: 'open',
    email: 'office@stmartha.example.sch.uk',
    telephone: '01632 000004',
  },
  {
    number: '8174500',
    name: 'Riverside High School',
    town: 'Northborough',
    postcode: 'NB3 5AF',
    phase: 'Secondary',
    type: 'Community school',
    status: 'open',
    email: 'admin@riverside.example.sch.uk',
    telephone: '01632 000005',
  },
  {
    number: '8172100',
    name: 'Old Mill Primary School',
    town: 'Easton',
    postcode: 'NB9 1AG',
    phase: 'Primary',
    type: 'Community school',
    status: 'closed',
    email: null,
    telephone: null,
  },
  {
    number: '6812049',
    name: 'Ysgol Gynradd Gymraeg Pen y Bryn',
    town: 'Cardiff',
    postcode: 'CF14 1AH',
    phase: 'Primary',
    type: 'Community school',
    status: 'open',
    email: 'swyddfa@penybryn.example.sch.uk',
    telephone: '029 2000 0006',
  },
  {
    number: '6814010',
    name: 'Cardiff Bay High School',
    town: 'Cardiff',
    postcode: 'CF10 5AJ',
    phase: 'Secondary',
    type: 'Community school',
    status: 'open',
    email: 'admin@cardiffbay.example.sch.uk',
    telephone: '029 2000 0007',
  },
  {
    number: '6812105',
    name: 'Llanishen Fach Primary School',
    town: 'Cardiff',
    postcode: 'CF14 6AK',
    phase: 'Primary',
    type: 'Community school',
    status: 'closed',
    email: null,
    telephone: null,
  },
];

export interface DemoAccount {
  username: string;
  role: Role;
  fullName: string;
  laNumber: string | null;
  establishmentNumber: string | null;
}

export const DEMO_ACCOUNTS: DemoAccount[] = [
  {
    username: 'demo-school-a',
    role: 'school',
    fullName: 'Alex Office (Cotswold Edge Primary)',
    laNumber: '916',
    establishmentNumber: '9165402',
  },
  {
    username: 'demo-school-b',
    role: 'school',
    fullName: 'Sam Office (St Martha CE Primary)',
    laNumber: '817',
    establishmentNumber: '8171234',
  },
  {
    username: 'demo-la-dba',
    role: 'la_dba',
    fullName: 'Dana Administrator',
    laNumber: '916',
    establishmentNumber: null,
  },
  {
    username: 'demo-la-user',
    role: 'la_user',
    fullName: 'Lee User',
    laNumber: '916',
    establishmentNumber: null,
  },
  {
    username: 'demo-la-school',
    role: 'la_school',
    fullName: 'Pat Admissions Officer',
    laNumber: '916',
    establishmentNumber: null,
  },
  {
    username: 'demo-la-lost',
    role: 'la_lost_pupil',
    fullName: 'Robin Pupil Tracking',
    laNumber: '916',
    establishmentNumber: null,
  },
  {
    username: 'demo-la-lost-transfer',
    role: 'la_lost_pupil_transfer',
    fullName: 'Jo Pupil Transfer',
    laNumber: '916',
    establishmentNumber: null,
  },
  {
    username: 'demo-la-dba-view',
    role: 'la_dba_view',
    fullName: 'Chris Auditor',
    laNumber: '916',
    establishmentNumber: null,
  },
  {
    username: 'demo-la-plasc',
    role: 'la_plasc',
    fullName: 'Morgan Census Team',
    laNumber: '916',
    establishmentNumber: null,
  },
  {
    username: 'demo-la-admissions',
    role: 'la_admissions',
    fullName: 'Taylor Admissions',
    laNumber: '916',
    establishmentNumber: null,
  },
  {
    username: 'demo-admin',
    role: 'national_admin',
    fullName: 'Nat Service Administrator',
    laNumber: null,
    establishmentNumber: null,
  },
  {
    username: 'demo-collector',
    role: 'dfe_collector',
    fullName: 'Casey DfE Data Collection',
    laNumber: null,
    establishmentNumber: null,
  },
];

/** A demo account's row: signs in with the demo password (hashed), nothing to change first. */
export function demoAccountRow(
  account: DemoAccount & { id: string },
  passwordHash: string,
  at: string,
): Insertable<UserTable> {
  return {
    id: account.id,
    username: account.username,
    password_hash: passwordHash,
    role: account.role,
    la_number: account.laNumber,
    establishment_number: account.establishmentNumber,
    full_name: account.fullName,
    email: null,
    telephone: null,
    must_change_password: 0,
    created_at: at,
    updated_at: at,
    password_changed_at: at,
    last_signed_in_at: null,
    deleted_at: null,
  };
}

/** Thrown inside the loading transaction to undo it: another process loaded the demo data meanwhile. */
class LoadedElsewhere extends Error {}

/**
 * Loads the demo data when the database has no organisations and no users. Returns whether it did.
 * Several processes starting at once on an empty database may all try: the first to insert the LAs
 * loads everything, the others find its rows (their inserts wait for its commit) and load nothing.
 */
export async function seedDemoData(db: Db, clock: Clock): Promise<boolean> {
  const [users, las] = await Promise.all([
    db.selectFrom('users').select('id').limit(1).execute(),
    db.selectFrom('local_authorities').select('number').limit(1).execute(),
  ]);
  if (users.length > 0 || las.length > 0) return false;

  const at = clock.now().toISOString();
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  try {
    await loadDemoData(db, clock, at, passwordHash);
    return true;
  } catch (error) {
    if (error instanceof LoadedElsewhere) return false;
    throw error;
  }
}

async function loadDemoData(db: Db, clock: Clock, at: string, passwordHash: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const las = await tx
      .insertInto('local_authorities')
      .values(LOCAL_AUTHORITIES.map((la) => ({ ...la, updated_at: at })))
      .onConflict((oc) => oc.column('number').doNothing())
      .executeTakeFirst();
    if (rowsInserted(las) < LOCAL_AUTHORITIES.length) throw new LoadedElsewhere();
    await tx
      .insertInto('establishments')
      .values(
        SCHOOLS.map((school) => ({
          ...school,
          la_number: school.number.slice(0, 3),
          name_search: searchText(school.name),
          town_search: searchText(school.town),
          urn: null,
          uses_s2s: 1 as const,
          active: 1 as const,
          opened_on: null,
          closed_on: school.status === 'closed' ? '2024-08-31' : null,
          created_at: at,
          updated_at: at,
        })),
      )
      .execute();
    const ids = new Map(DEMO_ACCOUNTS.map((account) => [account.username, randomUUID()]));
    await tx
      .insertInto('users')
      .values(
        DEMO_ACCOUNTS.map((account) =>
          demoAccountRow({ ...account, id: ids.get(account.username) ?? randomUUID() }, passwordHash, at),
        ),
      )
      .execute();
    // The handbooks' uses of messaging (handbook §11), as templates for everyone ("All").
    const admin = ids.get('demo-admin') ?? '';
    await tx
      .insertInto('message_templates')
      .values(
        DEMO_TEMPLATES.map((template) => ({
          id: randomUUID(),
          ...template,
          owner_kind: 'national' as const,
          owner_la: null,
          created_by: admin,
          created_at: at,
          updated_at: at,
        })),
      )
      .execute();
    // An open School Census in which LA 916 takes part (demo-school-a the source, LA 916 the agent,
    // demo-collector the collector), still due whenever the demo is loaded.
    const monthAhead = addDays(londonDate(clock.now()), 30);
    await insertCollection(
      tx,
      {
        id: randomUUID(),
        name: 'School Census 2026 Autumn',
        term: 'AUT',
        year: '2026',
        reference_date: DEMO_CENSUS_DAY,
        open_date: '2026-09-01',
        due_date: monthAhead > DEMO_CENSUS_DUE ? monthAhead : DEMO_CENSUS_DUE,
        all_las: 0,
        created_by: ids.get('demo-collector') ?? '',
        created_at: at,
      },
      ['916'],
    );
  });
}

/** The demo census's census day (the first Thursday of October 2026): docs/samples' returns are of it. */
export const DEMO_CENSUS_DAY = '2026-10-01';

/** The demo census's due date, unless the demo is loaded within 30 days of it or later. */
const DEMO_CENSUS_DUE = '2026-12-18';

const DEMO_TEMPLATES = [
  {
    name: 'CTF Request',
    description: 'To request a CTF for a pupil',
    body: 'A pupil has joined us from your school. Please send their Common Transfer File (CTF) through s2s.\n\nPupil’s name:\nDate of birth:\nDate joined:',
  },
  {
    name: 'Pupil moving',
    description: 'To confirm a pupil is moving to your school',
    body: 'We understand that the pupil below is moving to your school. Please confirm, so that we can send their CTF.\n\nPupil’s name:\nDate of birth:\nExpected start date:',
  },
  {
    name: 'CTF received',
    description: 'To acknowledge that a CTF has been received',
    body: 'Thank you: we have received and imported the CTF you sent.',
  },
];
