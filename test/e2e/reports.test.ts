// Every report in a real browser: each role's Report Selection page lists what it may run; each report's
// criteria page, and the report once run, pass axe (the national administrator's with All LAs too); a CSV
// download carries the page's rows.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { forJourneys, type Journey, menuLink, signedInAs } from './browser.ts';

/** The report links of the Reports page, in order. */
async function reportLinks(page: Page): Promise<string[]> {
  return page.locator('.govuk-summary-list__key a').allInnerTexts();
}

describe('reports (browser)', () => {
  const running = forJourneys();

  const as = (username: string): Promise<Journey> => signedInAs(running.browser, running.service, username);

  /** Opens each report from the Reports page, runs it with its default criteria, and checks both pages. */
  async function runEach(journey: Journey, reports: string[]): Promise<void> {
    const { page } = journey;
    for (const report of reports) {
      await menuLink(page, 'Reports').click();
      await journey.check();
      await page.getByRole('link', { name: report, exact: true }).click();
      await journey.check();
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), report);
      const run = page.getByRole('button', { name: 'Run Report' });
      if ((await run.count()) > 0) {
        await run.click();
        await journey.check();
        assert.equal(
          await page.locator('.govuk-error-summary').count(),
          0,
          `${report} runs with its defaults`,
        );
      }
    }
  }

  test('an LA administrator sees the LA notes’ list of reports and runs each of them', async () => {
    const journey = await as('demo-la-dba');
    const { page } = journey;
    await menuLink(page, 'Reports').click();
    await journey.check();
    const reports = await reportLinks(page);
    assert.deepEqual(reports, [
      'General Usage/Volume Report',
      'School Report',
      'LEA Cluster Report',
      'Delete CTF files Audit Trail',
      'Lost Pupil (numbers) Report',
      'Lost Pupil (uploaded pupils) Report',
      'Lost Pupil (downloaded pupils) Report',
      'Generic / Other file movements',
      'LEA Administrator – Message Report',
      'User Report',
      'School List Report',
      'Base User Report',
    ]);
    await runEach(journey, reports);

    // The usage report's CSV holds the rows of its table.
    await page.goto('/reports/general-usage?run=1&scope=all');
    await journey.check();
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download CSV' }).click();
    const file = await download;
    assert.match(file.suggestedFilename(), /^general-usage-all-to-\d{4}-\d{2}-\d{2}\.csv$/);
    const path = await file.path();
    const { readFile } = await import('node:fs/promises');
    const csv = await readFile(path, 'utf8');
    const schools = await page.locator('#usage tbody th').allInnerTexts();
    for (const school of schools.filter((s) => s !== 'Total')) {
      const [number] = school.split(' ');
      assert.match(csv, new RegExp(`^${number},`, 'm'), `${school} is in the CSV`);
    }
    journey.assertEveryPageChecked();
    await journey.close();
  });

  test('the national administrator runs each LA report for All LAs, every row naming its LA', async () => {
    const journey = await as('demo-admin');
    const { page } = journey;
    for (const report of [
      'School Report',
      'Lost Pupil (numbers) Report',
      'Lost Pupil (uploaded pupils) Report',
      'Lost Pupil (downloaded pupils) Report',
      'Generic / Other file movements',
      'User Report',
      'School List Report',
      'Base User Report',
    ]) {
      await menuLink(page, 'Reports').click();
      await journey.check();
      await page.getByRole('link', { name: report, exact: true }).click();
      await journey.check();
      await page.getByLabel('LA', { exact: true }).selectOption({ label: 'All LAs' });
      await page.getByRole('button', { name: 'Run Report' }).click();
      await journey.check();
      assert.equal(await page.locator('.govuk-error-summary').count(), 0, `${report} runs for All LAs`);
      assert.match(await page.locator('#report').innerText(), /^(Every LA|All schools of every LA)/, report);
    }

    // The School List's CSV: the demo LAs' schools, each row starting with its LA.
    await page.goto('/reports/schools?run=1&la=all');
    await journey.check();
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download CSV' }).click();
    const file = await download;
    assert.match(file.suggestedFilename(), /^schools-all-las-\d{4}-\d{2}-\d{2}\.csv$/);
    const { readFile } = await import('node:fs/promises');
    const csv = await readFile(await file.path(), 'utf8');
    assert.match(csv, /^\uFEFFLA,Number,Name,/);
    for (const [la, school] of [
      ['916', '9165402'],
      ['817', '8171234'],
    ])
      assert.match(csv, new RegExp(`^${la} [^,]+,${school},`, 'm'), `${school} with LA ${la}`);
    journey.assertEveryPageChecked();
    await journey.close();
  });

  test('a school runs its own reports only', async () => {
    const journey = await as('demo-school-a');
    const { page } = journey;
    await menuLink(page, 'Reports').click();
    await journey.check();
    const reports = await reportLinks(page);
    assert.deepEqual(reports, [
      'General Usage/Volume Report',
      'School Report',
      'Generic / Other file movements',
    ]);
    await runEach(journey, reports);
    journey.assertEveryPageChecked();
    await journey.close();
  });
});
