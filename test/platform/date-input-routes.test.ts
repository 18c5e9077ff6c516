// Every date input's errors on real pages, as the GOV.UK date input pattern says: one message for the
// date, in order of priority (missing boxes and a year without 4 numbers, then boxes that cannot be right,
// then a day its month does not have); only the boxes with the problem marked, or all three when the
// problem is the whole date or more than one box; the error summary's link to the first box with it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa } from '../support/factories.ts';
import { type Agent, createTestApp, errorSummary, signedInUser, type TestApp } from '../support/web.ts';

const BOXES = ['day', 'month', 'year'] as const;

/** What a page shows of the date input `id`: its message, its boxes marked as in error, the summary's links. */
function dateErrors(html: string, id: string) {
  const marked = BOXES.filter((box) => {
    const input = new RegExp(`<input\\s+class="([^"]*)"\\s+id="${id}-${box}"`).exec(html);
    assert.ok(input, `the box ${id}-${box} is on the page`);
    return /\bgovuk-input--error\b/.test(input[1] ?? '');
  });
  const message = new RegExp(`<p id="${id}-error" class="govuk-error-message">([\\s\\S]*?)</p>`)
    .exec(html)?.[1]
    ?.replace(/<span[^>]*>[\s\S]*?<\/span>/, '')
    .trim();
  const links = [...html.matchAll(/<a href="(#[^"]+)">/g)].map((m) => m[1]);
  return {
    message,
    marked,
    links,
    summary: errorSummary(html).replace(/^There is a problem |^Mae yna broblem /, ''),
  };
}

describeEachEngine('Date inputs on the pages', (database) => {
  let t: TestApp;
  let db: Db;
  let la: LocalAuthorityRow;

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    la = await makeLa(db, { name: 'Dateshire' });
  });
  after(async () => {
    await t.app.close();
  });

  /** A report's page with its From date's boxes as given (the To date left for today). */
  async function report(agent: Agent, day: string, month: string, year: string) {
    const query = new URLSearchParams({ run: '1', 'from-day': day, 'from-month': month, 'from-year': year });
    return agent.get(`/reports/general-usage?${query}`);
  }

  test("a report's From date: each problem marks its boxes and links to the first", async () => {
    const { agent } = await signedInUser(t, 'la_user', { laNumber: la.number });
    const cases: [string, string, string, string, string[], string][] = [
      ['', '', '2026', 'The From date must include a day and month', ['day', 'month'], '#from-day'],
      ['1', '', '2026', 'The From date must include a month', ['month'], '#from-month'],
      ['1', '4', '', 'The From date must include a year', ['year'], '#from-year'],
      ['', '4', '', 'The From date must include a day and year', ['day', 'year'], '#from-day'],
      ['1', '', '', 'The From date must include a month and year', ['month', 'year'], '#from-month'],
      ['1', '4', '26', 'The year of the From date must include 4 numbers', ['year'], '#from-year'],
      // A missing box comes first, then the year's numbers: the same rank, the boxes in order.
      ['', 'xx', '26', 'The From date must include a day', ['day'], '#from-day'],
      [
        '1',
        'xx',
        '2026',
        'The month of the From date must be a number from 1 to 12, or its name',
        ['month'],
        '#from-month',
      ],
      ['32', '4', '2026', 'The day of the From date must be a number from 1 to 31', ['day'], '#from-day'],
      ['1', '4', '1999', 'The year of the From date must be from 2000 to 2100', ['year'], '#from-year'],
      // More than one box that cannot be right: the date as a whole, linked to the first of them.
      [
        '1',
        '13',
        '1999',
        'The From date must be a real date, like 1 9 2026',
        ['day', 'month', 'year'],
        '#from-month',
      ],
      // Which box is wrong is not clear: the date as a whole.
      [
        '31',
        '4',
        '2026',
        'The From date must be a real date: that month has no day 31',
        ['day', 'month', 'year'],
        '#from-day',
      ],
      [
        '29',
        '2',
        '2027',
        'The From date must be a real date: February has no day 29',
        ['day', 'month', 'year'],
        '#from-day',
      ],
    ];
    for (const [day, month, year, message, marked, link] of cases) {
      const page = await report(agent, day, month, year);
      const what = `${day}/${month}/${year}`;
      assert.equal(page.statusCode, 400, what);
      assert.deepEqual(
        dateErrors(page.body, 'from'),
        { message, marked, links: [link], summary: message },
        what,
      );
      assert.deepEqual(dateErrors(page.body, 'to').marked, [], `${what}: the To date is not marked`);
    }
    // A month's name is a month, in English or Welsh, in full or short.
    for (const month of ['September', 'sept', 'Sep', 'Medi']) {
      const page = await report(agent, '1', month, '2026');
      assert.equal(page.statusCode, 200, month);
      assert.match(page.body, /1 September 2026/, month);
    }
  });

  test('in Welsh, the same problems in Welsh', async () => {
    const { agent } = await signedInUser(t, 'la_user', { laNumber: la.number });
    await agent.get('/reports/general-usage?lang=cy');
    const cases: [string, string, string, string, string[]][] = [
      ['', '', '2026', 'Rhaid i’r dyddiad ‘O’ gynnwys diwrnod a mis', ['day', 'month']],
      ['1', '4', '26', 'Rhaid i flwyddyn y dyddiad ‘O’ gynnwys 4 rhif', ['year']],
      ['1', 'xx', '2026', 'Rhaid i fis y dyddiad ‘O’ fod yn rhif o 1 i 12, neu’n enw mis', ['month']],
      [
        '31',
        '4',
        '2026',
        'Rhaid i’r dyddiad ‘O’ fod yn ddyddiad go iawn: nid oes diwrnod 31 yn y mis hwnnw',
        ['day', 'month', 'year'],
      ],
    ];
    for (const [day, month, year, message, marked] of cases) {
      const page = await report(agent, day, month, year);
      assert.equal(page.statusCode, 400);
      const shown = dateErrors(page.body, 'from');
      assert.deepEqual([shown.message, shown.marked], [message, marked], `${day}/${month}/${year}`);
    }
  });

  test("a collection's dates: nothing entered marks the whole date; a missing box only that box", async () => {
    const { agent } = await signedInUser(t, 'dfe_collector', {});
    await agent.get('/collect/manage/new');
    const form = {
      name: 'A census with dates',
      term: 'AUT',
      year: '2026',
      'reference-day': '1',
      'reference-month': '10',
      'reference-year': '2026',
      'open-day': '1',
      'open-month': '9',
      'open-year': '',
      'due-day': '',
      'due-month': '',
      'due-year': '',
      scope: 'all',
    };
    const refused = await agent.post('/collect/manage/new', form);
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(dateErrors(refused.body, 'reference').marked, []);
    const open = dateErrors(refused.body, 'open');
    assert.deepEqual([open.message, open.marked], ['The open date must include a year', ['year']]);
    const due = dateErrors(refused.body, 'due');
    assert.deepEqual([due.message, due.marked], ['Enter the date returns are due', ['day', 'month', 'year']]);
    assert.deepEqual(open.links, ['#open-year', '#due-day']);
  });

  test('the Lost Pupil search: each box optional, a box with a problem marked alone, more than one the whole date', async () => {
    const { agent } = await signedInUser(t, 'la_lost_pupil', { laNumber: la.number });
    const search = (day: string, month: string, year: string) =>
      agent.post(
        '/lost-pupils/search',
        { surname: 'Smith', 'dob-day': day, 'dob-month': month, 'dob-year': year },
        { formPage: '/lost-pupils/search' },
      );
    const cases: [string, string, string, string, string[], string][] = [
      [
        '',
        'xx',
        '',
        'The month of the date of birth must be a number from 1 to 12, or its name',
        ['month'],
        '#dob-month',
      ],
      ['', '', '15', 'The year of the date of birth must include 4 numbers', ['year'], '#dob-year'],
      ['31', '13', '15', 'The year of the date of birth must include 4 numbers', ['year'], '#dob-year'],
      [
        '40',
        '13',
        '',
        'The date of birth must be a real date, like 1 9 2026',
        ['day', 'month', 'year'],
        '#dob-day',
      ],
      [
        '30',
        '2',
        '',
        'The date of birth must be a real date: February has no day 30',
        ['day', 'month', 'year'],
        '#dob-day',
      ],
    ];
    for (const [day, month, year, message, marked, link] of cases) {
      const page = await search(day, month, year);
      const what = `${day}/${month}/${year}`;
      assert.equal(page.statusCode, 400, what);
      assert.deepEqual(
        dateErrors(page.body, 'dob'),
        { message, marked, links: [link], summary: message },
        what,
      );
    }
    // Searched: sent to the results.
    assert.equal((await search('', 'March', '')).statusCode, 303, 'a month by its name');
    assert.equal((await search('', '', '2015')).statusCode, 303, 'a year alone');
  });
});
