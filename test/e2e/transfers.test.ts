// The core journey of s2s in a real browser (issue 4, "Tests"): a school uploads a CTF for another
// school; the receiving school checks its pupils, accepts, downloads the very same bytes and says so;
// the sender sees it collected and the email is recorded. A file the recipient rejects comes back to
// the sender with the reason, and a file s2s refuses says why. Every page is checked with axe.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { makeUpn } from '../../src/ctf/upn.ts';
import { ctfBetween, type FixturePupil } from '../fixtures/ctf/generate.ts';
import { forJourneys, type Journey, menuLink, signedInAs } from './browser.ts';

const SENDER = '9165402'; // demo-school-a, Cotswold Edge Primary School (LA 916)
const RECEIVER = '8171234'; // demo-school-b, St Martha Church of England Primary School (LA 817)

const PUPILS: FixturePupil[] = [
  {
    upn: makeUpn('916', '5402', '19', '041'),
    surname: 'Ashworth',
    forename: 'Imogen',
    dob: '2016-03-02',
    sex: 'F',
    middleNames: 'Clare',
  },
  {
    upn: makeUpn('916', '5402', '19', '042'),
    surname: 'Okafor',
    forename: 'Daniel',
    dob: '2015-11-19',
    sex: 'M',
  },
];

/** A CTF 25.0 from `source` to `destination` (7-digit numbers), as a school's MIS would write it. */
function ctf(source: string, destination: string, pupils: FixturePupil[]): Buffer {
  return Buffer.from(
    ctfBetween(source, destination, pupils, { name: 'Cotswold Edge Primary School', academicYear: '2026' }),
  );
}

/** The summary card the upload results page shows for one file. */
const resultCard = (page: Page, filename: string) =>
  page.locator('.govuk-summary-card').filter({ has: page.getByRole('heading', { name: filename }) });

/** Upload CTF File: chooses the files (name and bytes, as a browser sends them) and uploads them. */
async function uploadCtfs(journey: Journey, files: { name: string; buffer: Buffer }[]): Promise<void> {
  const { page } = journey;
  await menuLink(page, 'Upload').click();
  await journey.check();
  await page.getByRole('link', { name: 'Upload CTF File' }).click();
  await journey.check();
  await chooseAndUpload(journey, files);
}

async function chooseAndUpload(journey: Journey, files: { name: string; buffer: Buffer }[]): Promise<void> {
  const { page } = journey;
  // GOV.UK Frontend's file upload shows a button labelled as the field that opens the file chooser.
  const choosing = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Choose the files to upload' }).click();
  const chooser = await choosing;
  assert.ok(chooser.isMultiple(), 'several files can be chosen at once');
  await chooser.setFiles(
    files.map((file) => ({ name: file.name, mimeType: 'text/xml', buffer: file.buffer })),
  );
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await journey.check();
}

/** What the home page lists under "Waiting for you". */
async function waitingForYou(page: Page): Promise<string> {
  const heading = page.getByRole('heading', { name: 'Waiting for you' });
  return (await heading.locator('xpath=following-sibling::*[1]').innerText()).replace(/\s+/g, ' ');
}

/** The accessible description of an element: the text of the elements its aria-describedby names. */
async function description(locator: Locator): Promise<string> {
  const ids = ((await locator.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
  const texts = await Promise.all(ids.map((id) => locator.page().locator(`[id="${id}"]`).innerText()));
  return texts.join(' ').replace(/\s+/g, ' ');
}

/** The rows of the first table on the page, as the text of each cell. */
async function tableRows(page: Page, caption?: RegExp): Promise<string[][]> {
  const table = caption ? page.getByRole('table').filter({ hasText: caption }) : page.getByRole('table');
  const rows = table.first().locator('tbody tr');
  const out: string[][] = [];
  for (const row of await rows.all()) {
    out.push((await row.locator('td').allInnerTexts()).map((cell) => cell.replace(/\s+/g, ' ').trim()));
  }
  return out;
}

describe('transfers (browser)', () => {
  const running = forJourneys();

  test('a CTF goes from demo-school-a to demo-school-b: pupils checked, accepted, downloaded byte for byte, collected, sender told', async () => {
    const filename = `${SENDER}_CTF_${RECEIVER}_101.XML`;
    const content = ctf(SENDER, RECEIVER, PUPILS);

    // demo-school-a uploads the file and sees it accepted.
    const sender = await signedInAs(running.browser, running.service, 'demo-school-a');
    await uploadCtfs(sender, [{ name: filename, buffer: content }]);
    assert.equal(await sender.page.locator('#upload-summary').innerText(), 'The file was uploaded.');
    const card = resultCard(sender.page, filename);
    assert.match(await card.innerText(), /Uploaded/);
    assert.match(await card.innerText(), /St Martha Church of England Primary School/);
    assert.match(await card.innerText(), /Pupils\s+2/);

    // demo-school-b, in a browser of its own, is told on its home page that a CTF is waiting, follows
    // the link to Download CTF Files and opens the file.
    const receiver = await signedInAs(running.browser, running.service, 'demo-school-b');
    const { page } = receiver;
    assert.match(await waitingForYou(page), /1 CTF file is waiting for you to download\./);
    await page.getByRole('link', { name: 'Go to Download CTF Files' }).click();
    await receiver.check();
    assert.equal(new URL(page.url()).pathname, '/download/ctf');
    const listed = await tableRows(page);
    const row = listed.find((cells) => cells.includes(filename));
    assert.ok(row, `${filename} is listed: ${JSON.stringify(listed)}`);
    assert.match(row.join(' '), /Cotswold Edge Primary School 9165402/);
    assert.equal(row.at(-1), '2', 'two pupils');

    await page.getByRole('link', { name: filename }).click();
    await receiver.check();
    assert.deepEqual(await tableRows(page, /Pupil details for selected file/i), [
      [PUPILS[0]?.upn, '2 March 2016', 'Ashworth, Imogen Clare'],
      [PUPILS[1]?.upn, '19 November 2015', 'Okafor, Daniel'],
    ]);

    // Accept -> "Do you want to download this file?" Yes -> the download starts by itself.
    await page.getByRole('button', { name: 'Accept' }).click();
    await receiver.check();
    await assert.doesNotReject(
      page.getByRole('heading', { name: 'Do you want to download this file?' }).waitFor(),
    );
    assert.match(await page.locator('main').innerText(), new RegExp(filename));
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Yes' }).click();
    const download = await downloading;
    await receiver.check();
    assert.equal(download.suggestedFilename(), filename);
    const saved = await download.path();
    assert.ok((await readFile(saved)).equals(content), 'the downloaded file is byte-identical to the upload');

    // "Was the file downloaded correctly?" Yes: collected.
    const question = page.getByRole('group', { name: 'Was the file downloaded correctly?' });
    await question.getByLabel('Yes').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await receiver.check();
    assert.equal(new URL(page.url()).pathname, '/download/ctf');
    assert.match(
      await page.locator('.govuk-notification-banner').innerText(),
      new RegExp(`${filename} has been collected`),
    );
    assert.ok(
      !(await tableRows(page)).some((cells) => cells.includes(filename)),
      'no longer waiting for download',
    );

    // Previously Downloaded CTF Files offers it again; "Download again" without a choice asks for one.
    await page.getByRole('link', { name: 'Files you have already collected' }).click();
    await receiver.check();
    assert.ok((await tableRows(page)).some((cells) => cells.includes(filename)));
    await page.getByRole('link', { name: filename }).click();
    await receiver.check();
    assert.match(await page.locator('main').innerText(), /You can download this file again until/);
    await page.getByRole('link', { name: 'Back to Previously Downloaded CTF Files' }).click();
    await receiver.check();
    await page.getByRole('button', { name: 'Download again' }).click();
    await receiver.check();
    assert.match(
      await page.locator('.govuk-error-summary').innerText(),
      /Select the files to download again/,
    );
    assert.match(
      await description(page.getByRole('group', { name: 'Files you can download again' })),
      /Error: Select the files to download again$/,
    );
    await page.getByRole('link', { name: 'Select the files to download again' }).click();
    await receiver.check();
    assert.equal(new URL(page.url()).hash, '#file', 'the error summary leads to the list');
    await page.getByLabel(`Select ${filename}`).check();
    const again = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download again' }).click();
    assert.ok(
      (await readFile(await (await again).path())).equals(content),
      'downloaded again, the same bytes',
    );

    // The menu's Previously Downloaded Files lists it too, each list with its own button.
    await menuLink(page, 'Previously Downloaded Files').click();
    await receiver.check();
    await assert.doesNotReject(
      page.getByRole('button', { name: /^Download again\s+from Previously Downloaded CTF Files$/ }).waitFor(),
    );
    assert.ok(
      (await tableRows(page, /can be downloaded again/)).some((cells) => cells.includes(filename)),
      'under Previously Downloaded Files',
    );
    // Sorting a list there sorts that list alone and returns the reader to it.
    await page.locator('#file-ctf').getByRole('link', { name: 'File', exact: true }).click();
    await receiver.check();
    const sortedAt = new URL(page.url());
    assert.equal(sortedAt.hash, '#previously-ctf');
    assert.equal(sortedAt.searchParams.get('ctf-sort'), 'file');
    assert.equal(
      await page.locator('#file-ctf th[aria-sort="ascending"]').innerText(),
      'File',
      'the CTF list says it is sorted by file',
    );
    receiver.assertEveryPageChecked();
    await receiver.close();

    // demo-school-a sees it collected under View / Remove Files.
    const sent = sender.page;
    await menuLink(sent, 'View / Remove Files').click();
    await sender.check();
    await sent
      .getByRole('navigation', { name: 'Filter' })
      .getByRole('link', { name: 'Collected Files' })
      .click();
    await sender.check();
    const collected = (await tableRows(sent)).find((cells) => cells.includes(filename));
    assert.ok(collected, `${filename} is under Collected Files`);
    assert.match(collected.join(' '), /St Martha Church of England Primary School 8171234 Collected/);
    await sent.getByRole('link', { name: filename }).click();
    await sender.check();
    assert.match(await sent.locator('.govuk-summary-list').innerText(), /Status\s+Collected/);
    sender.assertEveryPageChecked();
    await sender.close();

    // The emails are in the outbox: to the receiver on upload, to the sender on collection.
    const transfer = await running.db
      .selectFrom('transfers')
      .select(['id', 'status'])
      .where('filename', '=', filename)
      .executeTakeFirstOrThrow();
    assert.equal(transfer.status, 'collected');
    const emails = await running.db
      .selectFrom('notification_outbox')
      .select(['template', 'recipient_kind', 'recipient', 'payload'])
      .where('template', 'in', ['ctf-uploaded', 'file-downloaded'])
      .execute();
    const about = emails.filter((email) => JSON.parse(email.payload).filename === filename);
    assert.deepEqual(about.map((email) => [email.template, email.recipient_kind, email.recipient]).sort(), [
      ['ctf-uploaded', 'school', RECEIVER],
      ['file-downloaded', 'school', SENDER],
    ]);
  });

  test('a CTF demo-school-b rejects comes back to demo-school-a under Rejected Files with the reason', async () => {
    const filename = `${SENDER}_CTF_${RECEIVER}_102.XML`;
    const reason = 'Imogen Ashworth has not joined St Martha: she went to Riverside High School instead.';
    const sender = await signedInAs(running.browser, running.service, 'demo-school-a');
    await uploadCtfs(sender, [{ name: filename, buffer: ctf(SENDER, RECEIVER, PUPILS.slice(0, 1)) }]);
    assert.equal(await sender.page.locator('#upload-summary').innerText(), 'The file was uploaded.');

    const receiver = await signedInAs(running.browser, running.service, 'demo-school-b');
    const { page } = receiver;
    await menuLink(page, 'Download').click();
    await receiver.check();
    await page.getByRole('link', { name: 'Download CTF Files' }).click();
    await receiver.check();
    // Reject with no file selected, then without a reason, is asked again; then with one.
    await page.getByRole('button', { name: 'Reject' }).click();
    await receiver.check();
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Select one file to reject/);
    // The checkboxes are one group that tells what to do and what went wrong.
    const choice = page.getByRole('group', { name: 'Choose the files to accept or reject' });
    assert.match(
      await description(choice),
      /^Select one or more files, .* Error: Select one file to reject$/,
    );
    await page.getByLabel(`Select ${filename}`).check();
    await page.getByRole('button', { name: 'Reject' }).click();
    await receiver.check();
    await assert.doesNotReject(page.getByRole('heading', { name: new RegExp(filename) }).waitFor());
    await page.getByRole('button', { name: 'Reject file' }).click();
    await receiver.check();
    assert.match(
      await page.locator('.govuk-error-summary').innerText(),
      /Enter why you are rejecting the file/,
    );
    await page.getByLabel('Why are you rejecting this file?').fill(reason);
    await page.getByRole('button', { name: 'Reject file' }).click();
    await receiver.check();
    assert.match(
      await page.locator('.govuk-notification-banner').innerText(),
      new RegExp(`${filename} has been rejected`),
    );
    receiver.assertEveryPageChecked();
    await receiver.close();

    // demo-school-a's home page says a file came back, and leads to Rejected Files.
    const sent = sender.page;
    await menuLink(sent, 'Home').click();
    await sender.check();
    assert.match(
      await waitingForYou(sent),
      /1 file you sent has been rejected in the last 14 days: see why, and send it to the right place\./,
    );
    await sent.getByRole('link', { name: 'Go to Rejected Files' }).click();
    await sender.check();
    assert.equal(await sent.getByRole('heading', { level: 2, name: 'Rejected Files' }).count(), 1);
    const rejected = (await tableRows(sent)).find((cells) => cells.includes(filename));
    assert.ok(rejected, `${filename} is under Rejected Files`);
    assert.match(rejected.join(' '), /Rejected/);
    assert.equal(rejected.at(-1), reason);
    await sent.getByRole('link', { name: filename }).click();
    await sender.check();
    assert.match(
      await sent.locator('.govuk-summary-list').innerText(),
      new RegExp(`Reason given\\s+${reason.replace(/[.]/g, '\\.')}`),
    );
    sender.assertEveryPageChecked();
    await sender.close();

    const email = await running.db
      .selectFrom('notification_outbox')
      .select(['recipient', 'payload'])
      .where('template', '=', 'file-rejected')
      .execute();
    assert.ok(
      email.some((row) => row.recipient === SENDER && JSON.parse(row.payload).reason === reason),
      'the sender is emailed the reason',
    );
  });

  test('of several files uploaded at once, those s2s refuses (a closed school, a school that does not exist) say why and what to do', async () => {
    const toClosed = `${SENDER}_CTF_9162001_103.XML`;
    const toNowhere = `${SENDER}_CTF_8179999_104.XML`;
    const withWarning = `${SENDER}_CTF_${RECEIVER}_106.XML`;
    // A mistyped UPN (another check letter) does not stop a file: it is uploaded with a warning.
    const mistyped = { ...(PUPILS[0] as FixturePupil) };
    mistyped.upn = (mistyped.upn.startsWith('A') ? 'B' : 'A') + mistyped.upn.slice(1);
    const sender = await signedInAs(running.browser, running.service, 'demo-school-a');
    const { page } = sender;
    await page.goto('/upload/ctf');
    await sender.check();
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await sender.check();
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Select the files to upload/);

    // A file past the sender's limit is named before anything is sent: sent, s2s would stop reading at
    // 10 MB and close the connection, which a browser shows as "This site can't be reached" (and sends
    // again) rather than the page saying which file stopped the upload.
    const tooLarge = `${SENDER}_CTF_${RECEIVER}_107.XML`;
    const posts: string[] = [];
    const countPost = (request: { method(): string; url(): string }) => {
      if (request.method() === 'POST') posts.push(request.url());
    };
    page.on('request', countPost);
    await chooseAndUpload(sender, [
      { name: withWarning, buffer: ctf(SENDER, RECEIVER, [mistyped]) },
      { name: tooLarge, buffer: Buffer.alloc(4 * 1024 * 1024 + 1, 0x20) },
    ]);
    page.off('request', countPost);
    assert.deepEqual(posts, [], 'nothing was sent');
    const summary = await page.locator('.govuk-error-summary').innerText();
    assert.match(
      summary,
      new RegExp(
        `${tooLarge} is larger than 4 MB, the most you can send in one file\\. Choose the files again without it`,
      ),
    );
    assert.doesNotMatch(summary, new RegExp(withWarning));
    assert.match(await page.locator('.govuk-error-message').innerText(), new RegExp(tooLarge));
    assert.match(await page.title(), /^Error: /);
    // Its link moves to the control the user reaches, the enhanced upload's button (its input is hidden),
    // which reads the error out, as on a page the service drew.
    await page.locator('.govuk-error-summary a').first().click();
    const focused = await page.evaluate(() => {
      const active = document.activeElement;
      return { tag: active?.tagName, id: active?.id, describedBy: active?.getAttribute('aria-describedby') };
    });
    assert.deepEqual(
      { tag: focused.tag, id: focused.id },
      { tag: 'BUTTON', id: 'files' },
      'the summary link focuses the upload button',
    );
    assert.ok(focused.describedBy?.split(' ').includes('files-error'), `described by ${focused.describedBy}`);
    assert.equal(await page.locator('#files-error').count(), 1);
    // The Upload button ignores a second press within a second of the first (GOV.UK's preventDoubleClick).
    await page.waitForTimeout(1000);

    await chooseAndUpload(sender, [
      { name: toClosed, buffer: ctf(SENDER, '9162001', PUPILS.slice(0, 1)) },
      { name: toNowhere, buffer: ctf(SENDER, '8179999', PUPILS.slice(1)) },
      { name: withWarning, buffer: ctf(SENDER, RECEIVER, [mistyped]) },
    ]);
    assert.equal(await page.locator('#upload-summary').innerText(), '1 of 3 files was uploaded; 2 were not.');
    const warned = await resultCard(page, withWarning).innerText();
    assert.match(warned, /Uploaded/);
    assert.match(warned, /Warnings/);
    assert.match(
      warned,
      new RegExp(
        `Pupil 1: The check letter \\(character 1\\) should be ${PUPILS[0]?.upn[0]}, not ${mistyped.upn[0]}`,
      ),
    );
    const closed = await resultCard(page, toClosed).innerText();
    assert.match(closed, /Not uploaded/);
    assert.match(
      closed,
      /The destination school 9162001 is closed: send the CTF to the school the pupil has moved to/,
    );
    assert.match(closed, /What to do/);
    const nowhere = await resultCard(page, toNowhere).innerText();
    assert.match(nowhere, /Not uploaded/);
    assert.match(nowhere, /the destination school 8179999 does not exist/i);
    assert.match(await page.locator('main').innerText(), /We have also emailed you the reasons/);
    sender.assertEveryPageChecked();
    await sender.close();

    const recorded = await running.db
      .selectFrom('transfers')
      .select('filename')
      .where('filename', 'in', [toClosed, toNowhere, withWarning])
      .execute();
    assert.deepEqual(
      recorded.map((row) => row.filename),
      [withWarning],
      'nothing refused is kept',
    );
  });

  test('demo-school-a removes a file sent in error; demo-school-b no longer sees it', async () => {
    const filename = `${SENDER}_CTF_${RECEIVER}_105.XML`;
    const sender = await signedInAs(running.browser, running.service, 'demo-school-a');
    await uploadCtfs(sender, [{ name: filename, buffer: ctf(SENDER, RECEIVER, PUPILS) }]);
    const { page } = sender;
    await menuLink(page, 'View / Remove Files').click();
    await sender.check();
    await assert.doesNotReject(
      page.getByRole('heading', { name: 'Files for Collection', level: 2 }).waitFor(),
    );
    await page.getByRole('link', { name: filename }).click();
    await sender.check();
    assert.deepEqual(await tableRows(page, /Pupil details for selected file/i), [
      [PUPILS[0]?.upn, '2 March 2016', 'Ashworth, Imogen Clare'],
      [PUPILS[1]?.upn, '19 November 2015', 'Okafor, Daniel'],
    ]);
    await page.getByRole('button', { name: 'Remove file' }).click();
    await sender.check();
    await page.getByRole('button', { name: 'Yes, remove this file' }).click();
    await sender.check();
    assert.match(
      await page.locator('.govuk-notification-banner').innerText(),
      new RegExp(`${filename} has been removed`),
    );
    assert.ok(!(await tableRows(page)).some((cells) => cells.includes(filename)));
    sender.assertEveryPageChecked();
    await sender.close();

    const receiver = await signedInAs(running.browser, running.service, 'demo-school-b');
    await receiver.page.goto('/download/ctf');
    await receiver.check();
    assert.ok(!(await receiver.page.locator('main').innerText()).includes(filename));
    receiver.assertEveryPageChecked();
    await receiver.close();
  });

  test('the national administrator reads the emails of these transfers in the mail log and runs a job', async () => {
    const admin = await signedInAs(running.browser, running.service, 'demo-admin');
    const { page } = admin;
    await menuLink(page, 'Notifications and Jobs').click();
    await admin.check();
    assert.match(await page.locator('main').innerText(), /Emails go to the mail log/);
    await page
      .getByRole('link', { name: /^CTF ready to download/ })
      .first()
      .click();
    await admin.check();
    assert.match(await page.locator('#email-subject').innerText(), /ready to download/);
    // The HTML version is drawn, styled, in its sandboxed frame (its own CSP allows inline styles).
    const frame = page.frameLocator('iframe[title="The HTML version of the email"]');
    await assert.doesNotReject(frame.getByText('has sent you a common transfer file').waitFor());
    const colour = await frame
      .locator('body > table td')
      .first()
      .evaluate((td) => getComputedStyle(td).backgroundColor);
    assert.equal(colour, 'rgb(11, 12, 12)', 'the inline styles apply');

    await page
      .getByRole('navigation', { name: 'Notifications and Jobs' })
      .getByRole('link', { name: 'Scheduled jobs' })
      .click();
    await admin.check();
    await page.getByRole('button', { name: 'Run now purge-files' }).click();
    await admin.check();
    assert.match(
      await page.locator('.govuk-notification-banner').innerText(),
      /purge-files ran: Deleted the content of/,
    );
    admin.assertEveryPageChecked();
    await admin.close();
  });
  test('an LA forwards a CTF sent to it; confirming twice forwards once; the school rejects it, told the LA hears too; the LA forwards it on', async () => {
    const filename = `${SENDER}_CTF_916LLLL_107.XML`;
    const forwardedName = `${SENDER}_CTF_${RECEIVER}_107.XML`;
    const onwardName = `${SENDER}_CTF_9164001_107.XML`;
    const sender = await signedInAs(running.browser, running.service, 'demo-school-a');
    await uploadCtfs(sender, [{ name: filename, buffer: ctf(SENDER, '916LLLL', PUPILS.slice(1)) }]);
    assert.equal(await sender.page.locator('#upload-summary').innerText(), 'The file was uploaded.');
    await sender.close();

    const la = await signedInAs(running.browser, running.service, 'demo-la-user');
    const { page } = la;
    await page.goto('/download/ctf/uncollected');
    await la.check();
    await page.getByRole('link', { name: filename }).click();
    await la.check();
    await page.getByRole('button', { name: 'Forward' }).click();
    await la.check();
    await page.getByLabel('Which school should the file go to?').fill(RECEIVER);
    await page.getByRole('button', { name: 'Continue' }).click();
    await la.check();
    // The confirmation as it stands, to be sent again below.
    const confirmation = await page
      .locator('form', { has: page.getByRole('button', { name: 'Forward the file' }) })
      .evaluate((form) => form.outerHTML);
    await page.getByRole('button', { name: 'Forward the file' }).click();
    await la.check();
    assert.ok(
      await page.locator('.govuk-notification-banner', { hasText: `as ${forwardedName}` }).isVisible(),
    );
    // The same confirmation sent again (Back, then the browser's "send the form again": no page is kept,
    // decision 66): nothing is forwarded twice, and the page says where it went.
    await page.evaluate(
      (html) => document.querySelector('main')?.insertAdjacentHTML('beforeend', html),
      confirmation,
    );
    await page.getByRole('button', { name: 'Forward the file' }).click();
    await la.check();
    assert.match(await page.locator('h1').innerText(), new RegExp(`${filename} has already been forwarded`));
    assert.match(await page.locator('.govuk-summary-list').innerText(), new RegExp(forwardedName));

    const receiver = await signedInAs(running.browser, running.service, 'demo-school-b');
    await receiver.page.goto('/download/ctf');
    await receiver.check();
    await receiver.page.getByLabel(`Select ${forwardedName}`).check();
    await receiver.page.getByRole('button', { name: 'Reject' }).click();
    await receiver.check();
    assert.match(
      await receiver.page.locator('#forwarding-la').innerText(),
      /Gloucestershire LA \(916LLLL\) forwarded this file to you, so they are sent an email with your reason too/,
    );
    await receiver.page.getByLabel('Why are you rejecting this file?').fill('Daniel has not joined us.');
    await receiver.page.getByRole('button', { name: 'Reject file' }).click();
    await receiver.check();
    receiver.assertEveryPageChecked();
    await receiver.close();

    await page.goto('/download/ctf/monitor');
    await la.check();
    await page.getByRole('link', { name: forwardedName }).click();
    await la.check();
    assert.match(await page.locator('.govuk-summary-list').innerText(), /Daniel has not joined us\./);
    await page.getByRole('button', { name: 'Forward to another school' }).click();
    await la.check();
    await page.getByLabel('Which school should the file go to?').fill('9164001');
    await page.getByRole('button', { name: 'Continue' }).click();
    await la.check();
    await page.getByRole('button', { name: 'Forward the file' }).click();
    await la.check();
    assert.ok(await page.locator('.govuk-notification-banner', { hasText: `as ${onwardName}` }).isVisible());
    la.assertEveryPageChecked();
    await la.close();
  });
});
