// COLLECT in a real browser (the acceptance journey), on the demo data's School Census
// collection: demo-school-a uploads a return with an error, sees it, uploads a fixed one in its place,
// opens its pupils and its summary, explains its query and submits it; demo-la-user returns it once, and
// adds a note the school sees with it; the school loads a corrected file and submits it, which the LA approves after checking its summary;
// demo-collector sees it only after the approval. Every page is checked with axe.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { censusFilename, censusReturnXml } from '../support/census.ts';
import { forJourneys, type Journey, menuLink, signedInAs } from './browser.ts';

const SCHOOL = '9165402'; // demo-school-a, Cotswold Edge Primary School, LA 916
const COLLECTION = 'School Census 2026 Autumn';

/** The success banner's text (a flash). */
const flash = (page: Page) => page.locator('.govuk-notification-banner--success').innerText();

/** A value of the page's first summary list, by its key. */
const summaryValue = (page: Page, key: string) =>
  page
    .locator('.govuk-summary-list__row', { has: page.locator('dt', { hasText: key }) })
    .first()
    .locator('dd')
    .innerText();

describe('COLLECT (browser)', () => {
  const running = forJourneys();

  const as = (username: string): Promise<Journey> => signedInAs(running.browser, running.service, username);

  /** From the menu to the collection's own page. */
  async function openCollection(journey: Journey): Promise<void> {
    const { page } = journey;
    await menuLink(page, 'Data Collections').click();
    await journey.check();
    await page.getByRole('link', { name: 'My Data Collections' }).click();
    await journey.check();
    await page.getByRole('link', { name: COLLECTION }).click();
    await journey.check();
    await assert.doesNotReject(page.getByRole('heading', { level: 1, name: COLLECTION }).waitFor());
  }

  async function uploadReturn(
    journey: Journey,
    sequence: number,
    xml: string,
    replace: boolean,
  ): Promise<void> {
    await journey.page.getByRole('button', { name: 'Upload Return from File' }).click();
    await journey.check();
    await uploadOnForm(journey, sequence, xml, replace);
  }

  /** On the upload form: the file chosen and uploaded. */
  async function uploadOnForm(journey: Journey, sequence: number, xml: string, replace: boolean) {
    const { page } = journey;
    if (replace) await page.getByLabel('The new file replaces my current return').check();
    await page.getByLabel('Choose the census return').setInputFiles({
      name: censusFilename(SCHOOL, 2026, sequence),
      mimeType: 'text/xml',
      buffer: Buffer.from(xml),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    await journey.check();
  }

  test('a school loads, fixes and submits its return; the LA returns it, the school loads a corrected one, the LA approves it; then the DfE sees it', async () => {
    // The collector sees the collection, but no return yet.
    const collector = await as('demo-collector');
    await openCollection(collector);
    await assert.doesNotReject(collector.page.getByText('No return has been approved yet.').waitFor());

    // The school: a return with an error and a query.
    const school = await as('demo-school-a');
    const { page } = school;
    await openCollection(school);
    // A file past the limit is named before anything is sent: past 10 MB s2s stops reading and closes the
    // connection, which the browser would show as "This site can't be reached" (decision 73).
    await page.getByRole('button', { name: 'Upload Return from File' }).click();
    await school.check();
    const posts: string[] = [];
    const countPost = (request: { method(): string; url(): string }) => {
      if (request.method() === 'POST') posts.push(request.url());
    };
    page.on('request', countPost);
    const tooLarge = censusFilename(SCHOOL, 2026, 1);
    await page.getByLabel('Choose the census return').setInputFiles({
      name: tooLarge,
      mimeType: 'text/xml',
      buffer: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    await school.check();
    page.off('request', countPost);
    assert.deepEqual(posts, [], 'nothing was sent');
    assert.match(
      await page.locator('.govuk-error-summary').innerText(),
      new RegExp(`${tooLarge} is larger than 10 MB, the most s2s can load as a census return`),
    );
    // The Upload button ignores a second press within a second of the first (GOV.UK's preventDoubleClick).
    await page.waitForTimeout(1000);
    await uploadOnForm(
      school,
      1,
      censusReturnXml({ school: SCHOOL, year: 2026, withError: true, withQuery: true }),
      false,
    );
    assert.match(await page.locator('#outcome').innerText(), /version 1: 13 pupils, 1 error and 1 query/);
    await page.getByRole('button', { name: 'Open the return' }).click();
    await school.check();
    await assert.doesNotReject(page.getByRole('heading', { name: /Rule 1580/ }).waitFor());
    assert.equal(
      await page.getByRole('button', { name: 'Submit Return' }).count(),
      0,
      'no Submit with an error',
    );

    // Fixed at source: the new file replaces the first.
    await page.getByRole('link', { name: `Back to ${COLLECTION}` }).click();
    await school.check();
    await uploadReturn(school, 2, censusReturnXml({ school: SCHOOL, year: 2026, withQuery: true }), true);
    assert.match(
      await page.locator('#outcome').innerText(),
      /version 2, replacing version 1: 13 pupils, 0 errors and 1 query/,
    );
    await page.getByRole('button', { name: 'Open the return' }).click();
    await school.check();
    const returnUrl = page.url();
    // Every field of each pupil, in words.
    await page.getByRole('link', { name: 'View the pupils' }).click();
    await school.check();
    assert.match(await page.locator('#pupils').innerText(), /12 March 2015\s+Female\s+Year 7/);
    await page.getByText('Other details of record 1 on roll', { exact: true }).click();
    await school.check();
    await page.getByRole('link', { name: 'Back to the return' }).click();
    await school.check();
    // Its summary, to check against the MIS's census summary report.
    await page.getByRole('link', { name: 'View the summary' }).click();
    await school.check();
    assert.match(
      await page.getByRole('table', { name: 'Pupils on roll by NC year group' }).innerText(),
      /Year 7\s+2[\s\S]*Total\s+11/,
    );
    await page.getByRole('link', { name: 'Back to the return' }).click();
    await school.check();

    // The query explained, then submitted with the headteacher's approval.
    await page
      .getByLabel(/Explain this query to your LA \(rule 1700Q\)/)
      .fill('Two families declined to say; we are asking again.');
    await page.getByRole('button', { name: 'Save the explanation' }).click();
    await school.check();
    await page.getByRole('button', { name: 'Submit Return' }).click();
    await school.check();
    await page.getByRole('button', { name: 'Submit Return' }).click();
    await school.check();
    assert.match(await page.locator('.govuk-error-summary').innerText(), /headteacher has approved/);
    await page.getByLabel('The headteacher has approved this return').check();
    await page.getByRole('button', { name: 'Submit Return' }).click();
    await school.check();
    assert.match(await flash(page), /submitted to your LA/);
    assert.equal(await summaryValue(page, 'Status'), 'Submitted');

    // The collector still cannot open it.
    const notYet = await collector.page.goto(returnUrl);
    await collector.check();
    assert.equal(notYet?.status(), 404);

    // The LA returns it with a note.
    const la = await as('demo-la-user');
    await openCollection(la);
    // The bulk load names a zip past the limit before anything is sent, as Upload Return from File does.
    await la.page.getByRole('button', { name: 'Upload returns from a zip' }).click();
    await la.check();
    const bulkPosts: string[] = [];
    const countBulkPost = (request: { method(): string; url(): string }) => {
      if (request.method() === 'POST') bulkPosts.push(request.url());
    };
    la.page.on('request', countBulkPost);
    await la.page.locator('input[type=file]').setInputFiles({
      name: 'returns.zip',
      mimeType: 'application/zip',
      buffer: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
    });
    await la.page.getByRole('button', { name: 'Upload' }).click();
    await la.check();
    la.page.off('request', countBulkPost);
    assert.deepEqual(bulkPosts, [], 'nothing was sent');
    assert.match(
      await la.page.locator('.govuk-error-summary').innerText(),
      /returns\.zip is larger than 10 MB, the most s2s accepts in one upload/,
    );
    await openCollection(la);
    await la.page.getByRole('link', { name: `${SCHOOL} Cotswold Edge Primary School` }).click();
    await la.check();
    await assert.doesNotReject(
      la.page.getByText('Two families declined to say; we are asking again.', { exact: true }).waitFor(),
    );
    await la.page.getByRole('button', { name: 'Return it to the school' }).click();
    await la.check();
    await la.page
      .getByLabel('What should the school correct?')
      .fill('Please check the ethnicity of pupil 5.');
    await la.page.getByRole('button', { name: 'Return it to the school' }).click();
    await la.check();
    assert.equal(await summaryValue(la.page, 'Status'), 'Returned to school');
    // A note added while the school corrects it: emailed to the school, and the LA is told so.
    await la.page.getByLabel('Add a note').fill('Pupil 7 too, please.');
    await la.page.getByRole('button', { name: 'Add the note' }).click();
    await la.check();
    await assert.doesNotReject(
      la.page.getByText(/Your note has been added, and emailed to the school/).waitFor(),
    );

    // The school sees the notes at the top of the page, and no Submit: it makes a new file in its MIS.
    await page.goto(returnUrl);
    await school.check();
    assert.equal(await summaryValue(page, 'Status'), 'Returned to school');
    assert.equal(await page.locator('#returned-note').innerText(), 'Please check the ethnicity of pupil 5.');
    assert.match(await page.locator('#returned-other-notes').innerText(), /Pupil 7 too, please\./);
    assert.equal(await page.getByRole('button', { name: 'Submit Return' }).count(), 0);
    await page.getByRole('link', { name: 'Upload the corrected return' }).click();
    await school.check();
    await uploadOnForm(school, 3, censusReturnXml({ school: SCHOOL, year: 2026, withQuery: true }), true);
    await page.getByRole('button', { name: 'Open the return' }).click();
    await school.check();
    const correctedUrl = page.url();
    await page
      .getByLabel(/Explain this query to your LA \(rule 1700Q\)/)
      .fill('Pupil 5 corrected; two families declined to say.');
    await page.getByRole('button', { name: 'Save the explanation' }).click();
    await school.check();
    await page.getByRole('button', { name: 'Submit Return' }).click();
    await school.check();
    await page.getByLabel('The headteacher has approved this return').check();
    await page.getByRole('button', { name: 'Submit Return' }).click();
    await school.check();

    // The LA checks its summary, then approves it.
    await la.page.goto(correctedUrl);
    await la.check();
    await la.page.getByRole('link', { name: 'View the summary' }).click();
    await la.check();
    assert.match(
      await la.page.getByRole('table', { name: 'Pupils on roll by sex' }).innerText(),
      /Male\s+5\s+Female\s+6/,
    );
    await la.page.getByRole('link', { name: 'Back to the return' }).click();
    await la.check();
    await la.page.getByRole('button', { name: 'Approve the return' }).click();
    await la.check();
    assert.match(await flash(la.page), /approved: the DfE can now see it/);

    // Now the collector sees it.
    await openCollection(collector);
    await collector.page.getByRole('link', { name: `${SCHOOL} Cotswold Edge Primary School` }).click();
    await collector.check();
    assert.equal(collector.page.url(), correctedUrl);
    assert.equal(await summaryValue(collector.page, 'Status'), 'Approved');

    for (const journey of [collector, school, la]) {
      journey.assertEveryPageChecked();
      await journey.close();
    }
  });
});
