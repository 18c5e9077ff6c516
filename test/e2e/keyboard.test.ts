// Keyboard-only journeys (issue 13, WCAG 2.1.1 and 2.4.7): upload, download and accept, lost pupil search,
// send a message and submit a census return, each done with the Tab, Enter, Space and letter keys alone
// (no mouse, no filling fields by script). Every control is reached by Tab from the top of the page, and
// each shows GOV.UK's yellow focus indicator when it has the focus; a form sent with a mistake puts the
// focus on the error summary, whose link takes it to the field. Every page is checked with axe.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { makeUpn } from '../../src/ctf/upn.ts';
import { DEMO_PASSWORD } from '../../src/demo/seed.ts';
import { CTF25, ctfXml, type FixturePupil } from '../fixtures/ctf/generate.ts';
import { censusFilename, censusReturnXml } from '../support/census.ts';
import { forJourneys, Journey, menuLink, type RunningService } from './browser.ts';

const SCHOOL_A = '9165402'; // demo-school-a, Cotswold Edge Primary School (LA 916)
const SCHOOL_B = '8171234'; // demo-school-b, St Martha Church of England Primary School (LA 817)
const TO_B = `${SCHOOL_A}_CTF_${SCHOOL_B}_201.XML`;
const TO_LOST = `${SCHOOL_A}_CTF_XXXXXXXX_202.XML`;

const SOURCE = { lea: '916', estab: '5402', name: 'Cotswold Edge Primary School', academicYear: '2026' };
const PUPIL: FixturePupil = {
  upn: makeUpn('916', '5402', '19', '201'),
  surname: 'Pritchard',
  forename: 'Elin',
  dob: '2015-04-21',
  sex: 'F',
  town: 'Tetbury',
};
const LOST_PUPIL: FixturePupil = {
  upn: makeUpn('916', '5402', '19', '202'),
  surname: 'Llewellyn',
  forename: 'Owain',
  dob: '2013-12-03',
  sex: 'M',
  town: 'Stroud',
};

const ctf = (destination: { lea: string; estab: string }, pupil: FixturePupil): Buffer =>
  Buffer.from(ctfXml({ ...CTF25, dateTime: '2026-11-20T10:30:00', source: SOURCE, destination }, [pupil]));

/** GOV.UK's focus colour, #ffdd00, as computed styles give it. */
const FOCUS_YELLOW = 'rgb(255, 221, 0)';

/** Whether the focused element shows GOV.UK's focus indicator (its own, or its label's for a radio or checkbox). */
function focusIsVisible(page: Page): Promise<boolean> {
  return page.evaluate((yellow) => {
    const element = document.activeElement;
    if (!element || element === document.body) return false;
    const own = getComputedStyle(element);
    const shows = (style: CSSStyleDeclaration) =>
      style.backgroundColor === yellow ||
      style.boxShadow.includes(yellow) ||
      (style.outlineStyle !== 'none' && style.outlineColor === yellow);
    if (shows(own)) return true;
    // A GOV.UK radio or checkbox input is transparent: its label's box (::before) shows the focus.
    const label = element.id ? document.querySelector(`label[for="${element.id}"]`) : null;
    return label !== null && shows(getComputedStyle(label, '::before'));
  }, FOCUS_YELLOW);
}

/** Whether `element` has the keyboard focus (run in the page). */
const isFocused = (element: Element): boolean => element === document.activeElement;

/** Whether `target` has the keyboard focus. */
const hasFocus = (target: Locator): Promise<boolean> => target.evaluate(isFocused);

/**
 * Presses Tab until `target` has the focus, as a keyboard user moves through the page, and checks that
 * the focus can be seen there. Fails if the control cannot be reached in `limit` presses.
 */
async function tabTo(page: Page, target: Locator, limit = 150): Promise<void> {
  // Found once, not at every press: a locator is looked for again each time it is used (one by role
  // walks the whole page), which was two thirds of the time these journeys spent pressing Tab.
  const element = await target.elementHandle();
  assert.ok(element, `${target} is on ${page.url()}`);
  for (let presses = 0; presses < limit; presses += 1) {
    await page.keyboard.press('Tab');
    if (await element.evaluate(isFocused)) {
      assert.ok(
        await focusIsVisible(page),
        `the focus can be seen on ${await element.evaluate((e) => e.outerHTML.slice(0, 120))}`,
      );
      return;
    }
  }
  assert.fail(`could not reach ${target} with the Tab key on ${page.url()}`);
}

/** Presses Enter to follow a link or send a form, and checks the page it leads to once loaded. */
async function enterAndLoad(journey: Journey): Promise<void> {
  const loaded = journey.page.waitForNavigation();
  await journey.page.keyboard.press('Enter');
  await loaded;
  await journey.check();
}

/** Tabs to a link or button and presses Enter, then checks the page it leads to. */
async function press(journey: Journey, target: Locator): Promise<void> {
  await tabTo(journey.page, target);
  await enterAndLoad(journey);
}

/** Tabs to a text field and types into it. */
async function typeInto(page: Page, field: Locator, text: string): Promise<void> {
  await tabTo(page, field);
  await page.keyboard.type(text);
}

/** Tabs to a radio or checkbox and presses Space. */
async function tick(page: Page, box: Locator): Promise<void> {
  await tabTo(page, box);
  await page.keyboard.press('Space');
  assert.ok(await box.isChecked(), `${box} is ticked`);
}

/** Tabs to a GOV.UK file upload's button and chooses the files in the dialog it opens. */
async function chooseFiles(
  page: Page,
  button: Locator,
  files: { name: string; buffer: Buffer }[],
): Promise<void> {
  // Listening before the Tab presses: Playwright turns on catching the dialog asynchronously, and an
  // Enter sent straight after would open the browser's own dialog instead.
  const choosing = page.waitForEvent('filechooser');
  await tabTo(page, button);
  await page.keyboard.press('Enter');
  await (await choosing).setFiles(files.map((file) => ({ ...file, mimeType: 'text/xml' })));
}

/**
 * A form sent with a mistake: the focus is on the error summary, which says `problem`; its link moves
 * the focus to `field`.
 */
async function followErrorSummary(page: Page, problem: RegExp, field: Locator): Promise<void> {
  const summary = page.locator('.govuk-error-summary');
  assert.ok(await hasFocus(summary), 'the focus moves to the error summary');
  assert.match(await summary.innerText(), problem);
  await tabTo(page, summary.getByRole('link').first(), 5);
  await page.keyboard.press('Enter');
  assert.ok(await hasFocus(field), 'the error summary link moves the focus to the field');
}

/** Signs in with the keyboard alone, on the home page afterwards. */
async function signInByKeyboard(
  browser: Browser,
  service: RunningService,
  username: string,
): Promise<Journey> {
  const journey = await Journey.open(browser, service.baseUrl);
  const { page } = journey;
  await page.goto('/sign-in');
  await journey.check();
  await typeInto(page, page.getByLabel('Username'), username);
  await typeInto(page, page.getByLabel('Password', { exact: true }), DEMO_PASSWORD);
  await enterAndLoad(journey);
  assert.equal(new URL(page.url()).pathname, '/', `${username} is signed in`);
  return journey;
}

describe('keyboard-only journeys (browser)', () => {
  const running = forJourneys();

  test('the focus check fails where the focus cannot be seen', async () => {
    const journey = await Journey.open(running.browser, running.service.baseUrl);
    const { page } = journey;
    await page.goto('/sign-in');
    await journey.check();
    const username = page.getByLabel('Username');
    await tabTo(page, username);
    // The same field with GOV.UK's focus styles overridden (through the CSSOM, which the page's CSP allows).
    await username.evaluate((element: HTMLElement) => {
      element.style.setProperty('outline', 'none', 'important');
      element.style.setProperty('box-shadow', 'none', 'important');
    });
    assert.ok(await hasFocus(username));
    assert.equal(await focusIsVisible(page), false);
    await journey.close();
  });

  // The tests run in order: the download and the search find what the upload sent.
  test('upload: demo-school-a sends a CTF to demo-school-b and one to the Lost Pupils Database', async () => {
    const school = await signInByKeyboard(running.browser, running.service, 'demo-school-a');
    const { page } = school;
    await press(school, menuLink(page, 'Upload'));
    await press(school, page.getByRole('link', { name: 'Upload CTF File' }));
    await chooseFiles(page, page.getByRole('button', { name: 'Choose the files to upload' }), [
      { name: TO_B, buffer: ctf({ lea: '817', estab: '1234' }, PUPIL) },
      { name: TO_LOST, buffer: ctf({ lea: 'XXX', estab: 'XXXX' }, LOST_PUPIL) },
    ]);
    await press(school, page.getByRole('button', { name: 'Upload', exact: true }));
    assert.equal(await page.locator('#upload-summary').innerText(), 'All 2 files were uploaded.');
    school.assertEveryPageChecked();
    await school.close();
  });

  test('download and accept: demo-school-b checks the pupil, accepts, downloads and confirms', async () => {
    const school = await signInByKeyboard(running.browser, running.service, 'demo-school-b');
    const { page } = school;
    await press(school, menuLink(page, 'Download'));
    await press(school, page.getByRole('link', { name: 'Download CTF Files' }));
    await press(school, page.getByRole('link', { name: TO_B }));
    assert.match(await page.locator('main').innerText(), /Pritchard, Elin/);
    await press(school, page.getByRole('button', { name: 'Accept' }));
    const downloading = page.waitForEvent('download');
    await press(school, page.getByRole('button', { name: 'Yes' }));
    const download = await downloading;
    assert.equal(download.suggestedFilename(), TO_B);
    assert.match(await readFile(await download.path(), 'utf8'), /Pritchard/);
    const question = page.getByRole('group', { name: 'Was the file downloaded correctly?' });
    await tick(page, question.getByLabel('Yes'));
    await press(school, page.getByRole('button', { name: 'Continue' }));
    assert.match(
      await page.locator('.govuk-notification-banner').innerText(),
      new RegExp(`${TO_B} has been collected`),
    );
    school.assertEveryPageChecked();
    await school.close();
  });

  test('lost pupil search: an empty search is refused with the focus on the error, then a soundalike finds the pupil', async () => {
    const lost = await signInByKeyboard(running.browser, running.service, 'demo-la-lost');
    const { page } = lost;
    await press(lost, menuLink(page, 'Search for Lost Pupil'));
    await press(lost, page.getByRole('button', { name: 'Search' }));
    const surname = page.getByLabel('Surname', { exact: true });
    await followErrorSummary(page, /Enter at least one of the UPN, surname/, page.getByLabel('UPN'));
    // "Lewelin" sounds like Llewellyn.
    await typeInto(page, surname, 'Lewelin');
    const dob = page.getByRole('group', { name: 'Date of Birth' });
    await typeInto(page, dob.getByLabel('Day'), '3');
    await typeInto(page, dob.getByLabel('Month'), '12');
    await typeInto(page, dob.getByLabel('Year'), '2013');
    await press(lost, page.getByRole('button', { name: 'Search' }));
    assert.match(await page.locator('#results').innerText(), /1 record matches/);
    await press(lost, page.getByRole('link', { name: /^Llewellyn ?, Owain, born 3 December 2013/ }));
    assert.match(await page.locator('main').innerText(), /Cotswold Edge Primary School/);
    lost.assertEveryPageChecked();
    await lost.close();
  });

  test('send message: demo-school-a writes to demo-school-b, chosen by its numbers, after a mistake', async () => {
    const school = await signInByKeyboard(running.browser, running.service, 'demo-school-a');
    const { page } = school;
    await press(school, menuLink(page, 'Messages'));
    await press(school, page.getByRole('link', { name: 'Send Message' }));
    await tick(page, page.getByLabel('Blank Message'));
    await press(school, page.getByRole('button', { name: 'Use selected template' }));
    await typeInto(page, page.getByLabel('LA No'), '817');
    await typeInto(page, page.getByLabel('School No'), '1234');
    await press(school, page.getByRole('button', { name: 'Add school details to recipient list' }));
    assert.match(
      await page.locator('.s2s-recipient-list').innerText(),
      /St Martha Church of England Primary School/,
    );
    await press(school, page.getByRole('button', { name: 'Next' }));
    await typeInto(page, page.getByLabel('Description'), 'Pupil record for Elin');
    // Sent without its text: the error summary takes the focus, and its link the focus to the field.
    await press(school, page.getByRole('button', { name: 'Send Message' }));
    const text = page.getByLabel('Text', { exact: true });
    await followErrorSummary(page, /Enter/, text);
    await page.keyboard.type('The file has been sent through s2s today.');
    await press(school, page.getByRole('button', { name: 'Send Message' }));
    assert.equal(new URL(page.url()).pathname, '/messages/sent');
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /Your message was sent/);
    school.assertEveryPageChecked();
    await school.close();
  });

  test('census submit: demo-school-a loads its return and submits it, confirming the headteacher approved it', async () => {
    const school = await signInByKeyboard(running.browser, running.service, 'demo-school-a');
    const { page } = school;
    await press(school, menuLink(page, 'Data Collections'));
    await press(school, page.getByRole('link', { name: 'My Data Collections' }));
    await press(school, page.getByRole('link', { name: 'School Census 2026 Autumn' }));
    await press(school, page.getByRole('button', { name: 'Upload Return from File' }));
    const input = page.getByLabel('Choose the census return');
    const choosing = page.waitForEvent('filechooser'); // before the Tab presses, as in chooseFiles
    await tabTo(page, input);
    await page.keyboard.press('Space');
    await (await choosing).setFiles({
      name: censusFilename(SCHOOL_A, 2026, 1),
      mimeType: 'text/xml',
      buffer: Buffer.from(censusReturnXml({ school: SCHOOL_A, year: 2026 })),
    });
    await press(school, page.getByRole('button', { name: 'Upload' }));
    assert.match(await page.locator('#outcome').innerText(), /version 1: 13 pupils, 0 errors and 0 queries/);
    await press(school, page.getByRole('button', { name: 'Open the return' }));
    await press(school, page.getByRole('button', { name: 'Submit Return' }));
    // Submitted without the headteacher's approval ticked: the error summary takes the focus.
    await press(school, page.getByRole('button', { name: 'Submit Return' }));
    const approved = page.getByLabel('The headteacher has approved this return');
    await followErrorSummary(page, /headteacher has approved/, approved);
    await page.keyboard.press('Space');
    assert.ok(await approved.isChecked());
    await press(school, page.getByRole('button', { name: 'Submit Return' }));
    assert.match(
      await page.locator('.govuk-notification-banner--success').innerText(),
      /submitted to your LA/,
    );
    school.assertEveryPageChecked();
    await school.close();
  });
});
