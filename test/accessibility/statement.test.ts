// The accessibility statement: public, in both languages, in the GOV.UK model's order, with the service
// desk's details; and its "how we tested" stays true: it names every browser journey, each of which
// checks the pages it visits with axe-core.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BROWSER_JOURNEYS } from '../../src/accessibility/routes.ts';
import { translate } from '../../src/platform/i18n/catalogue.ts';
import { describeEachEngine } from '../support/databases.ts';
import { Agent, createTestApp, type TestApp, textOf } from '../support/web.ts';

const E2E_DIR = join(import.meta.dirname, '..', 'e2e');

function headings(html: string): string[] {
  return [...html.matchAll(/<h[123] class="govuk-heading-[lms]">([^<]+)<\/h[123]>/g)].map((m) =>
    textOf(m[1] ?? '').trim(),
  );
}

describeEachEngine('the accessibility statement', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db, {
      SERVICE_DESK_EMAIL: 'help@s2s.example.gov.uk',
      SERVICE_DESK_TELEPHONE: '0300 000 0000',
    });
  });
  after(async () => {
    await t.app.close();
  });

  test('is public, linked from every page, and follows the GOV.UK model in English and in Welsh', async () => {
    const agent = new Agent(t.app);
    const signIn = await agent.get('/sign-in');
    assert.match(
      signIn.body,
      /<a class="govuk-footer__link" href="\/accessibility">\s*Accessibility statement\s*<\/a>/,
    );

    const english = await agent.get('/accessibility');
    assert.equal(english.statusCode, 200);
    assert.deepEqual(headings(english.body), [
      'Accessibility statement for s2s secure data transfer',
      'How accessible this service is',
      'Feedback and contact information',
      'Reporting accessibility problems with this service',
      'Enforcement procedure',
      'Technical information about this service’s accessibility',
      'Compliance status',
      'Non-accessible content',
      'Non-compliance with the accessibility regulations',
      'Content that is not yet in Welsh',
      'What we are doing to improve accessibility',
      'Preparation of this accessibility statement',
    ]);
    const text = textOf(english.body);
    assert.match(english.body, /href="mailto:help@s2s\.example\.gov\.uk"/);
    assert.match(text, /telephone 0300 000 0000/);
    assert.match(
      text,
      /partially compliant with the Web Content Accessibility Guidelines version 2\.2 AA standard/,
    );
    assert.match(english.body, /href="https:\/\/www\.equalityadvisoryservice\.com\/"/);

    await agent.get('/accessibility?lang=cy');
    const welsh = await agent.get('/accessibility');
    assert.match(welsh.body, /<html lang="cy"/);
    assert.deepEqual(headings(welsh.body).slice(0, 5), [
      'Datganiad hygyrchedd ar gyfer s2s trosglwyddo data yn ddiogel',
      'Pa mor hygyrch yw’r gwasanaeth hwn',
      'Adborth a gwybodaeth gyswllt',
      'Rhoi gwybod am broblemau hygyrchedd gyda’r gwasanaeth hwn',
      'Gweithdrefn orfodi',
    ]);
    assert.match(textOf(welsh.body), /ffôn 0300 000 0000/);
    assert.match(welsh.body, /href="\/accessibility">\s*Datganiad hygyrchedd\s*<\/a>/);
  });

  test('names each browser journey, and each of them checks every page it visits with axe-core', async () => {
    const statement = textOf((await new Agent(t.app).get('/accessibility')).body);
    const journeyFiles = readdirSync(E2E_DIR)
      // The checkers' own tests (axe's, the reflow check's) are not journeys.
      .filter((file) => file.endsWith('.test.ts') && !file.endsWith('-checker.test.ts'))
      .map((file) => file.replace(/\.test\.ts$/, ''))
      .sort();
    assert.deepEqual(
      BROWSER_JOURNEYS.map((journey) => journey.file).sort(),
      journeyFiles,
      'the statement lists exactly the journeys in test/e2e',
    );
    for (const journey of BROWSER_JOURNEYS) {
      assert.ok(statement.includes(translate('en', journey.key)), journey.file);
      const source = readFileSync(join(E2E_DIR, `${journey.file}.test.ts`), 'utf8');
      assert.match(source, /\.check\(\)/, `${journey.file} checks its pages with axe-core`);
      assert.match(source, /assertEveryPageChecked\(\)/, `${journey.file} proves every page was checked`);
    }
  });
});
