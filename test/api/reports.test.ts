// Reports through the API, on both engines: every report's CSV is the page's Download CSV byte for byte
// for the same criteria (and the same file name); a refusal of the criteria is 422 problem+json with the
// page's message, naming the API's parameter (and a scope no page offers is refused, naming `scope`); an
// LA naming another LA still gets its own LA's report.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db, EstablishmentRow, LocalAuthorityRow, UserRow } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { CSV_REPORTS, type CsvReportName } from '../../src/reports/downloads.ts';
import { LaMonitorService } from '../../src/transfers/la-monitor-service.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { makeLostPupil } from '../support/lost-pupils.ts';
import { mailboxOfUser, makeMessage } from '../support/messages.ts';
import { actorOf, makeTransfer, school as schoolParty } from '../support/transfers.ts';
import { type Agent, createTestApp, errorSummary, signedInUser, type TestApp } from '../support/web.ts';
import { api, makeToken } from './support.ts';

const PROBLEM = /^application\/problem\+json/;

/** The page's date boxes and the API's ISO dates for 1 September to 23 November 2026. */
const PAGE_DATES = 'from-day=1&from-month=9&from-year=2026&to-day=23&to-month=11&to-year=2026';
const API_DATES = 'from=2026-09-01&to=2026-11-23';

describeEachEngine('API reports', (database) => {
  let t: TestApp;
  let db: Db;
  let laA: LocalAuthorityRow;
  let laB: LocalAuthorityRow;
  let a1: EstablishmentRow;
  let a2: EstablishmentRow;
  let b1: EstablishmentRow;
  let dba: { agent: Agent; user: UserRow };
  let dbaToken: string;
  const filenames: Record<string, string> = {};

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    laA = await makeLa(db, { name: 'Ashire' });
    laB = await makeLa(db, { name: 'Bshire' });
    a1 = await makeSchool(db, laA.number, { name: 'Alder Primary' });
    a2 = await makeSchool(db, laA.number, { name: '=Birch Primary' });
    b1 = await makeSchool(db, laB.number, { name: 'Cedar Academy' });
    const send = async (name: string, from: string, to: string, uploadedAt: string, category?: 'generic') => {
      const { row } = await makeTransfer(db, t.deps.files, {
        from: schoolParty(from),
        to: schoolParty(to),
        uploadedAt,
        ...(category ? { category } : {}),
      });
      filenames[name] = row.filename;
      return row.id;
    };
    await send('a1ToB1', a1.number, b1.number, '2026-10-05T08:30:00.000Z');
    await send('b1ToA2', b1.number, a2.number, '2026-11-02T23:30:00.000Z');
    await send('generic', a1.number, a2.number, '2026-10-20T12:00:00.000Z', 'generic');
    await send('beforeRange', a1.number, a2.number, '2026-08-20T12:00:00.000Z');
    await send('otherLa', b1.number, b1.number, '2026-10-06T12:00:00.000Z');
    const notCollected = await send('deleted', b1.number, a1.number, '2026-10-07T12:00:00.000Z');
    await makeLostPupil(db, t.deps.files, {
      from: schoolParty(a1.number),
      pupil: { surname: 'Ash', forename: 'Amy', upn: 'A123456789012' },
      uploadedAt: '2026-10-15T10:00:00.000Z',
    });
    dba = await signedInUser(t, 'la_dba', { laNumber: laA.number });
    dbaToken = await makeToken(db, dba.user, 'read', t.clock);
    await new LaMonitorService({ ...t.deps, logger: createLogger('silent') }).remove(
      actorOf(dba.user),
      notCollected,
    );
    const a1User = await makeUser(db, 'school', { laNumber: laA.number, establishmentNumber: a1.number });
    await makeMessage(db, dba.user, [mailboxOfUser(a1User)], { sentAt: new Date('2026-11-03T09:00:00Z') });
  });
  after(async () => {
    await t.app.close();
  });

  /** The page's CSV and the API's for the same criteria: both 200, the same headers that matter, the same bytes. */
  async function sameFile(
    agent: Agent,
    token: string,
    report: CsvReportName,
    pageQuery: string,
    apiQuery: string,
  ): Promise<string> {
    const page = await agent.get(`/reports/${report}/csv?${pageQuery}`);
    assert.equal(page.statusCode, 200, `${report} page: ${page.body.slice(0, 200)}`);
    const response = await api(t.app, { url: `/api/v1/reports/${report}.csv?${apiQuery}`, token });
    assert.equal(response.statusCode, 200, `${report} API: ${response.body.slice(0, 300)}`);
    assert.equal(response.headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal(response.headers['content-type'], page.headers['content-type']);
    assert.equal(response.headers['content-disposition'], page.headers['content-disposition'], report);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.ok(response.rawPayload.equals(page.rawPayload), `${report}: the same bytes`);
    return response.body;
  }

  test('every report’s CSV is the page’s Download CSV, byte for byte, for the same criteria', async () => {
    const extra: Record<CsvReportName, [string, string]> = {
      'general-usage': ['', ''],
      school: ['', ''],
      'file-movements': ['', ''],
      cluster: [`las=${laB.number}`, `las=${laB.number}`],
      'deleted-ctfs': ['', ''],
      'lost-pupil-numbers': ['', ''],
      'lost-pupils-uploaded': [
        'download=not-downloaded&type=missing',
        'download=not-downloaded&type=missing',
      ],
      'lost-pupils-downloaded': ['', ''],
      users: ['role=la_dba', 'role=la_dba'],
      schools: ['status=all', 'status=all'],
      'base-users': ['', ''],
      'message-report': ['', ''],
    };
    const bodies: Partial<Record<CsvReportName, string>> = {};
    for (const report of CSV_REPORTS) {
      const [pageExtra, apiExtra] = extra[report];
      const dated = !['schools', 'base-users'].includes(report);
      const pageQuery = [dated ? PAGE_DATES : '', pageExtra].filter(Boolean).join('&');
      const apiQuery = [dated ? API_DATES : '', apiExtra].filter(Boolean).join('&');
      bodies[report] = await sameFile(dba.agent, dbaToken, report, pageQuery, apiQuery);
    }
    // The files hold the data: compared bytes are not just two empty reports.
    assert.match(bodies.school ?? '', new RegExp(filenames.a1ToB1 ?? '-'));
    assert.match(bodies.school ?? '', new RegExp(filenames.b1ToA2 ?? '-'));
    assert.doesNotMatch(bodies.school ?? '', new RegExp(filenames.beforeRange ?? '-'), 'before From');
    assert.doesNotMatch(bodies.school ?? '', new RegExp(filenames.otherLa ?? '-'), 'another LA’s');
    assert.match(bodies['file-movements'] ?? '', new RegExp(filenames.generic ?? '-'));
    assert.match(bodies['deleted-ctfs'] ?? '', new RegExp(filenames.deleted ?? '-'));
    assert.match(bodies['lost-pupils-uploaded'] ?? '', /A123456789012,Ash,Amy/);
    assert.match(bodies.schools ?? '', /'=Birch Primary/, 'a formula is written as text, as on the page');
    assert.match(bodies['message-report'] ?? '', new RegExp(`${a1.number},Alder Primary,1,0,1,2026-11-03`));
    assert.match(bodies['general-usage'] ?? '', /^\uFEFFSchool number,School,CTFs uploaded/);
  });

  test('with no dates, and with the usage report’s chosen schools, the files are the page’s too', async () => {
    const all = await sameFile(dba.agent, dbaToken, 'school', '', '');
    assert.match(all, new RegExp(filenames.beforeRange ?? '-'), 'no From: every record');
    const chosen = await sameFile(
      dba.agent,
      dbaToken,
      'general-usage',
      `${PAGE_DATES}&scope=selected&schools=${a2.number}`,
      `${API_DATES}&scope=selected&schools=${a2.number}`,
    );
    assert.doesNotMatch(chosen, /Alder Primary/);
    assert.match(chosen, /Birch Primary/);
  });

  test('a school’s reports are its own, as on its pages', async () => {
    const school = await signedInUser(t, 'school', { laNumber: laA.number, establishmentNumber: a2.number });
    const token = await makeToken(db, school.user, 'read', t.clock);
    const body = await sameFile(school.agent, token, 'school', PAGE_DATES, API_DATES);
    assert.match(body, new RegExp(filenames.b1ToA2 ?? '-'));
    assert.doesNotMatch(body, new RegExp(filenames.a1ToB1 ?? '-'), 'another school’s file');
    const refused = await api(t.app, { url: '/api/v1/reports/users.csv', token });
    assert.equal(refused.statusCode, 403);
    assert.match(String(refused.headers['content-type']), PROBLEM);
  });

  test('an LA naming another LA gets its own LA’s report, whatever the address says', async () => {
    const own = await api(t.app, { url: `/api/v1/reports/school.csv?${API_DATES}`, token: dbaToken });
    const named = await api(t.app, {
      url: `/api/v1/reports/school.csv?${API_DATES}&la=${laB.number}`,
      token: dbaToken,
    });
    assert.equal(named.statusCode, 200);
    assert.equal(named.body, own.body);
    assert.doesNotMatch(named.body, new RegExp(filenames.otherLa ?? '-'));
  });

  test('criteria the page refuses are 422 problem+json with the page’s message, naming the parameter', async () => {
    const reversed = await api(t.app, {
      url: '/api/v1/reports/general-usage.csv?from=2026-11-30&to=2026-11-01',
      token: dbaToken,
    });
    assert.equal(reversed.statusCode, 422);
    assert.match(String(reversed.headers['content-type']), PROBLEM);
    assert.equal(reversed.json().type, '/api/docs#problem-invalid');
    assert.deepEqual(reversed.json().errors, [
      { field: 'from', message: 'The From date must be on or before the To date' },
    ]);
    const page = await dba.agent.get(
      '/reports/general-usage?from-day=30&from-month=11&from-year=2026&to-day=1&to-month=11&to-year=2026&run=1',
    );
    assert.match(errorSummary(page.body), /The From date must be on or before the To date/);

    const noSchools = await api(t.app, {
      url: '/api/v1/reports/general-usage.csv?scope=selected',
      token: dbaToken,
    });
    assert.equal(noSchools.statusCode, 422);
    assert.deepEqual(noSchools.json().errors, [
      { field: 'schools', message: 'Select one or more schools, or report on all schools' },
    ]);
    assert.match(noSchools.json().detail, /Select one or more schools, or report on all schools\./);

    const status = await api(t.app, {
      url: '/api/v1/reports/lost-pupils-uploaded.csv?download=sometimes&type=both',
      token: dbaToken,
    });
    assert.equal(status.statusCode, 422);
    assert.deepEqual(status.json().errors, [{ field: 'download', message: 'Select a download status' }]);

    // A scope no page offers: refused, where the page would have taken it for the default.
    for (const url of [
      `/api/v1/reports/general-usage.csv?scope=chosen&schools=${a2.number}`,
      `/api/v1/reports/cluster.csv?scope=chosen&las=${laB.number}`,
    ]) {
      const scope = await api(t.app, { url, token: dbaToken });
      assert.equal(scope.statusCode, 422, url);
      assert.match(String(scope.headers['content-type']), PROBLEM);
      assert.equal(scope.json().errors.length, 1, url);
      assert.equal(scope.json().errors[0].field, 'scope', url);
      assert.match(scope.json().errors[0].message, /^scope must be .+, or left out$/, url);
    }
    // Likewise a status the page does not offer (a typo for `all`): not taken for open schools only.
    for (const report of ['schools', 'base-users']) {
      const typo = await api(t.app, { url: `/api/v1/reports/${report}.csv?status=al`, token: dbaToken });
      assert.equal(typo.statusCode, 422, report);
      assert.deepEqual(
        typo.json().errors,
        [{ field: 'status', message: 'Choose open schools only, or all schools, open and closed' }],
        report,
      );
      const open = await api(t.app, { url: `/api/v1/reports/${report}.csv?status=`, token: dbaToken });
      assert.equal(open.statusCode, 200, `${report}: empty is the default`);
    }

    for (const [query, field] of [
      ['from=2026-02-30', 'from'],
      ['to=23%2F11%2F2026', 'to'],
      ['from=yesterday&to=2026-13-01', 'from'],
    ] as const) {
      const wrong = await api(t.app, { url: `/api/v1/reports/school.csv?${query}`, token: dbaToken });
      assert.equal(wrong.statusCode, 422, query);
      const first = wrong.json().errors[0];
      assert.equal(first.field, field, query);
      assert.match(first.message, /must be a real date written as YYYY-MM-DD, like 2026-09-01/);
    }
    // A real date in a year no report takes: refused for its year, as the page refuses it, not as unreal.
    for (const [query, field, label] of [
      ['from=1999-01-01', 'from', 'From'],
      ['to=2101-12-31', 'to', 'To'],
    ] as const) {
      const year = await api(t.app, { url: `/api/v1/reports/school.csv?${query}`, token: dbaToken });
      assert.equal(year.statusCode, 422, query);
      assert.deepEqual(
        year.json().errors,
        [{ field, message: `The year of the ${label} date must be from 2000 to 2100` }],
        query,
      );
    }
    const yearPage = await dba.agent.get('/reports/school?from-day=1&from-month=1&from-year=1999&run=1');
    assert.match(errorSummary(yearPage.body), /The year of the From date must be from 2000 to 2100/);
    const document = (await t.app.inject({ url: '/api/openapi.json' })).json();
    for (const name of ['from', 'to']) {
      const parameter = document.paths['/api/v1/reports/school.csv'].get.parameters.find(
        (p: { name: string }) => p.name === name,
      );
      assert.match(parameter.description, /Its year is from 2000 to 2100\./, name);
    }
  });

  test('the cluster report’s all Wales (scope=wales) is the page’s file, and the document says so', async () => {
    const la = await makeLa(db, { country: 'Wales', name: 'Walesshire' });
    const from = await makeSchool(db, la.number);
    const to = await makeSchool(db, la.number);
    await makeTransfer(db, t.deps.files, {
      from: schoolParty(from.number),
      to: schoolParty(to.number),
      uploadedAt: '2026-10-09T12:00:00.000Z',
    });
    const wales = await sameFile(
      dba.agent,
      dbaToken,
      'cluster',
      `${PAGE_DATES}&scope=wales`,
      `${API_DATES}&scope=wales`,
    );
    assert.match(wales, /Walesshire/);

    const document = (await t.app.inject({ url: '/api/openapi.json' })).json();
    const scopeOf = (report: string) =>
      document.paths[`/api/v1/reports/${report}.csv`].get.parameters.find(
        (p: { name: string }) => p.name === 'scope',
      ).schema.enum;
    assert.deepEqual(scopeOf('cluster'), ['selected', 'all', 'wales']);
    assert.deepEqual(scopeOf('general-usage'), ['all', 'selected']);
  });

  test('no report documents a parameter only the national administrator could use: it holds no token', async () => {
    const document = (await t.app.inject({ url: '/api/openapi.json' })).json();
    const reports = Object.entries(document.paths).filter(([path]) => path.startsWith('/api/v1/reports/'));
    assert.equal(reports.length, CSV_REPORTS.length);
    for (const [path, item] of reports) {
      const names = ((item as { get: { parameters?: { name: string }[] } }).get.parameters ?? []).map(
        (p) => p.name,
      );
      assert.ok(!names.includes('la'), `${path} documents la`);
    }
    const national = await signedInUser(t, 'national_admin', {});
    const page = await national.agent.get('/account/api-tokens');
    assert.equal(page.statusCode, 403, 'the national administrator has no API tokens page');
  });
});
