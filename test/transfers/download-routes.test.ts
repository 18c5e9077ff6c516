import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { get as httpGet } from 'node:http';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { Role } from '../../src/auth/permissions.ts';
import type { UserRow } from '../../src/platform/db/schema.ts';
import { contentDisposition } from '../../src/transfers/download-routes.ts';
import { getTransfer } from '../../src/transfers/repository.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import {
  la,
  makeTransfer,
  pupil,
  readAll,
  readZip,
  school,
  type TransferSpec,
} from '../support/transfers.ts';
import { Agent, createTestApp, errorSummary, hiddenFields, type TestApp, textOf } from '../support/web.ts';

/** The download link the question page starts the download with (its meta refresh). */
function refreshUrl(html: string): string {
  const match = /<meta http-equiv="refresh" content="0; url=([^"]+)">/.exec(html);
  assert.ok(match?.[1], 'the page starts the download');
  return match[1].replace(/&amp;/g, '&');
}

/** File names in the order the list shows them. */
function listedNames(html: string): string[] {
  return [...html.matchAll(/href="\/download\/ctf\/files\/[0-9a-f-]{36}">([^<]+)</g)].map(
    (m) => m[1] as string,
  );
}

describeEachEngine('download pages', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  async function world() {
    const db = database().db;
    const laA = await makeLa(db);
    const laB = await makeLa(db);
    const receiving = await makeSchool(db, laA.number, { name: 'Receiving Primary' });
    const sending = await makeSchool(db, laB.number, { name: 'Sending Primary' });
    const other = await makeSchool(db, laB.number, { name: 'Other Primary' });
    return { db, laA, laB, receiving, sending, other };
  }

  async function signedIn(role: Role, org: { laNumber?: string; establishmentNumber?: string }) {
    const user: UserRow = await makeUser(database().db, role, org);
    const agent = new Agent(t.app);
    const response = await agent.signIn(user.username);
    assert.equal(response.statusCode, 302, 'signed in');
    return { agent, user };
  }

  const transfer = (spec: TransferSpec) => makeTransfer(database().db, t.deps.files, spec);

  /** Accept -> Yes -> the question page; returns the page and the download link on it. */
  async function acceptAndConfirm(agent: Agent, ids: string[]) {
    const query = ids.map((id) => `file=${id}`).join('&');
    const confirm = await agent.get(`/download/ctf/confirm?action=accept&${query}`);
    assert.equal(confirm.statusCode, 200);
    const yes = await agent.post('/download/ctf/confirm', { file: ids });
    assert.equal(yes.statusCode, 303);
    const check = await agent.get(String(yes.headers.location));
    assert.equal(check.statusCode, 200);
    return { confirm, check, link: refreshUrl(check.body) };
  }

  test("the Download page lists the role's items, and the menu has the handbook's entries", async () => {
    const w = await world();
    const { agent } = await signedIn('school', { establishmentNumber: w.receiving.number });
    const page = await agent.get('/download');
    assert.equal(page.statusCode, 200);
    const text = textOf(page.body);
    for (const item of [
      'Download CTF Files',
      'Previously Downloaded CTF Files',
      'Download Generic Files',
      'Re-Download Generic Files',
      'Download Admissions Files',
    ]) {
      assert.ok(text.includes(item), item);
    }
    assert.ok(!text.includes('Download PLASC Files'), 'schools do not collect census returns');
    const nav = /<nav[\s\S]*?<\/nav>/.exec(page.body)?.[0] ?? '';
    const order = ['Download', 'Previously Downloaded Files', 'View / Remove Files'].map((label) =>
      textOf(nav).indexOf(` ${label} `),
    );
    assert.ok(
      order.every((i) => i > 0),
      'in the menu',
    );
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
      "in the handbook's order",
    );

    const collector = await signedIn('dfe_collector', {});
    assert.equal((await collector.agent.get('/download')).statusCode, 403);
  });

  test('accept, Yes, download, "Yes it was": headers, bytes, collected, and the sender told', async () => {
    const w = await world();
    const content = randomBytes(100 * 1024);
    const sent = await transfer({
      from: school(w.sending.number),
      to: school(w.receiving.number),
      content,
      pupils: [pupil('Harris', { forename: 'James', date_of_birth: '1995-08-22' })],
    });
    const { agent } = await signedIn('school', { establishmentNumber: w.receiving.number });

    const list = await agent.get('/download/ctf');
    assert.equal(list.statusCode, 200);
    assert.ok(list.body.includes(sent.row.filename));
    assert.match(textOf(list.body), /Sending Primary/);

    const file = await agent.get(`/download/ctf/files/${sent.row.id}`);
    assert.equal(file.statusCode, 200);
    assert.match(textOf(file.body), /Pupil details for selected file/);
    assert.match(textOf(file.body), /Harris, James/);
    assert.match(textOf(file.body), /22 August 1995/);

    const { check, link } = await acceptAndConfirm(agent, [sent.row.id]);
    assert.match(textOf(check.body), /Was the file downloaded correctly\?/);
    assert.equal(
      (await getTransfer(w.db, sent.row.id))?.last_downloaded_at,
      null,
      'not downloaded until fetched',
    );

    const download = await agent.get(link);
    assert.equal(download.statusCode, 200);
    assert.equal(download.headers['content-type'], 'application/octet-stream');
    assert.equal(
      download.headers['content-disposition'],
      `attachment; filename="${sent.row.filename}"; filename*=UTF-8''${sent.row.filename}`,
    );
    assert.equal(download.headers['cache-control'], 'no-store');
    assert.equal(download.headers['content-length'], String(content.length));
    assert.equal(download.headers['x-content-type-options'], 'nosniff');
    assert.ok(download.rawPayload.equals(content), 'byte-identical');
    assert.equal((await getTransfer(w.db, sent.row.id))?.status, 'available');

    const yes = await agent.post(
      '/download/ctf/check',
      { file: sent.row.id, answer: 'yes' },
      { formPage: link.replace('/file?', '/check?') },
    );
    assert.equal(yes.statusCode, 302);
    assert.equal(yes.headers.location, '/download/ctf');
    const after = await agent.get('/download/ctf');
    assert.match(textOf(after.body), new RegExp(`${sent.row.filename} has been collected`));
    assert.ok(!listedNames(after.body).includes(sent.row.filename));
    assert.equal((await getTransfer(w.db, sent.row.id))?.status, 'collected');
    const emails = await w.db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('template', '=', 'file-downloaded')
      .where('recipient', '=', w.sending.number)
      .execute();
    assert.equal(emails.length, 1);

    // Now under Previously Downloaded CTF Files, and downloadable again there.
    const previous = await agent.get('/download/ctf/previous');
    assert.ok(previous.body.includes(sent.row.filename));
    const again = await agent.post('/download/ctf/previous', { file: sent.row.id });
    assert.equal(again.statusCode, 200);
    assert.equal(again.headers['content-type'], 'application/octet-stream');
    assert.ok(again.rawPayload.equals(content));
    const all = await agent.get('/previously-downloaded');
    assert.ok(all.body.includes(sent.row.filename));
  });

  test('"No, it was not" keeps the file in the list; no answer asks again', async () => {
    const w = await world();
    const sent = await transfer({ from: school(w.sending.number), to: school(w.receiving.number) });
    const { agent } = await signedIn('school', { establishmentNumber: w.receiving.number });
    const { link } = await acceptAndConfirm(agent, [sent.row.id]);
    await agent.get(link);
    const checkPage = link.replace('/file?', '/check?');
    const none = await agent.post('/download/ctf/check', { file: sent.row.id }, { formPage: checkPage });
    assert.equal(none.statusCode, 400);
    assert.match(errorSummary(none.body), /Select yes if the file was downloaded correctly/);
    const no = await agent.post(
      '/download/ctf/check',
      { file: sent.row.id, answer: 'no' },
      { formPage: checkPage },
    );
    assert.equal(no.statusCode, 302);
    const list = await agent.get('/download/ctf');
    assert.match(textOf(list.body), /still waiting for you/);
    // A notice, not a green "Success" banner: nothing was done.
    assert.doesNotMatch(list.body, /govuk-notification-banner--success/);
    assert.match(list.body, /class="govuk-notification-banner"[^>]*>[\s\S]*still waiting for you/);
    assert.ok(listedNames(list.body).includes(sent.row.filename));
    assert.equal((await getTransfer(w.db, sent.row.id))?.status, 'available');
  });

  test("no answer, posted as the page's form posts it: the link still works, and the download does not start again", async () => {
    const w = await world();
    const sent = await transfer({ from: school(w.sending.number), to: school(w.receiving.number) });
    const { agent } = await signedIn('school', { establishmentNumber: w.receiving.number });
    const { check: question, link } = await acceptAndConfirm(agent, [sent.row.id]);
    assert.match(question.body, /http-equiv="refresh"/, 'the first time, the download starts');
    const none = await agent.post('/download/ctf/check', hiddenFields(question.body, '/download/ctf/check'));
    assert.equal(none.statusCode, 400);
    assert.match(errorSummary(none.body), /Select yes if the file was downloaded correctly/);
    assert.doesNotMatch(textOf(none.body), /expired/);
    assert.doesNotMatch(none.body, /http-equiv="refresh"/, 'asked again, the download does not start again');
    const again = /id="download-link" href="([^"]+)"/.exec(none.body)?.[1]?.replaceAll('&amp;', '&');
    assert.equal(again, link, 'the same download link is offered');
    const download = await agent.get(again);
    assert.equal(download.statusCode, 200);
    // The link and the question keep working: the answer is taken from the page asked again.
    const yes = await agent.post('/download/ctf/check', {
      ...hiddenFields(none.body, '/download/ctf/check'),
      answer: 'yes',
    });
    assert.equal(yes.statusCode, 302);
    assert.equal((await getTransfer(w.db, sent.row.id))?.status, 'collected');
  });

  test('"Yes" after a download, when one of the files was removed meanwhile: the rest are collected, the page says which was not', async () => {
    const w = await world();
    const a = await transfer({ from: school(w.sending.number), to: school(w.receiving.number) });
    const b = await transfer({ from: school(w.sending.number), to: school(w.receiving.number) });
    const { agent } = await signedIn('school', { establishmentNumber: w.receiving.number });
    const { link } = await acceptAndConfirm(agent, [a.row.id, b.row.id]);
    assert.equal((await agent.get(link)).statusCode, 200);
    // The sender removes B before the school answers.
    await w.db.updateTable('transfers').set({ status: 'removed' }).where('id', '=', b.row.id).execute();
    const checkPage = link.replace('/file?', '/check?');
    assert.equal((await agent.get(checkPage)).statusCode, 200, 'the question page still opens');
    const yes = await agent.post(
      '/download/ctf/check',
      { file: [a.row.id, b.row.id], answer: 'yes' },
      { formPage: checkPage },
    );
    assert.notEqual(yes.statusCode, 404);
    assert.equal((await getTransfer(w.db, a.row.id))?.status, 'collected');
    assert.equal((await getTransfer(w.db, b.row.id))?.status, 'removed');
    const page = yes.statusCode === 302 ? await agent.get(String(yes.headers.location)) : yes;
    assert.match(textOf(page.body), new RegExp(`${b.row.filename}[^.]*removed`));
  });

  test('Accept with nothing ticked shows the list again in the order the user sorted it', async () => {
    const w = await world();
    const names = ['101', '102'].map((n) => `${w.sending.number}_CTF_${w.receiving.number}_${n}.XML`);
    for (const filename of names) {
      await transfer({ from: school(w.sending.number), to: school(w.receiving.number), filename });
    }
    const { agent } = await signedIn('school', { establishmentNumber: w.receiving.number });
    const list = await agent.get('/download/ctf?sort=file&order=descending');
    assert.deepEqual(listedNames(list.body), [...names].reverse());
    const form =
      /<form method="get" action="\/download\/ctf\/confirm"[\s\S]*?<\/form>/.exec(list.body)?.[0] ?? '';
    assert.match(form, /name="sort" value="file"/);
    assert.match(form, /name="order" value="descending"/);
    const refused = await agent.get('/download/ctf/confirm?sort=file&order=descending&action=accept');
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(listedNames(refused.body), [...names].reverse(), 'in the order the user chose');
  });

  test('Yes on the confirm page refused (a colleague rejected the file meanwhile) shows the list again in the order the user sorted it', async () => {
    const w = await world();
    const names = ['101', '102', '103'].map((n) => `${w.sending.number}_CTF_${w.receiving.number}_${n}.XML`);
    const made = [];
    for (const [i, filename] of names.entries()) {
      const uploadedAt = `2026-11-2${i}T10:00:00.000Z`;
      made.push(
        await transfer({
          from: school(w.sending.number),
          to: school(w.receiving.number),
          filename,
          uploadedAt,
        }),
      );
    }
    const chosen = made[0]?.row;
    assert.ok(chosen);
    const { agent } = await signedIn('school', { establishmentNumber: w.receiving.number });
    const confirm = await agent.get(
      `/download/ctf/confirm?sort=file&order=descending&action=accept&file=${chosen.id}`,
    );
    assert.equal(confirm.statusCode, 200);
    const form =
      /<form method="post" action="\/download\/ctf\/confirm"[\s\S]*?<\/form>/.exec(confirm.body)?.[0] ?? '';
    assert.match(form, /name="sort" value="file"/);
    assert.match(form, /name="order" value="descending"/);
    // A colleague rejects the file before the user answers Yes.
    await w.db.updateTable('transfers').set({ status: 'rejected' }).where('id', '=', chosen.id).execute();
    const refused = await agent.post('/download/ctf/confirm', {
      file: chosen.id,
      sort: 'file',
      order: 'descending',
    });
    assert.equal(refused.statusCode, 400);
    assert.match(errorSummary(refused.body), new RegExp(`${chosen.filename} has been rejected`));
    assert.deepEqual(listedNames(refused.body), [names[2], names[1]], 'in the order the user chose');
    assert.match(
      refused.body,
      /aria-sort="descending"><a class="govuk-link s2s-sort-link" href="\/download\/ctf\?sort=file&amp;order=ascending"/,
    );
  });

  test('Download again refused (nothing ticked) shows Previously Downloaded CTF Files again in the order the user sorted it', async () => {
    const w = await world();
    const names = ['101', '102'].map((n) => `${w.sending.number}_CTF_${w.receiving.number}_${n}.XML`);
    const ids = [];
    for (const [i, filename] of names.entries()) {
      const uploadedAt = `2026-11-2${i}T10:00:00.000Z`;
      const sent = await transfer({
        from: school(w.sending.number),
        to: school(w.receiving.number),
        filename,
        uploadedAt,
      });
      ids.push(sent.row.id);
    }
    const { agent } = await signedIn('school', { establishmentNumber: w.receiving.number });
    const { link } = await acceptAndConfirm(agent, ids);
    assert.equal((await agent.get(link)).statusCode, 200);
    const yes = await agent.post(
      '/download/ctf/check',
      { file: ids, answer: 'yes' },
      { formPage: link.replace('/file?', '/check?') },
    );
    assert.equal(yes.statusCode, 302, 'both collected');

    const newestFirst = await agent.get('/download/ctf/previous');
    assert.deepEqual(
      listedNames(newestFirst.body),
      [...names].reverse(),
      'newest upload first unless sorted',
    );
    const byFile = await agent.get('/download/ctf/previous?sort=file&order=ascending');
    assert.deepEqual(listedNames(byFile.body), names);
    const form =
      /<form method="post" action="\/download\/ctf\/previous"[\s\S]*?<\/form>/.exec(byFile.body)?.[0] ?? '';
    assert.match(form, /name="sort" value="file"/);
    assert.match(form, /name="order" value="ascending"/);
    const refused = await agent.post('/download/ctf/previous', { sort: 'file', order: 'ascending' });
    assert.equal(refused.statusCode, 400);
    assert.match(errorSummary(refused.body), /Select the files to download again/);
    assert.deepEqual(listedNames(refused.body), names, 'in the order the user chose');
    assert.match(
      refused.body,
      /aria-sort="ascending"><a class="govuk-link s2s-sort-link" href="\/download\/ctf\/previous\?sort=file&amp;order=descending"/,
    );
  });

  test('Previously Downloaded Files: each list sorts on its own, its headings with aria-sort and an anchor to the list, and Download again carries its order', async () => {
    const w = await world();
    const now = t.clock.now().toISOString();
    const collected = {
      status: 'collected',
      collected_at: now,
      first_downloaded_at: now,
      last_downloaded_at: now,
    } as const;
    // File order 201, 202, 203; upload order 202, 203, 201.
    const ctfs = ['201', '202', '203'].map((n) => `${w.sending.number}_CTF_${w.receiving.number}_${n}.XML`);
    const generics = ['A', 'B'].map(
      (letter) => `${w.sending.number}_${w.receiving.number}_FILE${letter}.ZIP`,
    );
    const uploaded = ['2026-11-22', '2026-11-20', '2026-11-21'];
    for (const [i, filename] of ctfs.entries()) {
      await transfer({
        from: school(w.sending.number),
        to: school(w.receiving.number),
        filename,
        uploadedAt: `${uploaded[i]}T10:00:00.000Z`,
        overrides: collected,
      });
    }
    for (const [i, filename] of generics.entries()) {
      await transfer({
        from: school(w.sending.number),
        to: school(w.receiving.number),
        category: 'generic',
        filename,
        uploadedAt: `2026-11-2${i}T10:00:00.000Z`,
        overrides: collected,
      });
    }
    const listed = (html: string, category: string) =>
      [...html.matchAll(new RegExp(`href="/download/${category}/files/[0-9a-f-]{36}">([^<]+)<`, 'g'))].map(
        (m) => m[1] as string,
      );
    const { agent } = await signedIn('school', { establishmentNumber: w.receiving.number });
    const formOf = (html: string, category: string) =>
      new RegExp(`<form method="post" action="/download/${category}/previous"[\\s\\S]*?</form>`).exec(
        html,
      )?.[0] ?? '';
    /** The link of a list's column heading that says it is sorted `ariaSort`. */
    const heading = (html: string, category: string, ariaSort: string, column: string) =>
      new RegExp(
        `aria-sort="${ariaSort}"><a class="govuk-link s2s-sort-link" href="([^"]*)"[^>]*>${column}</a>`,
      ).exec(formOf(html, category))?.[1];

    const newestFirst = await agent.get('/previously-downloaded');
    assert.deepEqual(listed(newestFirst.body, 'ctf'), [ctfs[0], ctfs[2], ctfs[1]], 'newest upload first');
    assert.deepEqual(listed(newestFirst.body, 'generic'), [generics[1], generics[0]]);
    // Each list's headings name its own parameters and return to its heading (an id on the page).
    assert.match(newestFirst.body, /<h2 class="govuk-heading-m" id="previously-ctf">/);
    assert.match(newestFirst.body, /<h2 class="govuk-heading-m" id="previously-generic">/);
    assert.equal(
      heading(newestFirst.body, 'ctf', 'descending', 'Date Uploaded'),
      '/previously-downloaded?ctf-sort=uploaded&amp;ctf-order=ascending#previously-ctf',
    );
    assert.equal(
      heading(newestFirst.body, 'generic', 'none', 'File'),
      '/previously-downloaded?generic-sort=file&amp;generic-order=ascending#previously-generic',
    );

    // Sorting the CTFs leaves the generic files newest first; their headings keep the CTFs' order.
    const byFileDown = await agent.get('/previously-downloaded?ctf-sort=file&ctf-order=descending');
    assert.deepEqual(listed(byFileDown.body, 'ctf'), [...ctfs].reverse());
    assert.deepEqual(
      listed(byFileDown.body, 'generic'),
      [generics[1], generics[0]],
      'not sorted with the CTFs',
    );
    assert.equal(
      heading(byFileDown.body, 'ctf', 'descending', 'File'),
      '/previously-downloaded?ctf-sort=file&amp;ctf-order=ascending#previously-ctf',
    );
    assert.ok(heading(byFileDown.body, 'ctf', 'none', 'Date Uploaded'));
    assert.ok(heading(byFileDown.body, 'generic', 'descending', 'Date Uploaded'));
    const genericByFile = heading(byFileDown.body, 'generic', 'none', 'File');
    assert.equal(
      genericByFile,
      '/previously-downloaded?ctf-sort=file&amp;ctf-order=descending&amp;generic-sort=file&amp;generic-order=ascending#previously-generic',
    );
    // Following it sorts the generic files and keeps the CTFs as they were.
    const both = await agent.get(String(genericByFile).replaceAll('&amp;', '&').replace(/#.*/, ''));
    assert.deepEqual(listed(both.body, 'ctf'), [...ctfs].reverse());
    assert.deepEqual(listed(both.body, 'generic'), generics);

    // Download again with nothing ticked shows the category's own list, sorted as the user sorted this one.
    const form = formOf(byFileDown.body, 'ctf');
    assert.match(form, /name="sort" value="file"/);
    assert.match(form, /name="order" value="descending"/);
    assert.match(formOf(byFileDown.body, 'generic'), /name="sort" value="uploaded"/);
    const refused = await agent.post('/download/ctf/previous', { sort: 'file', order: 'descending' });
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(listed(refused.body, 'ctf'), [...ctfs].reverse());

    // Nonsense falls back to the newest upload first.
    const odd = await agent.get('/previously-downloaded?ctf-sort=password&ctf-order=sideways&sort=file');
    assert.equal(odd.statusCode, 200);
    assert.deepEqual(listed(odd.body, 'ctf'), [ctfs[0], ctfs[2], ctfs[1]]);
  });

  test('two CTFs selected come as one zip holding both files byte for byte', async () => {
    const w = await world();
    const a = await transfer({ from: school(w.sending.number), to: school(w.receiving.number) });
    const b = await transfer({
      from: la(w.laB.number),
      to: school(w.receiving.number),
      content: randomBytes(70 * 1024),
    });
    const { agent } = await signedIn('school', { establishmentNumber: w.receiving.number });
    const { confirm, link } = await acceptAndConfirm(agent, [a.row.id, b.row.id]);
    assert.match(textOf(confirm.body), /Do you want to download these 2 files\?/);
    assert.match(textOf(confirm.body), /one zip file/);
    const download = await agent.get(link);
    assert.equal(download.statusCode, 200);
    assert.equal(download.headers['content-type'], 'application/zip');
    assert.match(
      String(download.headers['content-disposition']),
      /^attachment; filename="s2s-ctf-files-\d{8}-\d{4}\.zip"/,
    );
    assert.equal(download.headers['cache-control'], 'no-store');
    const entries = readZip(download.rawPayload);
    assert.equal(entries.size, 2);
    assert.ok(entries.get(a.row.filename)?.equals(a.content));
    assert.ok(entries.get(b.row.filename)?.equals(b.content));
    for (const id of [a.row.id, b.row.id]) {
      assert.ok((await getTransfer(w.db, id))?.last_downloaded_at);
    }
  });

  test('column headings sort the list on the server, with aria-sort', async () => {
    const w = await world();
    const names = ['B', 'C', 'A'].map((letter, i) => ({
      letter,
      uploadedAt: `2026-11-2${i}T10:00:00.000Z`,
    }));
    const made = [];
    for (const { letter, uploadedAt } of names) {
      made.push(
        await transfer({
          from: school(w.sending.number),
          to: school(w.receiving.number),
          filename: `${w.sending.number}_CTF_${w.receiving.number}_00${letter === 'A' ? 1 : letter === 'B' ? 2 : 3}.XML`,
          uploadedAt,
        }),
      );
    }
    const { agent } = await signedIn('school', { establishmentNumber: w.receiving.number });
    const byDate = await agent.get('/download/ctf');
    assert.deepEqual(
      listedNames(byDate.body),
      made.map((m) => m.row.filename),
      'oldest upload first',
    );
    // The heading says how the list is sorted (aria-sort); its link, named by the column alone, where a
    // click takes the list.
    assert.match(
      byDate.body,
      /<th scope="col" class="govuk-table__header" aria-sort="ascending"><a class="govuk-link s2s-sort-link" href="\/download\/ctf\?sort=uploaded&amp;order=descending">Date Uploaded<\/a><\/th>/,
    );
    assert.match(
      byDate.body,
      /<th scope="col" class="govuk-table__header" aria-sort="none"><a class="govuk-link s2s-sort-link" href="\/download\/ctf\?sort=file&amp;order=ascending">File<\/a><\/th>/,
    );

    const byFileDown = await agent.get('/download/ctf?sort=file&order=descending');
    assert.deepEqual(
      listedNames(byFileDown.body),
      made
        .map((m) => m.row.filename)
        .sort()
        .reverse(),
    );
    assert.match(
      byFileDown.body,
      /aria-sort="descending"><a class="govuk-link s2s-sort-link" href="\/download\/ctf\?sort=file&amp;order=ascending">File/,
    );
    assert.match(
      byFileDown.body,
      /aria-sort="none"><a [^>]*href="\/download\/ctf\?sort=source&amp;order=ascending"[^>]*>Source School/,
    );
    // Nonsense falls back to the default order rather than failing.
    const odd = await agent.get('/download/ctf?sort=password&order=sideways');
    assert.equal(odd.statusCode, 200);
    assert.deepEqual(
      listedNames(odd.body),
      made.map((m) => m.row.filename),
    );
  });

  test('another organisation\'s file is "not found" on every page and action', async () => {
    const w = await world();
    const elsewhere = await transfer({ from: school(w.sending.number), to: school(w.other.number) });
    const id = elsewhere.row.id;
    for (const [role, org] of [
      ['school', { establishmentNumber: w.receiving.number }],
      ['school', { establishmentNumber: w.sending.number }],
      ['la_user', { laNumber: w.laB.number }],
    ] as const) {
      const { agent } = await signedIn(role, org);
      const gets = [
        `/download/ctf/files/${id}`,
        `/download/ctf/files/${id}/reject`,
        `/download/ctf/confirm?action=accept&file=${id}`,
        `/download/ctf/confirm?action=reject&file=${id}`,
        `/download/ctf/check?file=${id}&ticket=1.x`,
        `/download/generic/files/${id}`,
      ];
      for (const url of gets) {
        assert.equal((await agent.get(url)).statusCode, 404, `${role} GET ${url}`);
      }
      // An invented ticket sends the user to confirm, which finds nothing.
      const forged = await agent.get(`/download/ctf/file?file=${id}&ticket=9999999999999.${'A'.repeat(43)}`);
      assert.equal(forged.statusCode, 302);
      assert.equal((await agent.get(String(forged.headers.location))).statusCode, 404);
      const posts: [string, Record<string, string>][] = [
        ['/download/ctf/confirm', { file: id }],
        ['/download/ctf/check', { file: id, answer: 'yes' }],
        [`/download/ctf/files/${id}/reject`, { reason: 'Not ours' }],
        ['/download/ctf/previous', { file: id }],
      ];
      // Removing is the sender's to do (tested below); for anyone else the file is not found.
      const isSender = 'establishmentNumber' in org && org.establishmentNumber === w.sending.number;
      if (!isSender) posts.push([`/sent/files/${id}/remove`, {}]);
      else assert.equal((await agent.get(`/sent/files/${id}`)).statusCode, 200);
      for (const [url, form] of posts) {
        await agent.get('/download');
        const response = await agent.post(url, form);
        assert.equal(response.statusCode, 404, `${role} POST ${url}`);
      }
    }
    const row = await getTransfer(w.db, id);
    assert.equal(row?.status, 'available');
    assert.equal(row?.last_downloaded_at, null);
  });

  test('a download link only works for the user who confirmed it', async () => {
    const w = await world();
    const sent = await transfer({ from: school(w.sending.number), to: school(w.receiving.number) });
    const first = await signedIn('school', { establishmentNumber: w.receiving.number });
    const colleague = await signedIn('school', { establishmentNumber: w.receiving.number });
    const { link } = await acceptAndConfirm(first.agent, [sent.row.id]);
    // A HEAD (a link checker, say) is not a download.
    const head = await t.app.inject({
      method: 'HEAD',
      url: link,
      headers: { cookie: `s2s_session=${first.agent.cookie('s2s_session')}` },
    });
    assert.equal(head.statusCode, 200);
    assert.equal((await getTransfer(w.db, sent.row.id))?.last_downloaded_at, null);
    const borrowed = await colleague.agent.get(link);
    assert.equal(borrowed.statusCode, 302, 'asked to confirm instead');
    assert.match(String(borrowed.headers.location), /^\/download\/ctf\/confirm\?/);
    assert.equal((await getTransfer(w.db, sent.row.id))?.last_downloaded_at, null);
    // An expired link also asks again.
    t.clock.advanceMinutes(16);
    const late = await first.agent.get(link);
    assert.equal(late.statusCode, 302);
  });

  test('a tampered stored file: the response is cut off, never delivered whole', async () => {
    const w = await world();
    const content = randomBytes(3 * 64 * 1024);
    const sent = await transfer({ from: school(w.sending.number), to: school(w.receiving.number), content });
    const key = sent.row.storage_key as string;
    const stored = await readAll(await t.deps.fileStore.get(key));
    const at = stored.length - 100; // in the last segment: earlier segments have been sent by then
    stored[at] = (stored[at] ?? 0) ^ 0x01;
    await t.deps.fileStore.put(key, Readable.from([stored]));
    const { agent } = await signedIn('school', { establishmentNumber: w.receiving.number });
    const { link } = await acceptAndConfirm(agent, [sent.row.id]);
    // Through fastify.inject, the cut-off response is an error...
    await assert.rejects(agent.get(link), /integrity check/);
    // ...and over a real connection, as a browser sees it: the headers promised every byte, then the
    // connection ends short of them.
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { link: second } = await acceptAndConfirm(agent, [sent.row.id]);
    const outcome = await new Promise<{
      status?: number;
      length?: string;
      received: number;
      failed: boolean;
    }>((resolve) => {
      const request = httpGet(
        `${address}${second}`,
        { headers: { cookie: `s2s_session=${agent.cookie('s2s_session')}` } },
        (response) => {
          let received = 0;
          response.on('data', (chunk: Buffer) => {
            received += chunk.length;
          });
          const done = (failed: boolean) =>
            resolve({
              status: response.statusCode,
              length: response.headers['content-length'],
              received,
              failed,
            });
          response.on('aborted', () => done(true));
          response.on('error', () => done(true));
          response.on('end', () => done(!response.complete));
        },
      );
      request.on('error', () => resolve({ received: 0, failed: true }));
    });
    assert.equal(outcome.failed, true, 'the download fails');
    assert.ok(outcome.received < content.length, 'and never ends as a complete file');
    if (outcome.length !== undefined) assert.equal(outcome.length, String(content.length));
  });

  test('reject: one file, a reason required; the sender sees it under Rejected Files', async () => {
    const w = await world();
    const sent = await transfer({ from: school(w.sending.number), to: school(w.receiving.number) });
    const second = await transfer({ from: school(w.sending.number), to: school(w.receiving.number) });
    const { agent } = await signedIn('school', { establishmentNumber: w.receiving.number });

    const two = await agent.get(
      `/download/ctf/confirm?action=reject&file=${sent.row.id}&file=${second.row.id}`,
    );
    assert.equal(two.statusCode, 400);
    assert.match(errorSummary(two.body), /Select one file to reject/);
    const none = await agent.get('/download/ctf/confirm?action=accept');
    assert.equal(none.statusCode, 400);
    assert.match(errorSummary(none.body), /Select the files to download/);

    const one = await agent.get(`/download/ctf/confirm?action=reject&file=${sent.row.id}`);
    assert.equal(one.statusCode, 302);
    const url = `/download/ctf/files/${sent.row.id}/reject`;
    assert.equal(one.headers.location, url);
    const empty = await agent.post(url, { reason: ' ' }, { formPage: url });
    assert.equal(empty.statusCode, 400);
    assert.match(errorSummary(empty.body), /Enter why you are rejecting the file/);
    const done = await agent.post(url, { reason: 'Pupil not known here' }, { formPage: url });
    assert.equal(done.statusCode, 302);
    assert.match(textOf((await agent.get('/download/ctf')).body), /has been rejected/);

    const sender = await signedIn('school', { establishmentNumber: w.sending.number });
    const rejected = await sender.agent.get('/sent?show=rejected');
    assert.equal(rejected.statusCode, 200);
    assert.ok(rejected.body.includes(sent.row.filename));
    assert.match(textOf(rejected.body), /Pupil not known here/);
    assert.ok(!(await sender.agent.get('/sent')).body.includes(sent.row.filename), 'not for collection');
  });

  test('View / Remove Files: the sender sees the pupils, removes a file, and the recipient no longer sees it', async () => {
    const w = await world();
    const sent = await transfer({
      from: school(w.sending.number),
      to: school(w.receiving.number),
      pupils: [pupil('Mellor', { forename: 'Peter', middle_names: 'Robert' })],
    });
    const downloaded = await transfer({
      from: school(w.sending.number),
      to: school(w.receiving.number),
      overrides: { last_downloaded_at: '2026-11-20T10:00:00.000Z' },
    });
    const sender = await signedIn('school', { establishmentNumber: w.sending.number });
    const list = await sender.agent.get('/sent');
    assert.equal(list.statusCode, 200);
    assert.match(textOf(list.body), /Files for Collection/);
    assert.ok(list.body.includes(sent.row.filename));
    assert.match(textOf(list.body), /Receiving Primary/);
    // Downloaded, but "Was the file downloaded correctly?" not yet answered Yes: still for collection.
    assert.match(list.body, /govuk-tag--blue">Waiting</);
    assert.match(list.body, /govuk-tag--blue">Downloaded, not yet confirmed</);
    assert.match(
      textOf((await sender.agent.get(`/sent/files/${downloaded.row.id}`)).body),
      /Status Downloaded, not yet confirmed/,
    );
    const file = await sender.agent.get(`/sent/files/${sent.row.id}`);
    assert.match(textOf(file.body), /Mellor, Peter Robert/);
    const url = `/sent/files/${sent.row.id}/remove`;
    const removed = await sender.agent.post(url, {}, { formPage: url });
    assert.equal(removed.statusCode, 302);
    assert.match(textOf((await sender.agent.get('/sent')).body), /has been removed/);

    const recipient = await signedIn('school', { establishmentNumber: w.receiving.number });
    assert.ok(!(await recipient.agent.get('/download/ctf')).body.includes(sent.row.filename));
    assert.equal((await recipient.agent.get(`/download/ctf/files/${sent.row.id}`)).statusCode, 404);
  });

  test('View / Remove Files: a file sent to the Lost Pupils Database is listed as in it, not as waiting, and its Remove page says the record goes', async () => {
    const w = await world();
    const lost = await transfer({
      from: school(w.sending.number),
      to: school(w.receiving.number),
      pupils: [pupil('Brown', { forename: 'Amanda' })],
      filename: `${w.sending.number}_CTF_XXXXXXXX_001.XML`,
      overrides: {
        dest_kind: 'lost-pupils',
        dest_la: null,
        dest_school: null,
        lost_reason: 'destination-unknown',
      },
    });
    const waiting = await transfer({ from: school(w.sending.number), to: school(w.receiving.number) });
    const sender = await signedIn('school', { establishmentNumber: w.sending.number });

    const collection = await sender.agent.get('/sent');
    assert.ok(collection.body.includes(waiting.row.filename));
    assert.ok(!collection.body.includes(lost.row.filename), 'not a file for collection');
    assert.match(textOf(collection.body), /In the Lost Pupils Database/, 'its list is offered');

    const list = await sender.agent.get('/sent?show=lost-pupils');
    assert.equal(list.statusCode, 200);
    assert.ok(list.body.includes(lost.row.filename));
    assert.ok(!list.body.includes(waiting.row.filename));
    assert.match(list.body, /govuk-tag--purple">In the Lost Pupils Database</);
    assert.doesNotMatch(list.body, />Waiting</);

    const file = await sender.agent.get(`/sent/files/${lost.row.id}`);
    const fileText = textOf(file.body);
    assert.match(fileText, /Status In the Lost Pupils Database/);
    assert.match(fileText, /Remove it only if it was sent in error, because the pupil’s record goes with it/);
    assert.match(file.body, /href="\/sent\?show=lost-pupils"/, 'back to its own list');

    const url = `/sent/files/${lost.row.id}/remove`;
    const remove = textOf((await sender.agent.get(url)).body);
    assert.match(
      remove,
      /and with it the pupil’s record in the Lost Pupils Database: LAs will no longer be able to find the pupil there/,
    );
    const removed = await sender.agent.post(url, {}, { formPage: url });
    assert.equal(removed.statusCode, 302);
    assert.equal(removed.headers.location, '/sent?show=lost-pupils');
    assert.match(
      textOf((await sender.agent.get('/sent?show=lost-pupils')).body),
      /has been removed, and the pupil’s record with it: LAs can no longer find the pupil in the Lost Pupils Database/,
    );

    // Roles that send no CTFs have no such list.
    const plasc = await signedIn('la_plasc', { laNumber: w.laB.number });
    const theirs = await plasc.agent.get('/sent?show=lost-pupils');
    assert.equal(theirs.statusCode, 200);
    assert.doesNotMatch(textOf(theirs.body), /In the Lost Pupils Database/);
  });

  test('View / Remove Files: a file without pupils shows no Pupils row; a CTF shows its number of pupils', async () => {
    const w = await world();
    const generic = await transfer({
      from: school(w.sending.number),
      to: school(w.receiving.number),
      category: 'generic',
    });
    const ctf = await transfer({ from: school(w.sending.number), to: school(w.receiving.number) });
    const sender = await signedIn('school', { establishmentNumber: w.sending.number });
    for (const url of [`/sent/files/${generic.row.id}`, `/sent/files/${generic.row.id}/remove`]) {
      const page = await sender.agent.get(url);
      assert.equal(page.statusCode, 200, url);
      assert.doesNotMatch(textOf(page.body), /Pupils/, url);
    }
    for (const url of [`/sent/files/${ctf.row.id}`, `/sent/files/${ctf.row.id}/remove`]) {
      assert.match(textOf((await sender.agent.get(url)).body), /Pupils 2/, url);
    }
  });

  test('the Content-Disposition name is always safely quoted', () => {
    assert.equal(contentDisposition('A_B.XML'), `attachment; filename="A_B.XML"; filename*=UTF-8''A_B.XML`);
    assert.equal(
      contentDisposition('a"b\r\nc;é.xml'),
      `attachment; filename="a_b__c__.xml"; filename*=UTF-8''a%22b%0D%0Ac%3B%C3%A9.xml`,
    );
  });
  test('in Welsh: the Download pages, the sort links, a file, the reject form and its error', async () => {
    const w = await world();
    const sent = await transfer({ from: school(w.sending.number), to: school(w.receiving.number) });
    const { agent } = await signedIn('school', { establishmentNumber: w.receiving.number });
    assert.equal(
      (await agent.get('/download?lang=cy')).statusCode,
      302,
      'the switch keeps Welsh for the user',
    );

    const section = await agent.get('/download');
    assert.match(section.body, /<html lang="cy"/);
    assert.match(section.body, /<h1 class="govuk-heading-l">Lawrlwytho<\/h1>/);
    assert.match(
      textOf(section.body),
      /Lawrlwytho Ffeiliau CTF Ffeiliau Trosglwyddo Cyffredin \(CTF\) ar gyfer disgyblion/,
    );

    const list = await agent.get('/download/ctf');
    assert.match(list.body, /<html lang="cy"/);
    assert.match(list.body, /Ffeiliau Trosglwyddo Cyffredin yn barod i’w lawrlwytho<\/h1>/);
    assert.match(textOf(list.body), /1 ffeil yn barod i’w lawrlwytho/);
    assert.match(
      list.body,
      /aria-sort="ascending"><a class="govuk-link s2s-sort-link" href="[^"]*">Dyddiad Lanlwytho<\/a>/,
    );

    const file = await agent.get(`/download/ctf/files/${sent.row.id}`);
    assert.match(textOf(file.body), /Ysgol Ffynhonnell .* Statws Yn aros i chi ei lawrlwytho/);
    // A size under 1 KB in Welsh words, as the rest of the page.
    assert.ok(sent.row.size < 1024, 'a small file');
    assert.ok(textOf(file.body).includes(` ${sent.row.size} beit `), textOf(file.body));
    assert.doesNotMatch(textOf(file.body), /bytes/);

    const none = await agent.get('/download/ctf/confirm?action=accept');
    assert.equal(none.statusCode, 400);
    assert.match(errorSummary(none.body), /Dewiswch y ffeiliau i’w lawrlwytho/);

    const url = `/download/ctf/files/${sent.row.id}/reject`;
    const form = await agent.get(url);
    assert.match(textOf(form.body), /Pam rydych yn gwrthod y ffeil hon\?/);
    // The character count's own texts: under the field, and those its script shows as the reader types.
    assert.match(textOf(form.body), /Gallwch roi hyd at 500 nod/);
    assert.match(
      form.body,
      /data-i18n\.characters-under-limit\.other="Mae gennych %\{count\} nod yn weddill"/,
    );
    assert.match(form.body, /data-i18n\.characters-over-limit\.few="Mae gennych %\{count\} nod yn ormod"/);
    assert.doesNotMatch(form.body, /characters remaining|characters too many|You can enter up to/);
    const empty = await agent.post(url, { reason: ' ' }, { formPage: url });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /<title>Gwall: Gwrthod /);
    assert.match(errorSummary(empty.body), /Nodwch pam rydych yn gwrthod y ffeil/);
  });
  test('in Welsh: View / Remove Files, a sent file and its Remove page', async () => {
    const w = await world();
    const sent = await transfer({ from: school(w.sending.number), to: school(w.receiving.number) });
    const { agent } = await signedIn('school', { establishmentNumber: w.sending.number });
    assert.equal((await agent.get('/sent?lang=cy')).statusCode, 302);
    const list = await agent.get('/sent');
    assert.match(list.body, /<html lang="cy"/);
    assert.match(list.body, /<h1 class="govuk-heading-l">Gweld \/ Tynnu Ffeiliau<\/h1>/);
    assert.match(
      textOf(list.body),
      /Ffeiliau i’w Casglu .*1 ffeil\. Cliciwch ar bennawd colofn i newid y drefn\./,
    );
    assert.match(list.body, /class="govuk-link s2s-sort-link" href="[^"]*">Ysgol Gyrchfan</);
    const file = await agent.get(`/sent/files/${sent.row.id}`);
    assert.match(textOf(file.body), /Statws Yn aros/);
    assert.ok(textOf(file.body).includes(` ${sent.row.size} beit `), textOf(file.body));
    assert.doesNotMatch(textOf(file.body), /bytes/);
    const remove = await agent.get(`/sent/files/${sent.row.id}/remove`);
    assert.match(textOf(remove.body), /Tynnu ffeil .*Ie, tynnu’r ffeil hon Na, ei chadw/);
  });
});
