// User Report, School List Report, Base User Report and the CSV of the LEA Administrator – Message Report:
// known answers on both engines (one LA, or All LAs for the national administrator), an LA never seeing
// another LA's accounts or schools, the pages matching their CSVs, and never a password hash anywhere. A
// report longer than its page shows its first rows and says so; its CSV has them all, read in keyset pages.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow, UserRow } from '../../src/platform/db/schema.ts';
import { Forbidden, Invalid } from '../../src/platform/errors.ts';
import { DirectoryReportService } from '../../src/reports/directory-report-service.ts';
import type { CsvReportName, ReportCriteria } from '../../src/reports/downloads.ts';
import { PAGE_ROWS } from '../../src/reports/paging.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf, mailboxOfUser, makeMessage } from '../support/messages.ts';
import { asCsvCell, cellTexts, csvInPages, downloadCsv, keysetReads } from '../support/reports.ts';
import { createTestApp, signedInUser, textOf } from '../support/web.ts';
import { english, fieldsAndMessages } from './support.ts';

function invalidWith(errors: { field: string; message: string }[]) {
  return (error: unknown) => {
    assert.ok(error instanceof Invalid);
    assert.deepEqual(fieldsAndMessages(error.errors), errors);
    return true;
  };
}

describeEachEngine('User, School List and Base User reports', (database) => {
  let db: Db;
  let la: LocalAuthorityRow;
  let otherLa: LocalAuthorityRow;
  let alder: EstablishmentRow;
  let birch: EstablishmentRow;
  let closed: EstablishmentRow;
  let outside: EstablishmentRow;
  let dba: UserRow;
  let alderOne: UserRow;
  const clock = new ManualClock('2026-11-23T12:00:00.000Z');

  before(async () => {
    db = database().db;
    la = await makeLa(db, { name: 'Ashire' });
    otherLa = await makeLa(db, { name: 'Bshire' });
    alder = await makeSchool(db, la.number, { name: 'Alder Primary', town: 'Aton', postcode: 'AA1 1AA' });
    birch = await makeSchool(db, la.number, { name: 'Birch Primary' });
    closed = await makeSchool(db, la.number, {
      name: 'Closed School',
      status: 'closed',
      uses_s2s: 0,
      active: 0,
      email: null,
      telephone: null,
    });
    outside = await makeSchool(db, otherLa.number, { name: 'Outside Academy' });
    const at = (created: string, signedIn: string | null = null) => ({
      created_at: created,
      last_signed_in_at: signedIn,
    });
    dba = await makeUser(
      db,
      'la_dba',
      { laNumber: la.number },
      {
        username: 'adba',
        full_name: 'Ann Admin',
        email: 'ann@ashire.example.gov.uk',
        telephone: '01000 111111',
        ...at('2026-10-01T09:00:00.000Z', '2026-11-20T10:00:00.000Z'),
      },
    );
    await makeUser(
      db,
      'la_user',
      { laNumber: la.number },
      { username: 'aofficer', full_name: 'Otto Officer', ...at('2026-11-15T23:30:00.000Z') },
    );
    alderOne = await makeUser(
      db,
      'school',
      { laNumber: la.number, establishmentNumber: alder.number },
      {
        username: 'alderone',
        full_name: 'Alma One',
        email: 'office@alder.example.sch.uk',
        ...at('2026-09-01T09:00:00.000Z', '2026-11-22T09:30:00.000Z'),
      },
    );
    await makeUser(
      db,
      'school',
      { laNumber: la.number, establishmentNumber: alder.number },
      { username: 'aldertwo', full_name: 'Al Two', ...at('2026-11-01T00:00:00.000Z') },
    );
    await makeUser(
      db,
      'school',
      { laNumber: la.number, establishmentNumber: alder.number },
      {
        username: 'aldergone',
        full_name: 'Gone Away',
        deleted_at: '2026-11-10T09:00:00.000Z',
        ...at('2026-09-01T09:00:00.000Z', '2026-11-23T08:00:00.000Z'),
      },
    );
    await makeUser(
      db,
      'school',
      { laNumber: la.number, establishmentNumber: closed.number },
      { username: 'closedone', full_name: 'Cleo Closed', ...at('2026-01-05T09:00:00.000Z') },
    );
    await makeUser(db, 'la_dba', { laNumber: otherLa.number }, { username: 'bdba', full_name: 'Bea Other' });
    await makeUser(
      db,
      'school',
      { laNumber: otherLa.number, establishmentNumber: outside.number },
      { username: 'outsideone', full_name: 'Oscar Outside' },
    );
    await makeUser(db, 'national_admin', {}, { username: 'natadmin', full_name: 'Nat Admin' });
  });

  const service = () => new DirectoryReportService({ db, clock });

  test('User Report: the live accounts of the LA and its schools, by organisation then username, never another LA', async () => {
    const report = await service().users(actorOf(dba), { la: otherLa.number });
    assert.equal(english(report.subject), `Ashire (${la.number})`);
    assert.equal(report.range.from, null);
    assert.equal(report.range.to, '2026-11-23');
    assert.deepEqual(
      report.rows.map((r) => [r.username, r.roleLabel, r.organisationCode, r.organisationName]),
      [
        ['adba', 'LEA Administrator (DBA)', la.number, 'Ashire'],
        ['aofficer', 'LEA User', la.number, 'Ashire'],
        ['alderone', 'School User', alder.number, 'Alder Primary'],
        ['aldertwo', 'School User', alder.number, 'Alder Primary'],
        ['closedone', 'School User', closed.number, 'Closed School'],
      ],
    );
    assert.deepEqual(report.rows[0], {
      laNumber: la.number,
      laName: 'Ashire',
      username: 'adba',
      fullName: 'Ann Admin',
      role: 'la_dba',
      roleLabel: 'LEA Administrator (DBA)',
      organisationCode: la.number,
      organisationName: 'Ashire',
      email: 'ann@ashire.example.gov.uk',
      telephone: '01000 111111',
      createdAt: '2026-10-01T09:00:00.000Z',
      lastSignedInAt: '2026-11-20T10:00:00.000Z',
    });
    assert.ok(!JSON.stringify(report).includes('password'), 'no password or hash in the report');
    assert.ok(!JSON.stringify(report).includes('$argon2'), 'no password hash in the report');
  });

  test('User Report: a role filter, and the date range on the created date with both ends included', async () => {
    const viewer = actorOf(await makeUser(db, 'la_dba_view', { laNumber: la.number }, at2025()));
    const schools = await service().users(viewer, { role: 'school' });
    assert.equal(schools.roleLabel, 'School User');
    assert.deepEqual(
      schools.rows.map((r) => r.username),
      ['alderone', 'aldertwo', 'closedone'],
    );
    // 1 to 15 November 2026 (GMT): aldertwo at midnight on the 1st, aofficer at 23:30 on the 15th.
    const november = await service().users(viewer, {
      fromDay: '1',
      fromMonth: '11',
      fromYear: '2026',
      toDay: '15',
      toMonth: '11',
      toYear: '2026',
    });
    assert.deepEqual(
      november.rows.map((r) => r.username),
      ['aofficer', 'aldertwo'],
    );
    await assert.rejects(
      service().users(viewer, { role: 'national_admin' }),
      invalidWith([{ field: 'role', message: 'Choose a role from the list, or All roles' }]),
    );
    await assert.rejects(
      service().users(viewer, { fromDay: '31', fromMonth: '2', fromYear: '2026', role: 'nonsense' }),
      invalidWith([
        { field: 'from-day', message: 'The From date must be a real date: February has no day 31' },
        { field: 'role', message: 'Choose a role from the list, or All roles' },
      ]),
    );
  });

  test('School List Report: open schools by default, or all, with their flags, and only the LA’s own', async () => {
    const open = await service().schools(actorOf(dba), { la: otherLa.number });
    assert.equal(open.openOnly, true);
    assert.deepEqual(
      open.rows.map((r) => r.number),
      [alder.number, birch.number],
    );
    assert.deepEqual(open.rows[0], {
      laNumber: la.number,
      laName: 'Ashire',
      number: alder.number,
      name: 'Alder Primary',
      town: 'Aton',
      postcode: 'AA1 1AA',
      phase: 'Primary',
      type: 'Community school',
      status: 'open',
      usesS2s: true,
      active: true,
      email: 'office@test.example.sch.uk',
      telephone: '01234 000000',
    });
    const all = await service().schools(actorOf(dba), { status: 'all' });
    assert.deepEqual(
      all.rows.map((r) => [r.number, r.status, r.usesS2s, r.active]),
      [
        [alder.number, 'open', true, true],
        [birch.number, 'open', true, true],
        [closed.number, 'closed', false, false],
      ],
    );
  });

  test('Base User Report: each school with its live accounts and latest sign-in, and the schools with none', async () => {
    const open = await service().baseUsers(actorOf(dba), { la: otherLa.number });
    const ashire = { laNumber: la.number, laName: 'Ashire' };
    assert.deepEqual(open.rows, [
      {
        ...ashire,
        number: alder.number,
        name: 'Alder Primary',
        users: 2,
        lastSignedInAt: '2026-11-22T09:30:00.000Z',
      },
      { ...ashire, number: birch.number, name: 'Birch Primary', users: 0, lastSignedInAt: null },
    ]);
    assert.equal(open.withoutUsers, 1);
    const all = await service().baseUsers(actorOf(dba), { status: 'all' });
    assert.deepEqual(all.rows[2], {
      ...ashire,
      number: closed.number,
      name: 'Closed School',
      users: 1,
      lastSignedInAt: null,
    });
  });

  test('the national administrator chooses the LA (or All LAs); a school is refused', async () => {
    const admin = actorOf(await makeUser(db, 'national_admin', {}));
    await assert.rejects(
      service().users(admin, {}),
      invalidWith([{ field: 'la', message: 'Select an LA, or All LAs' }]),
    );
    await assert.rejects(
      service().schools(admin, { la: '000' }),
      invalidWith([{ field: 'la', message: 'There is no LA 000' }]),
    );
    const other = await service().users(admin, { la: otherLa.number });
    assert.deepEqual(
      other.rows.map((r) => r.username),
      ['bdba', 'outsideone'],
    );
    const base = await service().baseUsers(admin, { la: otherLa.number });
    assert.deepEqual(
      base.rows.map((r) => [r.number, r.users]),
      [[outside.number, 1]],
    );
    const school = actorOf(alderOne);
    await assert.rejects(service().users(school, {}), Forbidden);
    await assert.rejects(service().schools(school, {}), Forbidden);
  });

  test('All LAs: the national administrator sees every LA’s accounts and schools, each row with its LA', async () => {
    const admin = actorOf(await makeUser(db, 'national_admin', {}));
    const [first, second] = la.number < otherLa.number ? ['ashire', 'bshire'] : ['bshire', 'ashire'];
    const ours = ['adba', 'aofficer', 'alderone', 'aldertwo', 'closedone'];
    const theirs = ['bdba', 'outsideone'];
    const laOf = (username: string) => (ours.includes(username) ? la.number : otherLa.number);

    const users = await service().users(admin, { la: 'all' });
    assert.deepEqual([english(users.subject), users.laNumber], ['Every LA', null]);
    // The accounts made in before(); other tests add more to both LAs. No national account is any LA's.
    const known = users.rows.filter((r) => [...ours, ...theirs].includes(r.username));
    assert.deepEqual(
      known.map((r) => [r.username, r.laNumber, r.laName]),
      (first === 'ashire' ? [...ours, ...theirs] : [...theirs, ...ours]).map((name) => [
        name,
        laOf(name),
        laOf(name) === la.number ? 'Ashire' : 'Bshire',
      ]),
    );
    assert.ok(!users.rows.some((r) => r.role === 'national_admin' || r.username === 'natadmin'));
    assert.ok(users.rows.every((r) => [la.number, otherLa.number].includes(r.laNumber)));
    // Created by 31 October: aldertwo (1 November) and outsideone (1 November, the factories' default) are not.
    const created = await service().users(admin, {
      la: 'all',
      role: 'school',
      toDay: '31',
      toMonth: '10',
      toYear: '2026',
    });
    assert.deepEqual(
      created.rows.map((r) => r.username),
      ['alderone', 'closedone'],
    );

    const schools = await service().schools(admin, { la: 'all', status: 'all' });
    const ashireSchools = [alder, birch, closed].map((e) => [la.number, 'Ashire', e.number]);
    const bshireSchools = [[otherLa.number, 'Bshire', outside.number]];
    assert.deepEqual(
      schools.rows.map((r) => [r.laNumber, r.laName, r.number]),
      second === 'bshire' ? [...ashireSchools, ...bshireSchools] : [...bshireSchools, ...ashireSchools],
    );
    const open = await service().schools(admin, { la: 'all' });
    assert.ok(!open.rows.some((r) => r.number === closed.number));

    const base = await service().baseUsers(admin, { la: 'all' });
    assert.deepEqual(
      base.rows.map((r) => [r.laNumber, r.number, r.users]),
      first === 'ashire'
        ? [
            [la.number, alder.number, 2],
            [la.number, birch.number, 0],
            [otherLa.number, outside.number, 1],
          ]
        : [
            [otherLa.number, outside.number, 1],
            [la.number, alder.number, 2],
            [la.number, birch.number, 0],
          ],
    );
    assert.equal(base.withoutUsers, 1);
  });

  test('All LAs is the national administrator’s: an LA’s administrator asking for it gets its own LA', async () => {
    const own = actorOf(dba);
    assert.deepEqual(await service().users(own, { la: 'all' }), await service().users(own, {}));
    assert.deepEqual(await service().schools(own, { la: 'all' }), await service().schools(own, {}));
    assert.deepEqual(await service().baseUsers(own, { la: 'all' }), await service().baseUsers(own, {}));
    assert.equal((await service().schools(own, { la: 'all' })).laNumber, la.number);
  });

  test('All LAs: each page starts its rows with the LA, as its CSV does', async () => {
    const t = await createTestApp(db);
    try {
      const { agent } = await signedInUser(t, 'national_admin', {});
      const pageAsCsv = async (url: string) => {
        const page = await agent.get(url);
        assert.equal(page.statusCode, 200, url);
        return cellTexts(page.body).map(asCsvCell);
      };
      const form = await agent.get('/reports/users');
      assert.match(form.body, /<option value="all">All LAs<\/option>/);
      const ashire = `${la.number} Ashire`;
      const bshire = `${otherLa.number} Bshire`;

      const users = await downloadCsv(
        agent,
        '/reports/users/csv?run=1&la=all',
        /attachment; filename="users-all-las-all-to-2026-11-23\.csv"/,
      );
      assert.deepEqual(users[0]?.slice(0, 3), ['LA', 'Username', 'Full name']);
      assert.deepEqual(
        users.find((r) => r[1] === 'adba'),
        [
          ashire,
          'adba',
          'Ann Admin',
          'LEA Administrator (DBA)',
          la.number,
          'Ashire',
          'ann@ashire.example.gov.uk',
          '01000 111111',
          '2026-10-01',
          '2026-11-20 10:00',
        ],
      );
      assert.deepEqual(users.find((r) => r[1] === 'outsideone')?.slice(0, 2), [bshire, 'outsideone']);
      // The page shows the organisation in one cell, the CSV in two (number, name).
      assert.deepEqual(
        await pageAsCsv('/reports/users?run=1&la=all'),
        users.flatMap(([laName = '', username = '', fullName = '', role = '', code, org, ...rest]) => [
          laName,
          username,
          fullName,
          role,
          code === 'Organisation number' ? 'Organisation' : `${code} ${org}`,
          ...rest,
        ]),
      );

      const schools = await downloadCsv(
        agent,
        '/reports/schools/csv?run=1&la=all&status=all',
        /attachment; filename="schools-all-las-2026-11-23\.csv"/,
      );
      assert.deepEqual(
        schools.map((r) => r.slice(0, 3)),
        [
          ['LA', 'Number', 'Name'],
          ...(la.number < otherLa.number
            ? [
                [ashire, alder.number, 'Alder Primary'],
                [ashire, birch.number, 'Birch Primary'],
                [ashire, closed.number, 'Closed School'],
                [bshire, outside.number, 'Outside Academy'],
              ]
            : [
                [bshire, outside.number, 'Outside Academy'],
                [ashire, alder.number, 'Alder Primary'],
                [ashire, birch.number, 'Birch Primary'],
                [ashire, closed.number, 'Closed School'],
              ]),
        ],
      );
      assert.deepEqual(await pageAsCsv('/reports/schools?run=1&la=all&status=all'), schools.flat());

      const base = await downloadCsv(
        agent,
        '/reports/base-users/csv?run=1&la=all',
        /attachment; filename="base-users-all-las-2026-11-23\.csv"/,
      );
      assert.deepEqual(base[0], ['LA', 'Number', 'Name', 'Users', 'Last signed in']);
      assert.deepEqual(
        base.find((r) => r[1] === alder.number),
        [ashire, alder.number, 'Alder Primary', '2', '2026-11-22 09:30'],
      );
      assert.deepEqual(await pageAsCsv('/reports/base-users?run=1&la=all'), base.flat());
    } finally {
      await t.app.close();
    }
  });

  test('in Welsh, the User Report names the roles in Welsh (its filter, column and count); its CSV keeps the English', async () => {
    const t = await createTestApp(db);
    try {
      const { agent } = await signedInUser(t, 'la_dba', { laNumber: la.number });
      await agent.get('/reports/users?lang=cy');
      const page = await agent.get('/reports/users?run=1&role=school');
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<option value="school" selected>Defnyddiwr Ysgol<\/option>/);
      assert.doesNotMatch(page.body, />School User</);
      const cells = cellTexts(page.body);
      assert.ok(cells.includes('Defnyddiwr Ysgol'), 'the Role column');
      assert.match(textOf(page.body), /Defnyddiwr Ysgol/);
      const rows = await downloadCsv(agent, '/reports/users/csv?run=1&role=school', /attachment/);
      assert.ok(
        rows.slice(1).every((row) => row.includes('School User')),
        'the CSV in English',
      );
    } finally {
      await t.app.close();
    }
  });

  test('each page and its CSV show the same rows, with no password hash, and bad criteria answer 400', async () => {
    const t = await createTestApp(db);
    try {
      const { agent, user } = await signedInUser(t, 'la_dba', { laNumber: la.number });
      const hashes = [dba.password_hash, user.password_hash];
      const check = async (page: string, csvUrl: string, filename: RegExp, header: string[]) => {
        const html = await agent.get(page);
        assert.equal(html.statusCode, 200, page);
        const rows = await downloadCsv(agent, csvUrl, filename);
        for (const body of [html.body, rows.flat().join('\n')]) {
          for (const hash of hashes) assert.ok(!body.includes(hash), 'no password hash');
          assert.ok(!body.includes('$argon2'), 'no password hash');
          assert.ok(!body.includes('Outside Academy'), "no other LA's rows");
        }
        // Cell by cell: the other LA's username could turn up by chance inside an id's hex in the page.
        for (const cells of [cellTexts(html.body), rows.flat()]) {
          assert.ok(!cells.includes('bdba'), "no other LA's rows");
        }
        assert.deepEqual(rows[0], header);
        return { cells: cellTexts(html.body), rows: rows.slice(1), html: html.body };
      };

      // The LA's administrator asks for All LAs in each address below: it still sees its own LA only.
      const users = await check(
        '/reports/users?run=1&la=all',
        '/reports/users/csv?run=1&la=all',
        /attachment; filename="users-\d{3}-all-to-2026-11-23\.csv"/,
        [
          'Username',
          'Full name',
          'Role',
          'Organisation number',
          'Organisation',
          'Email',
          'Telephone',
          'Created',
          'Last signed in',
        ],
      );
      const usernames = users.rows.map((r) => r[0]);
      for (const name of ['adba', 'aofficer', user.username, 'alderone', 'aldertwo', 'closedone'])
        assert.ok(usernames.includes(name), `${name} is in the CSV`);
      assert.ok(!usernames.includes('aldergone'), 'a deleted account is not');
      assert.deepEqual(
        users.rows.map((r) => r[3]),
        users.rows.map((r) => r[3]).sort(),
        'ordered by organisation',
      );
      for (const row of users.rows) {
        const at = users.cells.indexOf(row[0] ?? '');
        assert.ok(at >= 0, `${row[0]} is in the table`);
        const [username, fullName, role, code, org, ...rest] = row;
        // The same cells, the dates each in their own spelling ("1 October 2026", "2026-10-01").
        assert.deepEqual(users.cells.slice(at, at + 8).map(asCsvCell), [
          username,
          fullName,
          role,
          `${code} ${org}`,
          ...rest,
        ]);
      }
      assert.deepEqual(users.rows[0], [
        'adba',
        'Ann Admin',
        'LEA Administrator (DBA)',
        la.number,
        'Ashire',
        'ann@ashire.example.gov.uk',
        '01000 111111',
        '2026-10-01',
        '2026-11-20 10:00',
      ]);

      const schools = await check(
        '/reports/schools?run=1&status=all&la=all',
        '/reports/schools/csv?run=1&status=all&la=all',
        /attachment; filename="schools-\d{3}-2026-11-23\.csv"/,
        [
          'Number',
          'Name',
          'Town',
          'Postcode',
          'Phase',
          'Type',
          'Status',
          'Uses s2s',
          'Account active',
          'Email',
          'Telephone',
        ],
      );
      assert.deepEqual(
        schools.rows.map((r) => r[0]),
        [alder.number, birch.number, closed.number],
      );
      assert.deepEqual(schools.rows[2]?.slice(6), ['Closed', 'No', 'No', '', '']);
      for (const row of schools.rows) {
        const at = schools.cells.indexOf(row[0] ?? '');
        assert.deepEqual(schools.cells.slice(at, at + 11), row);
      }
      assert.match(schools.html, /it has no date range/);
      assert.doesNotMatch(schools.html, /name="from-day"/);

      const base = await check(
        '/reports/base-users?run=1&la=all',
        '/reports/base-users/csv?run=1&la=all',
        /attachment; filename="base-users-\d{3}-2026-11-23\.csv"/,
        ['Number', 'Name', 'Users', 'Last signed in'],
      );
      assert.deepEqual(base.rows, [
        [alder.number, 'Alder Primary', '2', '2026-11-22 09:30'],
        [birch.number, 'Birch Primary', '0', 'No users'],
      ]);
      for (const row of base.rows) {
        const at = base.cells.indexOf(row[0] ?? '');
        assert.deepEqual(base.cells.slice(at, at + 4).map(asCsvCell), row);
      }

      const refused = await agent.get(
        '/reports/users?run=1&role=bogus&from-day=40&from-month=1&from-year=2026',
      );
      assert.equal(refused.statusCode, 400);
      assert.match(refused.body, /Choose a role from the list/);
      assert.match(refused.body, /The day of the From date must be a number from 1 to 31/);
      const csvRefused = await agent.get('/reports/users/csv?role=bogus');
      assert.equal(csvRefused.statusCode, 302);
      assert.match(String(csvRefused.headers.location), /^\/reports\/users\?role=bogus&run=1$/);
      // A misspelt status from an edited address is refused beside its radios, not taken for open only.
      for (const report of ['schools', 'base-users']) {
        const typo = await agent.get(`/reports/${report}?run=1&status=al`);
        assert.equal(typo.statusCode, 400, report);
        assert.match(
          typo.body,
          /id="status-error"[^>]*>[\s\S]*?Choose open schools only, or all schools, open and closed/,
          report,
        );
        assert.equal((await agent.get(`/reports/${report}/csv?status=al`)).statusCode, 302, report);
      }

      const admin = await signedInUser(t, 'national_admin', {});
      const choose = await admin.agent.get('/reports/schools?run=1');
      assert.equal(choose.statusCode, 400);
      assert.match(choose.body, /Select an LA/);
      assert.equal((await admin.agent.get('/reports/base-users/csv')).statusCode, 302);
      const theirs = await admin.agent.get(`/reports/base-users?run=1&la=${otherLa.number}`);
      assert.equal(theirs.statusCode, 200);
      assert.match(theirs.body, /Outside Academy/);
      assert.doesNotMatch(theirs.body, /Alder Primary/);
    } finally {
      await t.app.close();
    }
  });

  test('each CSV has every row once, in order, and the same bytes whatever the page size', async () => {
    const admin = actorOf(await makeUser(db, 'national_admin', {}));
    const own = actorOf(dba);
    const cases: [typeof admin, CsvReportName, ReportCriteria][] = [
      [admin, 'users', { la: 'all' }],
      [own, 'users', {}],
      [admin, 'schools', { la: 'all', status: 'all' }],
      [own, 'schools', {}],
      [admin, 'base-users', { la: 'all', status: 'all' }],
      [own, 'base-users', {}],
    ];
    for (const make of cases) {
      const name = `${make[1]} ${JSON.stringify(make[2])}`;
      const whole = await csvInPages(db, clock, 1000, (downloads) => downloads.csv(...make));
      const rows = (parse(whole.text, { bom: true }) as string[][]).length - 1;
      assert.ok(rows > 1, name);
      assert.equal(whole.reads, 1, `${name}: one page`);
      for (const pageSize of [1, 2, 3]) {
        const paged = await csvInPages(db, clock, pageSize, (downloads) => downloads.csv(...make));
        assert.equal(paged.text, whole.text, `${name}, pages of ${pageSize}`);
        assert.equal(paged.reads, keysetReads(rows, pageSize), `${name}, pages of ${pageSize}`);
      }
    }
  });

  test('the Message Report CSV has the rows of its page', async () => {
    const t = await createTestApp(db);
    try {
      await makeMessage(db, dba, [mailboxOfUser(alderOne)], { sentAt: new Date('2026-11-10T10:00:00.000Z') });
      await makeMessage(db, dba, [mailboxOfUser(alderOne)], { sentAt: new Date('2026-11-12T10:00:00.000Z') });
      const { agent } = await signedInUser(t, 'la_dba_view', { laNumber: la.number });
      const criteria = 'run=1&from-day=1&from-month=11&from-year=2026';
      const page = await agent.get(`/reports/message-report?${criteria}`);
      assert.equal(page.statusCode, 200);
      assert.match(
        page.body,
        new RegExp(`href="/reports/message-report/csv\\?${criteria.replaceAll('&', '&amp;')}"`),
      );
      const csv = await agent.get(`/reports/message-report/csv?${criteria}`);
      assert.equal(csv.statusCode, 200);
      assert.match(
        String(csv.headers['content-disposition']),
        new RegExp(`attachment; filename="message-report-${la.number}-2026-11-01-to-2026-11-23\\.csv"`),
      );
      const rows = parse(csv.body, { bom: true }) as string[][];
      assert.deepEqual(rows, [
        [
          'School number',
          'School',
          'Messages received',
          'Messages read',
          'Unread messages',
          'Oldest unread sent',
        ],
        [alder.number, 'Alder Primary', '2', '0', '2', '2026-11-10'],
        [birch.number, 'Birch Primary', '0', '0', '0', ''],
      ]);
      const cells = cellTexts(page.body);
      for (const row of rows.slice(1)) {
        const at = cells.indexOf(`${row[0]} ${row[1]}`);
        assert.ok(at >= 0);
        assert.deepEqual(cells.slice(at + 1, at + 5).map(asCsvCell), [row[2], row[3], row[4], row[5] || '–']);
      }
      // Wrong dates in a hand-made CSV address: back to the page, which says what is wrong.
      const wrong = await agent.get('/reports/message-report/csv?from-day=31&from-month=2&from-year=2026');
      assert.equal(wrong.statusCode, 302);
      assert.match(String(wrong.headers.location), /^\/reports\/message-report\?.*run=1/);
      assert.ok(!csv.body.includes('Outside Academy'));
    } finally {
      await t.app.close();
    }
  });
});

describeEachEngine('Directory reports longer than their page', (database) => {
  let db: Db;
  let la: LocalAuthorityRow;
  /** The LA's schools: a few more open ones than a page holds, then three closed. */
  const schools: { number: string; open: boolean; users: number }[] = [];
  let accounts = 0;

  before(async () => {
    db = database().db;
    la = await makeLa(db, { name: 'Bigshire' });
    await db.transaction().execute(async (trx) => {
      // A hundred of the LA's own accounts, then one for each school but every tenth, and two more for the
      // second: accounts of one organisation fall across the ends of pages.
      for (let i = 0; i < 100; i++) await makeUser(trx, 'la_user', { laNumber: la.number });
      accounts += 100;
      for (let i = 0; i < PAGE_ROWS + 8; i++) {
        const open = i < PAGE_ROWS + 5;
        const school = await makeSchool(trx, la.number, open ? {} : { status: 'closed' });
        const users = i % 10 === 0 ? 0 : i === 1 ? 3 : 1;
        const org = { laNumber: la.number, establishmentNumber: school.number };
        for (let u = 0; u < users; u++) await makeUser(trx, 'school', org);
        schools.push({ number: school.number, open, users });
        accounts += users;
      }
      const gone = { laNumber: la.number, establishmentNumber: schools[2]?.number };
      await makeUser(trx, 'school', gone, { deleted_at: '2026-11-01T10:00:00.000Z' });
    });
  });

  test('each page shows its first rows and says so, counting them all; its CSV has them all', async () => {
    const t = await createTestApp(db);
    try {
      const { agent } = await signedInUser(t, 'la_dba', { laNumber: la.number });
      const open = schools.filter((s) => s.open);
      /** The page's first cell of each row (the username, or the school's number), and its text. */
      const page = async (url: string) => {
        const html = await agent.get(url);
        assert.equal(html.statusCode, 200, url);
        const firsts = [...html.body.matchAll(/<th scope="row" class="govuk-table__header">([^<]*)<\/th>/g)];
        return { firsts: firsts.map((m) => m[1]), text: textOf(html.body) };
      };
      const csvFirsts = async (url: string) =>
        (await downloadCsv(agent, url, /attachment/)).slice(1).map((row) => row[0]);

      // The LA's administrator who signed in has an account too.
      const users = await page('/reports/users?run=1');
      const allUsers = await csvFirsts('/reports/users/csv?run=1');
      assert.equal(allUsers.length, accounts + 1);
      assert.deepEqual(users.firsts, allUsers.slice(0, PAGE_ROWS));
      assert.match(users.text, new RegExp(`${accounts + 1} accounts\\.`));
      assert.match(
        users.text,
        new RegExp(`This page shows the first ${PAGE_ROWS} accounts\\. Download the CSV for them all\\.`),
      );

      const openSchools = await page('/reports/schools?run=1');
      const allOpen = await csvFirsts('/reports/schools/csv?run=1');
      assert.deepEqual(
        allOpen,
        open.map((s) => s.number),
      );
      assert.deepEqual(openSchools.firsts, allOpen.slice(0, PAGE_ROWS));
      assert.match(openSchools.text, new RegExp(`${open.length} schools\\.`));
      assert.match(
        openSchools.text,
        new RegExp(`This page shows the first ${PAGE_ROWS} schools\\. Download the CSV for them all\\.`),
      );

      const base = await page('/reports/base-users?run=1&status=all');
      const allBase = await csvFirsts('/reports/base-users/csv?run=1&status=all');
      assert.deepEqual(
        allBase,
        schools.map((s) => s.number),
      );
      assert.deepEqual(base.firsts, allBase.slice(0, PAGE_ROWS));
      const without = schools.filter((s) => s.users === 0).length;
      assert.match(base.text, new RegExp(`${without} of ${schools.length} schools have no users\\.`));
      assert.match(base.text, new RegExp(`This page shows the first ${PAGE_ROWS} schools\\.`));

      // A report that fits its page says nothing of the kind.
      const short = await agent.get('/reports/users?run=1&role=la_dba');
      assert.equal(short.statusCode, 200);
      assert.match(textOf(short.body), /1 account with the role LEA Administrator \(DBA\)\./);
      assert.doesNotMatch(short.body, /This page shows the first/);
    } finally {
      await t.app.close();
    }
  });
});

function at2025() {
  return { created_at: '2025-01-01T09:00:00.000Z' };
}
