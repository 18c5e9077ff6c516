// The Lost Pupils Database in a real browser (issue 6, "Browser journey"): a school uploads a CTF for a
// pupil whose destination is unknown (XXXXXXXX); the LA's Lost Pupil user finds it by a misspelled
// surname and the date of birth, confirms the pupil is on roll at one of its schools, downloads the very
// bytes uploaded and says so; the Lost Pupil Transfer user forwards it to a school of the LA, which then
// finds it under Download CTF Files. Every page is checked with axe.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { makeUpn } from '../../src/ctf/upn.ts';
import { DEMO_PASSWORD } from '../../src/demo/seed.ts';
import { CTF25, ctfXml, type FixturePupil } from '../fixtures/ctf/generate.ts';
import { makeUser, TEST_PASSWORD } from '../support/factories.ts';
import { forJourneys, Journey, menuItems, menuLink, signIn } from './browser.ts';

const SENDER = '9165402'; // demo-school-a, Cotswold Edge Primary School (LA 916)
const RECEIVER = '9164001'; // Severn Vale Academy (LA 916, uses s2s): the pupil turns up here
const FILENAME = `${SENDER}_CTF_XXXXXXXX_061.XML`;
// The same pupil's file sent again: refused (decision 79).
const SECOND = `${SENDER}_CTF_XXXXXXXX_062.XML`;
// Forwarded in the LA's name, as the handbook's renamed file is (LA notes §4.2).
const FORWARDED = `916LLLL_CTF_${RECEIVER}_061.XML`;

const PUPIL: FixturePupil = {
  upn: makeUpn('916', '5402', '19', '061'),
  surname: 'Thompson',
  forename: 'Keira',
  middleNames: 'May',
  dob: '2014-07-09',
  sex: 'F',
  town: 'Cirencester',
  postcode: 'GL7 1AB',
};

/** The CTF demo-school-a's MIS writes for a pupil whose destination is unknown: one pupil. */
function lostPupilCtf(): Buffer {
  const source = { lea: '916', estab: '5402', name: 'Cotswold Edge Primary School', academicYear: '2026' };
  const destination = { lea: 'XXX', estab: 'XXXX' };
  return Buffer.from(ctfXml({ ...CTF25, dateTime: '2026-11-20T10:30:00', source, destination }, [PUPIL]));
}

/** The cells of the first table's rows, as their text. */
const rowsOf = (page: Page): Promise<string[][]> =>
  page
    .getByRole('table')
    .first()
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((row) =>
        [...row.querySelectorAll('td')].map((cell) => cell.innerText.replace(/\s+/g, ' ').trim()),
      ),
    );

/** The summary list's rows as "Key: value". */
async function summary(page: Page): Promise<string[]> {
  const rows = await page.locator('.govuk-summary-list__row').all();
  return Promise.all(
    rows.map(async (row) => {
      const key = (await row.locator('dt').innerText()).trim();
      const value = (await row.locator('dd').first().innerText()).replace(/\s+/g, ' ').trim();
      return `${key}: ${value}`;
    }),
  );
}

/** Search for Lost Pupil, from the menu: fills the fields given and searches. */
async function searchFor(
  journey: Journey,
  fields: { surname?: string; day?: string; month?: string; year?: string; begins?: boolean },
): Promise<void> {
  const { page } = journey;
  await menuLink(page, 'Search for Lost Pupil').click();
  await journey.check();
  if (fields.surname) await page.getByLabel('Surname', { exact: true }).fill(fields.surname);
  if (fields.begins) await page.getByLabel('Surname begins').check();
  const dob = page.getByRole('group', { name: 'Date of Birth' });
  if (fields.day) await dob.getByLabel('Day').fill(fields.day);
  if (fields.month) await dob.getByLabel('Month').fill(fields.month);
  if (fields.year) await dob.getByLabel('Year').fill(fields.year);
  await page.getByLabel('Sort Order').selectOption({ label: 'Date of Birth' });
  await page.getByRole('button', { name: 'Search' }).click();
  await journey.check();
}

describe('lost pupils (browser)', () => {
  const running = forJourneys();
  /** A browser of the user's own, signed in. */
  const as = async (username: string, password = DEMO_PASSWORD) => {
    const journey = await Journey.open(running.browser, running.service.baseUrl);
    await signIn(journey, username, password);
    return journey;
  };

  test('uploaded to XXXXXXXX, found by a misspelled surname and DOB, downloaded, forwarded to a school', async () => {
    const content = lostPupilCtf();

    // demo-school-a uploads the CTF of a pupil whose destination is unknown.
    const sender = await as('demo-school-a');
    const { page: sent } = sender;
    await menuLink(sent, 'Upload').click();
    await sender.check();
    await sent.getByRole('link', { name: 'Upload CTF File' }).click();
    await sender.check();
    const choosing = sent.waitForEvent('filechooser');
    await sent.getByRole('button', { name: 'Choose the files to upload' }).click();
    await (await choosing).setFiles([{ name: FILENAME, mimeType: 'text/xml', buffer: content }]);
    await sent.getByRole('button', { name: 'Upload', exact: true }).click();
    await sender.check();
    assert.equal(await sent.locator('#upload-summary').innerText(), 'The file was uploaded.');
    // The same pupil sent again, under the next number: refused, saying where the pupil is and what to
    // do (decision 79; LA notes §4.2: a duplicate keeps the pupil "lost").
    await sent.getByRole('link', { name: 'Upload more files' }).click();
    await sender.check();
    const again = sent.waitForEvent('filechooser');
    await sent.getByRole('button', { name: 'Choose the files to upload' }).click();
    await (await again).setFiles([{ name: SECOND, mimeType: 'text/xml', buffer: content }]);
    await sent.getByRole('button', { name: 'Upload', exact: true }).click();
    await sender.check();
    assert.equal(await sent.locator('#upload-summary').innerText(), 'The file was not uploaded.');
    const refusal = (await summary(sent)).join('\n');
    assert.match(
      refusal,
      new RegExp(
        `Why: The pupil in this file is already in the Lost Pupils Database from your file ${FILENAME} of \\d{1,2} \\w+ \\d{4}\\. It stays there until an LA finds the pupil\\.`,
      ),
    );
    assert.match(
      refusal,
      /What to do: If this file should replace it, remove the earlier one under View \/ Remove Files first, then upload this one again\./,
    );
    // Schools cannot search the database.
    assert.ok(!(await menuItems(sender)).includes('Search for Lost Pupil'));
    sender.assertEveryPageChecked();
    await sender.close();

    // demo-la-lost (LA 916) looks for the pupil who arrived without a CTF: "Tomson", born 9 July 2014.
    const lost = await as('demo-la-lost');
    const { page } = lost;
    // A year without 4 numbers: the year's box alone is marked, and the summary's link goes to it.
    await searchFor(lost, { surname: 'Tomson', day: '9', month: 'July', year: '14' });
    const problem = page.locator('.govuk-error-summary');
    assert.match(await problem.innerText(), /The year of the date of birth must include 4 numbers/);
    assert.deepEqual(
      await page.locator('.govuk-input--error').evaluateAll((boxes) => boxes.map((box) => box.id)),
      ['dob-year'],
    );
    await problem.getByRole('link').click();
    await lost.check();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'dob-year');
    // A month may be its name.
    await searchFor(lost, { surname: 'Tomson', day: '9', month: 'July', year: '2014' });
    assert.match(await page.locator('#results').innerText(), /1 record matches/);
    // The pupil's details are never in the address, so never in the browser's history.
    assert.doesNotMatch(page.url(), /Tomson|2014|July|surname/i);
    // Surname begins, ticked, is an exact start: "Tomson" does not begin "Thompson".
    await searchFor(lost, { surname: 'Tomson', day: '9', month: '7', year: '2014', begins: true });
    assert.match(await page.locator('#results').innerText(), /0 records match/);
    // Unticked, it sounds alike.
    await searchFor(lost, { surname: 'Tomson', day: '9', month: '7', year: '2014' });
    assert.match(await page.locator('#results').innerText(), /1 record matches/);
    const [row] = await rowsOf(page);
    assert.ok(row, 'one result');
    assert.match(
      row.join(' | '),
      /^Thompson .*\| Keira \| 9 July 2014 \| Female \| Cirencester \| Cotswold Edge Primary School 9165402 \|/,
    );
    assert.match(row.at(-1) ?? '', /^Lost$/);
    await page.getByRole('link', { name: /^Thompson ?, Keira, born 9 July 2014/ }).click();
    await lost.check();
    const details = await summary(page);
    for (const expected of [
      `UPN: ${PUPIL.upn}`,
      'Middle Names: May',
      'Former UPN: None',
      'Former Surname: None',
      'LEA Number: Gloucestershire (916)',
      `School Number/Name: ${SENDER} Cotswold Edge Primary School`,
      'Reason: Destination unknown (XXXXXXXX)',
      `File: ${FILENAME}`,
    ]) {
      assert.ok(details.includes(expected), `${expected} in ${JSON.stringify(details)}`);
    }
    assert.equal(await page.getByRole('button', { name: 'Forward to a School' }).count(), 0);

    // Download Lost Pupil File: not without the attestation.
    await page.getByRole('button', { name: 'Download Lost Pupil File' }).click();
    await lost.check();
    await page.getByRole('button', { name: 'Download the file' }).click();
    await lost.check();
    assert.match(
      await page.locator('.govuk-error-summary').innerText(),
      /Confirm that you have taken reasonable steps to ensure that the pupil is on roll at a school in your LEA/,
    );
    await page.getByRole('link', { name: /Confirm that you have taken reasonable steps/ }).click();
    assert.equal(
      await page.evaluate(() => document.activeElement?.id),
      'attest',
      'the error summary leads to the checkbox',
    );
    await page
      .getByLabel(
        'I have taken reasonable steps to ensure that the pupil in this file is on roll at a school in my LEA',
      )
      .check();
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download the file' }).click();
    const download = await downloading;
    await lost.check();
    assert.equal(download.suggestedFilename(), FILENAME);
    assert.ok((await readFile(await download.path())).equals(content), 'byte-identical to the upload');

    // "Was the file downloaded correctly?" Yes: found by LA 916.
    await page.getByRole('group', { name: 'Was the file downloaded correctly?' }).getByLabel('Yes').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await lost.check();
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /marked as found by your LA/);
    assert.match(
      (await summary(page)).find((line) => line.startsWith('Status:')) ?? '',
      /^Status: Found by Gloucestershire \(916\) \(.*\(demo-la-lost\)\) on /,
    );
    // The search came along through the download: its results are one link away.
    await page.getByRole('link', { name: 'Back to the results' }).click();
    await lost.check();
    assert.match(await page.locator('#results').innerText(), /1 record matches/);
    lost.assertEveryPageChecked();
    await lost.close();

    // demo-la-lost-transfer forwards it to Severn Vale Academy, where the pupil is on roll.
    const transfer = await as('demo-la-lost-transfer');
    const tp = transfer.page;
    await searchFor(transfer, { surname: 'thomp', begins: true, year: '2014' });
    const rows = await rowsOf(tp);
    assert.equal(rows.length, 1);
    assert.match(rows[0]?.at(-1) ?? '', /^Found Found by Gloucestershire \(916\)/);
    await tp.getByRole('link', { name: /^Thompson ?, Keira/ }).click();
    await transfer.check();
    await tp.getByRole('button', { name: 'Forward to a School' }).click();
    await transfer.check();
    await tp.getByLabel('Which school should the file go to?').fill('8171234');
    await tp
      .getByLabel(
        'I have taken reasonable steps to ensure that the pupil in this file is on roll at a school in my LEA',
      )
      .check();
    await tp.getByRole('button', { name: 'Continue' }).click();
    await transfer.check();
    assert.match(
      await tp.locator('.govuk-error-summary').innerText(),
      /School 8171234 is not a school of LA 916: enter the number of one of your schools/,
    );
    await tp.getByLabel('Which school should the file go to?').fill(RECEIVER);
    await tp.getByRole('button', { name: 'Continue' }).click();
    await transfer.check();
    const plan = await summary(tp);
    assert.ok(plan.includes(`New name: ${FORWARDED}`), JSON.stringify(plan));
    assert.ok(plan.includes(`Destination School: Severn Vale Academy (${RECEIVER})`), JSON.stringify(plan));
    assert.ok(plan.includes('From: Gloucestershire LA (916LLLL)'), JSON.stringify(plan));
    await tp.getByRole('button', { name: 'Forward the file' }).click();
    await transfer.check();
    assert.match(
      await tp.locator('.govuk-notification-banner').innerText(),
      new RegExp(`${FILENAME} has been forwarded to Severn Vale Academy as ${FORWARDED}`),
    );
    transfer.assertEveryPageChecked();
    await transfer.close();

    // A user of Severn Vale Academy finds the file under Download CTF Files, from the LA.
    const user = await makeUser(running.db, 'school', { laNumber: '916', establishmentNumber: RECEIVER });
    const receiver = await as(user.username, TEST_PASSWORD);
    const rp = receiver.page;
    await menuLink(rp, 'Download').click();
    await receiver.check();
    await rp.getByRole('link', { name: 'Download CTF Files' }).click();
    await receiver.check();
    const listed = (await rowsOf(rp)).find((cells) => cells.includes(FORWARDED));
    assert.ok(listed, `${FORWARDED} is waiting for the school`);
    assert.match(listed.join(' '), /Gloucestershire LA 916LLLL/);

    // What was recorded: downloaded and found by LA 916, then forwarded.
    const audit = await running.db
      .selectFrom('audit_events')
      .select(['action', 'actor_username', 'organisation'])
      .where('action', 'in', ['lost-pupil-downloaded', 'lost-pupil-found'])
      .orderBy('occurred_at')
      .execute();
    assert.deepEqual(
      audit.map((a) => [a.action, a.actor_username, a.organisation]),
      [
        ['lost-pupil-downloaded', 'demo-la-lost', '916'],
        ['lost-pupil-found', 'demo-la-lost', '916'],
        ['lost-pupil-found', 'demo-la-lost-transfer', '916'],
      ],
    );

    // The pupil's school is known now: LA 916, whose school sent the record, removes it (LA notes §1.3),
    // though Keira is years from school-leaving age, once the school has collected the file.
    // Not while the forwarded file waits at the school: if the school rejects it, Keira is lost again.
    const reviewer = await as('demo-la-lost');
    const rv = reviewer.page;
    await menuLink(rv, 'Lost Pupils Past Leaving Age').click();
    await reviewer.check();
    await rv.getByRole('heading', { name: 'Found before school-leaving age' }).waitFor();
    assert.equal(await rv.getByLabel('Select Thompson, Keira May').count(), 0, 'no checkbox yet');
    assert.match(
      await rv.locator('main').innerText(),
      /It cannot be removed until the school has collected the file: if the school rejects it, the pupil is lost again/,
    );

    // Severn Vale Academy collects it: accepted, downloaded, "downloaded correctly".
    await rp.getByRole('link', { name: FORWARDED }).click();
    await receiver.check();
    await rp.getByRole('button', { name: 'Accept' }).click();
    await receiver.check();
    const collecting = rp.waitForEvent('download');
    await rp.getByRole('button', { name: 'Yes' }).click();
    await collecting;
    await receiver.check();
    await rp.getByRole('group', { name: 'Was the file downloaded correctly?' }).getByLabel('Yes').check();
    await rp.getByRole('button', { name: 'Continue' }).click();
    await receiver.check();
    assert.match(
      await rp.locator('.govuk-notification-banner').innerText(),
      new RegExp(`${FORWARDED} has been collected`),
    );
    receiver.assertEveryPageChecked();
    await receiver.close();

    await rv.reload();
    await reviewer.check();
    await rv.getByLabel('Select Thompson, Keira May').check();
    await rv.getByRole('button', { name: 'Remove from the Lost Pupils Database' }).click();
    await reviewer.check();
    await rv.getByLabel("The pupil's school or destination is now known").check();
    await rv.getByRole('button', { name: 'Remove this record' }).click();
    await reviewer.check();
    assert.match(
      await rv.locator('.govuk-notification-banner').innerText(),
      /1 record has been removed from the Lost Pupils Database/,
    );
    assert.equal(await rv.getByRole('heading', { name: 'Found before school-leaving age' }).count(), 0);
    reviewer.assertEveryPageChecked();
    await reviewer.close();
  });
});
