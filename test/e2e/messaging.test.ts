// Secure messaging in a real browser (the acceptance journey): an LA user adds a template, sends a
// message from it to two schools (one picked from its LA's school list, one typed by its numbers); each
// school is told on its home page and in the header, reads the message and replies; the sender sees the
// number not yet read fall, and finds the two replies in its own inbox. Every page is checked with axe.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { forJourneys, type Journey, menuLink, signedInAs } from './browser.ts';

const SENDER = 'demo-la-user'; // LEA User of Gloucestershire (LA 916)
const SCHOOL_A = { username: 'demo-school-a', label: '916 5402 - Cotswold Edge Primary School' };
const SCHOOL_B = {
  username: 'demo-school-b',
  laNo: '817',
  schoolNo: '1234',
  label: '817 1234 - St Martha Church of England Primary School',
};

const TEMPLATE = {
  name: 'CTF request (e2e)',
  description: 'Please send the CTF for a pupil who has joined us',
  text: 'A pupil has joined one of our schools from yours.\nPlease send their common transfer file through s2s.',
};

/** The success banner's text (a flash). */
const flash = (page: Page) => page.locator('.govuk-notification-banner--success').innerText();

/** The "New Messages: n" link in the header, or null when there is none. */
async function headerCount(page: Page): Promise<string | null> {
  const link = page.getByRole('link', { name: /^New Messages: \d+$/ });
  return (await link.count()) === 0 ? null : (await link.innerText()).trim();
}

/** The home page's "New messages" banner, or null when there is none. */
async function newMessagesBanner(page: Page): Promise<string | null> {
  const banner = page
    .locator('.govuk-notification-banner')
    .filter({ has: page.getByRole('heading', { name: 'New messages' }) });
  return (await banner.count()) === 0 ? null : (await banner.innerText()).replace(/\s+/g, ' ').trim();
}

/** The cells of the table's rows, as their text. */
const rowsOf = (page: Page, caption: string): Promise<string[][]> =>
  page
    .getByRole('table', { name: caption })
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((row) =>
        [...row.querySelectorAll('td')].map((cell) => cell.innerText.replace(/\s+/g, ' ').trim()),
      ),
    );

/** View Sent Messages' "Not yet read" for the message described. */
async function notYetRead(journey: Journey, description: string): Promise<string> {
  const { page } = journey;
  await page.goto('/messages/sent');
  await journey.check();
  const row = (await rowsOf(page, 'Sent messages')).find((cells) => cells[1] === description);
  assert.ok(row, `"${description}" is under View Sent Messages`);
  assert.equal(row[2], 's2s message');
  assert.equal(row[3], '2', 'two recipients');
  return row[4] ?? '';
}

describe('messaging (browser)', () => {
  const running = forJourneys();

  /** A browser of the user's own, signed in, on the home page. */
  const as = (username: string): Promise<Journey> => signedInAs(running.browser, running.service, username);

  /** A school signs in, is told of the message, reads it and replies. */
  async function schoolReadsAndReplies(username: string, reply: string): Promise<void> {
    const school = await as(username);
    const { page } = school;
    assert.equal(await newMessagesBanner(page), 'New messages You have 1 new message. Read your messages');
    assert.equal(await headerCount(page), 'New Messages: 1');

    await menuLink(page, 'Messages').click();
    await school.check();
    await page.getByRole('link', { name: 'View/Delete Messages' }).click();
    await school.check();
    assert.equal(new URL(page.url()).pathname, '/messages/inbox');
    const rows = await rowsOf(page, 'Your received messages');
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.match(rows[0]?.[0] ?? '', /916/, 'from the LA');
    assert.equal(rows[0]?.[2], TEMPLATE.description);
    assert.equal(rows[0]?.[3], 'Unread');

    await page.getByRole('link', { name: TEMPLATE.description }).click();
    await school.check();
    await assert.doesNotReject(page.getByRole('heading', { level: 1, name: TEMPLATE.description }).waitFor());
    const text = await page.locator('.s2s-message-text').innerText();
    assert.ok(text.includes('A pupil has joined one of our schools from yours.'), text);
    assert.ok(text.includes('Please send their common transfer file through s2s.'), text);
    assert.ok(text.includes('The pupil is Jamie, born 2015.'), 'what the sender added to the template');
    await page.getByRole('link', { name: 'Reply' }).click();
    await school.check();
    // Opening it marked it read: the next page's header no longer counts it. (The message page's own
    // header was counted before the message was marked read, so it still said 1.)
    assert.equal(await headerCount(page), null);
    assert.equal(await page.getByLabel('Description').inputValue(), `Re: ${TEMPLATE.description}`);
    await page.getByLabel('Text').fill(reply);
    await page.getByRole('button', { name: 'Send reply' }).click();
    await school.check();
    assert.equal(new URL(page.url()).pathname, '/messages/inbox');
    assert.match(await flash(page), /Your reply was sent\./);
    assert.equal(await headerCount(page), null);
    const inbox = await rowsOf(page, 'Your received messages');
    assert.equal(inbox[0]?.[3], 'Read');
    school.assertEveryPageChecked();
    await school.close();
  }

  test('an LA user sends a templated message to two schools; each reads and replies; the unread count falls', async () => {
    const la = await as(SENDER);
    const { page } = la;

    // Message Templates > Add Template, shared with the LA.
    await menuLink(page, 'Message Templates').click();
    await la.check();
    await page.getByRole('link', { name: 'Add Template' }).click();
    await la.check();
    await page.getByLabel('Template Name').fill(TEMPLATE.name);
    await page.getByLabel('Description').fill(TEMPLATE.description);
    await page.getByLabel('Text', { exact: true }).fill(TEMPLATE.text);
    await page.getByRole('group', { name: 'Who can use this template?' }).getByLabel('My LA').check();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await la.check();
    assert.match(
      await flash(page),
      new RegExp(`The template "${TEMPLATE.name.replace(/[()]/g, '\\$&')}" has been added`),
    );

    // Messages > Send Message: preview the template, then use it.
    await menuLink(page, 'Messages').click();
    await la.check();
    await page.getByRole('link', { name: 'Send Message' }).click();
    await la.check();
    await page.getByLabel(TEMPLATE.name).check();
    await page.getByRole('button', { name: 'Preview selected template' }).click();
    await la.check();
    const preview = page.locator('#preview');
    await assert.doesNotReject(preview.getByRole('heading', { name: `Preview: ${TEMPLATE.name}` }).waitFor());
    assert.match(await preview.innerText(), new RegExp(`Description: ${TEMPLATE.description}`));
    assert.match(await preview.innerText(), /Please send their common transfer file through s2s\./);
    assert.ok(await page.getByLabel(TEMPLATE.name).isChecked(), 'the previewed template stays selected');
    await page.getByRole('button', { name: 'Use selected template' }).click();
    await la.check();
    assert.equal(new URL(page.url()).pathname, '/messages/send/recipients');

    // School A from its LA's list.
    await page.getByLabel("If you wish to message a school, select the school's LA").selectOption('916');
    await page.getByRole('button', { name: 'Populate School List' }).click();
    await la.check();
    await page.getByRole('group', { name: 'Select the schools you want' }).getByLabel(SCHOOL_A.label).check();
    await page.getByRole('button', { name: 'Add selected schools to recipient list' }).click();
    await la.check();
    // School B by its numbers.
    await page.getByLabel('LA No').fill(SCHOOL_B.laNo);
    await page.getByLabel('School No').fill(SCHOOL_B.schoolNo);
    await page.getByRole('button', { name: 'Add school details to recipient list' }).click();
    await la.check();
    const chosen = page.locator('.s2s-recipient-list li');
    assert.deepEqual(
      (await chosen.allInnerTexts()).map((item) => item.replace(/\s*Remove.*$/s, '').trim()),
      [SCHOOL_A.label, SCHOOL_B.label],
    );
    assert.match(await page.locator('main').innerText(), /2 of up to 10 chosen\./);
    await page.getByRole('button', { name: 'Next' }).click();
    await la.check();

    // The message, from the template; sent as an s2s message.
    assert.equal(new URL(page.url()).pathname, '/messages/send/recipients');
    await assert.doesNotReject(page.getByRole('heading', { level: 1, name: 'Send Message' }).waitFor());
    const to = await page
      .getByRole('heading', { name: 'To', exact: true })
      .locator('xpath=following-sibling::ul[1]/li')
      .allInnerTexts();
    assert.deepEqual(to, [SCHOOL_A.label, SCHOOL_B.label]);
    assert.equal(await page.getByLabel('Description').inputValue(), TEMPLATE.description);
    const text = page.getByLabel('Text', { exact: true });
    assert.equal(await text.inputValue(), TEMPLATE.text);
    const warning = page.locator('.govuk-warning-text');
    assert.ok(await warning.isVisible(), 'the warning about email is shown');
    assert.match(
      await warning.innerText(),
      /do not send it as an email\. An email leaves s2s and is not secure\./,
    );
    await text.fill(`${TEMPLATE.text}\nThe pupil is Jamie, born 2015.`);
    const delivery = page.getByRole('group', { name: 'Send it as' });
    assert.ok(await delivery.getByLabel('An s2s message (secure)').isChecked(), 'an s2s message by default');
    await delivery.getByLabel('An s2s message (secure)').check();
    await page.getByRole('button', { name: 'Send Message' }).click();
    await la.check();
    assert.equal(new URL(page.url()).pathname, '/messages/sent');
    assert.match(await flash(page), /Your message was sent as an s2s message to 2 recipients\./);
    assert.equal(await notYetRead(la, TEMPLATE.description), '2');

    // School A reads and replies; one fewer not yet read.
    await schoolReadsAndReplies(SCHOOL_A.username, 'We sent the CTF for Jamie this morning.');
    assert.equal(await notYetRead(la, TEMPLATE.description), '1');
    await page.getByRole('link', { name: TEMPLATE.description }).click();
    await la.check();
    const readBy = await rowsOf(page, 'Recipients');
    assert.match(readBy.find((cells) => cells[0] === SCHOOL_A.label)?.[1] ?? '', /^Read /);
    assert.equal(readBy.find((cells) => cells[0] === SCHOOL_B.label)?.[1], 'Not yet read');

    // School B too; none left unread.
    await schoolReadsAndReplies(SCHOOL_B.username, 'Jamie is not one of ours: try Riverside High School.');
    assert.equal(await notYetRead(la, TEMPLATE.description), '0');

    // The LA user is told of the two replies, and finds them in View/Delete Messages.
    await menuLink(page, 'Home').click();
    await la.check();
    assert.equal(await newMessagesBanner(page), 'New messages You have 2 new messages. Read your messages');
    assert.equal(await headerCount(page), 'New Messages: 2');
    await page.getByRole('link', { name: 'Read your messages' }).click();
    await la.check();
    const replies = await rowsOf(page, 'Your received messages');
    assert.deepEqual(
      replies.map((cells) => [cells[2], cells[3]]),
      [
        [`Re: ${TEMPLATE.description}`, 'Unread'],
        [`Re: ${TEMPLATE.description}`, 'Unread'],
      ],
    );
    const senders = replies.map((cells) => cells[0] ?? '').sort();
    assert.match(senders[0] ?? '', /8171234|817 1234|St Martha/);
    assert.match(senders[1] ?? '', /9165402|916 5402|Cotswold Edge/);

    // Reads the reply of school B, then deletes it: it is gone, school A's is left.
    const fromB = page
      .getByRole('row')
      .filter({ hasText: /St Martha/ })
      .getByRole('link', { name: `Re: ${TEMPLATE.description}` });
    await fromB.click();
    await la.check();
    assert.match(
      await page.locator('.s2s-message-text').innerText(),
      /Jamie is not one of ours: try Riverside High School\./,
    );
    await page.getByRole('button', { name: 'Delete' }).click();
    await la.check();
    assert.equal(new URL(page.url()).pathname, '/messages/inbox');
    assert.match(await flash(page), new RegExp(`The message “Re: ${TEMPLATE.description}” is deleted\\.`));
    const left = await rowsOf(page, 'Your received messages');
    assert.equal(left.length, 1, JSON.stringify(left));
    assert.match(left[0]?.[0] ?? '', /Cotswold Edge|916 5402|9165402/);
    assert.equal(left[0]?.[3], 'Unread');
    assert.equal(await headerCount(page), 'New Messages: 1');
    la.assertEveryPageChecked();
    await la.close();
  });
});
