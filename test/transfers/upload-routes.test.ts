// The Upload pages through fastify.inject: the section page and menu per role, the form, several files
// in one multipart post with mixed outcomes on one confirmation page, the CSRF check on multipart
// posts, and the refusals of the HTTP edge (403, 404, no files, too many files).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Role } from '../../src/auth/permissions.ts';
import { type NewCollection, updateCollection } from '../../src/collect/collections-repository.ts';
import { makeUpn } from '../../src/ctf/upn.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import type { Language } from '../../src/platform/i18n/catalogue.ts';
import { SCHOOL_UPLOAD_LIMIT } from '../../src/transfers/upload-service.ts';
import { makeToken, uploadFiles } from '../api/support.ts';
import { ctfBetween, type FixturePupil, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { censusFilename, censusReturnXml, liveCollection } from '../support/census.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, errorSummary, type TestApp, textOf } from '../support/web.ts';
import { zipOfSize } from '../support/zips.ts';

/** Where the service navigation's items go. */
function navigation(html: string): string[] {
  const nav = /<nav[^>]*aria-label="Menu"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '';
  return [...nav.matchAll(/<a class="govuk-service-navigation__link" href="([^"]+)"/g)].map(
    (m) => m[1] ?? '',
  );
}

function pupilsOf(school: string, count: number): FixturePupil[] {
  return Array.from({ length: count }, (_, n) =>
    syntheticPupil(n, { lea: school.slice(0, 3), estab: school.slice(3) }, false),
  );
}

describeEachEngine('upload pages', (database) => {
  let t: TestApp;
  let db: Db;
  let la: LocalAuthorityRow;
  let otherLa: LocalAuthorityRow;
  let school: EstablishmentRow;
  let dest: EstablishmentRow;
  let noS2s: EstablishmentRow;

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    la = await makeLa(db);
    otherLa = await makeLa(db);
    school = await makeSchool(db, la.number, { name: 'Hillside Primary School' });
    dest = await makeSchool(db, otherLa.number, { name: 'Riverside Primary School' });
    noS2s = await makeSchool(db, otherLa.number, { uses_s2s: 0 });
  });
  after(async () => {
    await t.app.close();
  });

  async function signedIn(role: Role, language: Language = 'en'): Promise<{ agent: Agent; userId: string }> {
    const user = await makeUser(
      db,
      role,
      { laNumber: la.number, establishmentNumber: role === 'school' ? school.number : null },
      { language },
    );
    const agent = new Agent(t.app);
    const response = await agent.signIn(user.username);
    assert.equal(response.statusCode, 302, 'signed in');
    return { agent, userId: user.id };
  }

  async function recordedBy(userId: string) {
    const transfers = await db
      .selectFrom('transfers')
      .select('filename')
      .where('uploaded_by', '=', userId)
      .execute();
    const audit = await db
      .selectFrom('audit_events')
      .select('action')
      .where('actor_user_id', '=', userId)
      .execute();
    return {
      transfers: transfers.map((r) => r.filename).sort(),
      audit: audit
        .map((r) => r.action)
        .filter((a) => a !== 'sign-in')
        .sort(),
    };
  }

  test('the Upload page and menu list the items each role may use, in the handbook order', async () => {
    const { agent } = await signedIn('school');
    const page = await agent.get('/upload');
    assert.equal(page.statusCode, 200);
    const text = textOf(page.body);
    assert.match(text, /Please select an item from the list/);
    const labels = [
      'Upload CTF File',
      'Upload DAZ/PLASC/School Census File',
      'Upload CFR File',
      'Upload Generic File',
      'Upload Exclusion File',
      'Upload Admissions File',
    ];
    const positions = labels.map((label) => text.indexOf(label));
    assert.ok(
      positions.every((p) => p >= 0),
      'every item is listed',
    );
    assert.deepEqual(
      [...positions].sort((a, b) => a - b),
      positions,
      'in the handbook order',
    );
    assert.ok(navigation(page.body).includes('/upload'), 'Upload is in the menu');

    const lost = await signedIn('la_lost_pupil');
    const lostText = textOf((await lost.agent.get('/upload')).body);
    assert.match(lostText, /Upload Generic File/);
    assert.doesNotMatch(lostText, /Upload CTF File|Upload Admissions File/);

    const dba = await signedIn('la_dba');
    const dbaText = textOf((await dba.agent.get('/upload')).body);
    assert.match(dbaText, /Upload CTF File/);
    assert.doesNotMatch(dbaText, /Upload Generic File/, 'LA notes §5.5: not LEA Administrators');

    const viewer = await signedIn('la_dba_view');
    const viewerPage = await viewer.agent.get('/upload');
    assert.equal(viewerPage.statusCode, 403, 'a role that sends no files cannot open Upload');
    const viewerMenu = navigation((await viewer.agent.get('/')).body);
    assert.ok(viewerMenu.includes('/') && !viewerMenu.includes('/upload'), 'no Upload in the menu');
  });

  test("the form takes several files, carries its CSRF token first, and states the role's size limit", async () => {
    const { agent } = await signedIn('school');
    const page = await agent.get('/upload/ctf');
    assert.equal(page.statusCode, 200);
    const form = /<form[^>]*enctype="multipart\/form-data"[\s\S]*?<\/form>/.exec(page.body)?.[0] ?? '';
    assert.match(form, /action="\/upload\/ctf"/);
    assert.match(
      form,
      /^<form[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+">/,
      'the token comes first',
    );
    assert.match(form, /<input class="govuk-file-upload[^"]*" id="files" name="files" type="file" multiple/);
    assert.match(form, /accept=".xml,.XML"/);
    assert.match(textOf(page.body), /Each file can be up to 4 MB, the limit for files sent by schools/);

    const la = await signedIn('la_user');
    assert.match(
      textOf((await la.agent.get('/upload/generic')).body),
      /up to 10 MB, the limit for files sent by LAs/,
    );
  });

  test("the example names are the signed-in organisation's own, and only ones it could send", async () => {
    const examples = (html: string) =>
      [
        ...(/<ul[^>]*id="examples"[^>]*>([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '').matchAll(
          /<li>([^<]+)<\/li>/g,
        ),
      ].map((m) => m[1] ?? '');
    const { agent } = await signedIn('school');
    const ctf = examples((await agent.get('/upload/ctf')).body);
    assert.ok(ctf.length > 0);
    for (const name of ctf) {
      assert.ok(name.startsWith(`${school.number}_CTF_`), name);
      assert.ok(!name.includes(`_CTF_${school.number}_`), `${name}: not to itself`);
    }
    assert.ok(ctf.includes(`${school.number}_CTF_${la.number}LLLL_007.XML`));
    // A school sends admissions files to its LA, never as the LA's admissions inbox.
    assert.deepEqual(examples((await agent.get('/upload/admissions')).body), [
      `${school.number}_ADT_${la.number}ADMS_001.XML`,
      `${school.number}_ADT_${la.number}LLLL_002.XML`,
    ]);

    const laUser = await signedIn('la_user');
    assert.ok(
      examples((await laUser.agent.get('/upload/ctf')).body).every((n) => n.startsWith(`${la.number}LLLL_`)),
    );
    const plasc = await laUser.agent.get('/upload/plasc');
    assert.deepEqual(examples(plasc.body), []);
    assert.match(textOf(plasc.body), /Census returns are uploaded by the school they are for/);
  });

  test('several files in one upload: each outcome on one confirmation page', async () => {
    const { agent, userId } = await signedIn('school');
    await agent.get('/upload/ctf');
    const good = `${school.number}_CTF_${dest.number}_001.XML`;
    const tooBig = `${school.number}_CTF_${dest.number}_002.XML`;
    const notS2s = `${school.number}_CTF_${noS2s.number}_003.XML`;
    const warned = `${school.number}_CTF_${dest.number}_004.XML`;
    const [first, second] = pupilsOf(school.number, 2);
    assert.ok(first && second);
    const upn = makeUpn(la.number, school.number.slice(3), '20', '011');
    const wrongLetter = `${upn[0] === 'A' ? 'B' : 'A'}${upn.slice(1)}`;
    const big = Buffer.alloc(SCHOOL_UPLOAD_LIMIT + 1, 0x20);
    const response = await agent.postMultipart('/upload/ctf', [
      // First, so that the files after it are only read if its rest was drained.
      { filename: tooBig, content: big },
      { filename: good, content: ctfBetween(school.number, dest.number, [first, second]) },
      { filename: notS2s, content: ctfBetween(school.number, noS2s.number, [first]) },
      {
        filename: `C:\\Documents\\${warned}`,
        content: ctfBetween(school.number, dest.number, [{ ...first, upn: wrongLetter }]),
      },
    ]);
    assert.equal(response.statusCode, 200);
    const text = textOf(response.body);
    assert.match(text, /2 of 4 files were uploaded; 2 were not\./);
    assert.match(
      text,
      new RegExp(`${good} Uploaded .*Sent to Riverside Primary School \\(${dest.number}\\) Pupils 2`),
    );
    assert.match(
      text,
      new RegExp(
        `${tooBig} Not uploaded Why The file is larger than 4 MB, the most a school can send in one file\\.`,
      ),
    );
    assert.match(text, /Make several CTFs with fewer pupils in each/);
    assert.match(
      text,
      new RegExp(
        `${notS2s} Not uploaded Why The destination school ${noS2s.number} does not use s2s: use MMMMMMMM`,
      ),
    );
    assert.match(
      text,
      new RegExp(`${warned} Uploaded .*Warnings .*Pupil 1: The check letter \\(character 1\\) should be`),
    );
    assert.match(text, /We have also emailed you the reasons each file was not uploaded/);
    assert.doesNotMatch(text, new RegExp(first.surname), 'no pupil names on the confirmation');
    assert.ok(t.app.contentChecks.stats().started > 0, 'the CTFs were read on worker threads');

    assert.deepEqual(await recordedBy(userId), {
      transfers: [good, warned].sort(),
      audit: ['file-uploaded', 'file-uploaded', 'upload-refused', 'upload-refused'],
    });
  });

  test('a name whose file is still waiting is refused on the page: the second of one upload, and in the next, in English and Welsh', async () => {
    const { agent, userId } = await signedIn('school');
    await agent.get('/upload/ctf');
    const name = `${school.number}_CTF_${dest.number}_090.XML`;
    const content = ctfBetween(school.number, dest.number, pupilsOf(school.number, 1));
    // Another file under that name (the same file would be already received: see the next test).
    const another = ctfBetween(school.number, dest.number, pupilsOf(school.number, 2));
    const response = await agent.postMultipart('/upload/ctf', [
      { filename: name, content },
      { filename: name.toLowerCase(), content: another },
    ]);
    assert.equal(response.statusCode, 200);
    const text = textOf(response.body);
    assert.match(text, /1 of 2 files was uploaded; 1 was not\./);
    assert.match(text, new RegExp(`${name} Uploaded`));
    assert.ok(
      text.includes(
        // The waiting file named as it is stored, not as this upload spells it.
        `${name.toLowerCase()} Not uploaded Why A file named ${name} from you is already waiting for Riverside Primary School (${dest.number}). What to do If this file replaces it, remove the waiting one under View / Remove Files first, then upload this one again; if it is another file, give it the next number (NNN, just before the dot) and upload it.`,
      ),
      text,
    );
    assert.deepEqual(await recordedBy(userId), {
      transfers: [name],
      audit: ['file-uploaded', 'upload-refused'],
    });

    // Another user of the same school, reading Welsh, sends it again.
    const welsh = await signedIn('school', 'cy');
    await welsh.agent.get('/upload/ctf');
    const again = textOf(
      (await welsh.agent.postMultipart('/upload/ctf', [{ filename: name, content: another }])).body,
    );
    assert.ok(
      again.includes(
        `Mae ffeil o’r enw ${name} oddi wrthych chi eisoes yn aros am Riverside Primary School (${dest.number}).`,
      ),
      again,
    );
    assert.ok(again.includes('tynnwch honno ar y dudalen Gweld / Tynnu Ffeiliau yn gyntaf'), again);
    assert.deepEqual(await recordedBy(welsh.userId), { transfers: [], audit: ['upload-refused'] });
  });

  test('the same file uploaded again while it waits is shown as uploaded, already received, in English and Welsh; nothing new is recorded', async () => {
    const { agent, userId } = await signedIn('school');
    await agent.get('/upload/ctf');
    const name = `${school.number}_CTF_${dest.number}_091.XML`;
    const content = ctfBetween(school.number, dest.number, pupilsOf(school.number, 1));
    assert.equal((await agent.postMultipart('/upload/ctf', [{ filename: name, content }])).statusCode, 200);
    const again = await agent.postMultipart('/upload/ctf', [{ filename: name, content }]);
    assert.equal(again.statusCode, 200);
    const text = textOf(again.body);
    assert.match(text, /The file was uploaded\./);
    assert.ok(
      text.includes(
        `${name} Uploaded What it is CTF from school ${school.number} to school ${dest.number}, file number 091 Sent to Riverside Primary School (${dest.number}) Pupils 1 Already received s2s had already received this file: the same file, with the same name, arrived earlier and is waiting to be collected. It was not sent again, so its destination will not get it twice.`,
      ),
      text,
    );
    assert.doesNotMatch(text, /emailed you/);
    assert.deepEqual(await recordedBy(userId), { transfers: [name], audit: ['file-uploaded'] });

    // Another user of the same school, reading Welsh, sends it again too.
    const welsh = await signedIn('school', 'cy');
    await welsh.agent.get('/upload/ctf');
    const cy = textOf((await welsh.agent.postMultipart('/upload/ctf', [{ filename: name, content }])).body);
    assert.match(cy, /Cafodd y ffeil ei lanlwytho\./);
    assert.ok(
      cy.includes(
        'Wedi’i derbyn eisoes Roedd s2s eisoes wedi derbyn y ffeil hon: cyrhaeddodd yr un ffeil, gyda’r un enw, yn gynharach ac mae’n aros i gael ei chasglu. Ni chafodd ei hanfon eto, felly ni fydd ei chyrchfan yn ei chael ddwywaith.',
      ),
      cy,
    );
    assert.deepEqual(await recordedBy(welsh.userId), { transfers: [], audit: [] });
  });

  test('a CFR file to a school is refused on the page, saying to address it to the LA or use Upload Generic File', async () => {
    const name = `${school.number}_CFR_${dest.number}_001.XLS`;
    for (const [language, reason, whatToDo, summary] of [
      [
        'en',
        `Nobody at school ${dest.number} can collect files sent with Upload CFR File, so the file would never be downloaded.`,
        `Files sent with Upload CFR File go to a local authority: name your LA as the destination, ${la.number}LLLL (your LA’s number followed by LLLL, handbook §8), for example ${school.number}_CFR_${la.number}LLLL_001.XLS. To send a file to school ${dest.number}, use Upload Generic File instead.`,
        // Each number agrees with its verb.
        '1 of 2 files was uploaded; 1 was not.',
      ],
      [
        'cy',
        `Ni all neb yn ysgol ${dest.number} gasglu ffeiliau a anfonir gyda Lanlwytho Ffeil CFR`,
        `I anfon ffeil i ysgol ${dest.number}, defnyddiwch Lanlwytho Ffeil Gyffredinol yn lle hynny.`,
        'Cafodd 1 o’r 2 ffeil ei lanlwytho; ni chafodd 1 ei lanlwytho.',
      ],
    ] as const) {
      const { agent } = await signedIn('school', language);
      await agent.get('/upload/cfr');
      const toLa = `${school.number}_${la.number}LLLL_CFR${language.toUpperCase()}.ZIP`;
      const result = await agent.postMultipart('/upload/cfr', [
        { filename: name, content: 'not read' },
        { filename: toLa, content: zipOfSize(200) },
      ]);
      assert.equal(result.statusCode, 200);
      const text = textOf(result.body);
      assert.ok(text.includes(reason), text);
      assert.ok(text.includes(whatToDo), text);
      assert.ok(text.includes(summary), text);
    }
  });

  test('a name with a quotation mark (which browsers send as %22) is refused for the quotation mark, not for a "%"', async () => {
    const { agent } = await signedIn('school');
    await agent.get('/upload/generic');
    // The agent sends '"' as %22, as Chromium and Firefox do (and line breaks as %0D and %0A).
    const result = await agent.postMultipart('/upload/generic', [
      { filename: `${school.number}_${dest.number}_MY"NOTES.PDF`, content: '%PDF-1.4' },
    ]);
    assert.equal(result.statusCode, 200);
    const text = textOf(result.body);
    assert.ok(text.includes(`${school.number}_${dest.number}_MY"NOTES.PDF`), text);
    assert.ok(text.includes(`The file name contains '"'`), text);
    assert.ok(!text.includes("'%'"), text);
  });

  test('a multipart post without a valid CSRF token is refused before any file is read', async () => {
    const { agent, userId } = await signedIn('school');
    await agent.get('/upload/ctf');
    const file = {
      filename: `${school.number}_CTF_${dest.number}_010.XML`,
      content: ctfBetween(school.number, dest.number, pupilsOf(school.number, 1)),
    };
    for (const options of [{ csrf: false }, { csrf: 'not-the-token' }, { tokenLast: true }]) {
      const response = await agent.postMultipart('/upload/ctf', [file], options);
      assert.equal(response.statusCode, 403, JSON.stringify(options));
      assert.match(response.body, /The form has expired/);
    }
    assert.deepEqual(await recordedBy(userId), { transfers: [], audit: [] }, 'nothing recorded');
    // The same post with its token goes through.
    await agent.get('/upload/ctf');
    const ok = await agent.postMultipart('/upload/ctf', [file]);
    assert.equal(ok.statusCode, 200);
    assert.deepEqual((await recordedBy(userId)).transfers, [file.filename]);

    const stranger = new Agent(t.app);
    const signedOut = await stranger.postMultipart('/upload/ctf', [file], { csrf: 'x' });
    assert.equal(signedOut.statusCode, 302);
    assert.equal(signedOut.headers.location, '/sign-in');
  });

  test('a role without the menu item gets 403 for its page and its post; an unknown item is 404', async () => {
    const { agent, userId } = await signedIn('la_lost_pupil');
    assert.equal((await agent.get('/upload/ctf')).statusCode, 403);
    await agent.get('/upload');
    const file = {
      filename: `${la.number}LLLL_CTF_${dest.number}_020.XML`,
      content: ctfBetween(`${la.number}LLLL`, dest.number, pupilsOf(school.number, 1)),
    };
    const posted = await agent.postMultipart('/upload/ctf', [file]);
    assert.equal(posted.statusCode, 403);
    assert.deepEqual(await recordedBy(userId), { transfers: [], audit: [] });
    assert.equal((await agent.get('/upload/generic')).statusCode, 200);
    assert.equal((await agent.get('/upload/unknown')).statusCode, 404);
    await agent.get('/upload');
    assert.equal((await agent.postMultipart('/upload/unknown', [file])).statusCode, 404);
  });

  test('an upload with no file chosen shows the form again with the error', async () => {
    const { agent } = await signedIn('school');
    await agent.get('/upload/generic');
    // A browser sends an empty file input as a part with no name and no content.
    const empty = await agent.postMultipart('/upload/generic', [{ filename: '', content: '' }]);
    assert.equal(empty.statusCode, 400);
    assert.match(errorSummary(empty.body), /Select the files to upload/);
    assert.match(empty.body, /enctype="multipart\/form-data"/);
    const form = await agent.post('/upload/generic', {});
    assert.equal(form.statusCode, 400);
    assert.match(errorSummary(form.body), /Select the files to upload/);
  });

  test('more files than one upload takes: the first 20 are checked, and the page names the others to upload again', async () => {
    const { agent, userId } = await signedIn('school');
    const name = (i: number) => `${school.number}_${dest.number}_MANY${String(i).padStart(3, '0')}.CSV`;
    const files = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ filename: name(i), content: 'a,b\n1,2\n' }));
    /** The names the page lists as not checked. */
    const notChecked = (html: string) =>
      [
        ...(/<ul[^>]*id="not-checked"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? '').matchAll(/<li>([^<]*)<\/li>/g),
      ].map((m) => m[1]);
    await agent.get('/upload/generic');
    const response = await agent.postMultipart('/upload/generic', files(22));
    assert.equal(response.statusCode, 200);
    const text = textOf(response.body);
    assert.match(
      text,
      /You can upload up to 20 files at once\. Only the first 20 files were checked \(their outcomes are below\)\. These files were not checked: upload them again\./,
    );
    assert.deepEqual(notChecked(response.body), [name(20), name(21)]);
    assert.doesNotMatch(text, /not read either/, 'every file was read');
    assert.match(text, /All 20 files were uploaded\./);
    assert.deepEqual(
      (await recordedBy(userId)).transfers,
      Array.from({ length: 20 }, (_, i) => name(i)).sort(),
    );

    // Past the 100 file parts s2s reads, the rest of the request is not read: the page says so.
    await agent.get('/upload/generic');
    const many = await agent.postMultipart('/upload/generic', files(103));
    assert.equal(many.statusCode, 200);
    assert.deepEqual(
      notChecked(many.body),
      Array.from({ length: 80 }, (_, i) => name(i + 20)),
    );
    assert.match(
      textOf(many.body),
      /Any files you chose after these were not read either: upload them again too\./,
    );

    // The REST API names them too, as not accepted: never 201.
    const user = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    const api = await uploadFiles(
      t.app,
      await makeToken(db, user, 'transfer', t.clock),
      files(22).map((file) => ({ ...file, filename: file.filename.replace('MANY', 'APIS') })),
    );
    assert.equal(api.statusCode, 200, api.body);
    const body = api.json() as {
      accepted: number;
      notAccepted: number;
      notChecked: string[];
      warning?: string;
    };
    const apiName = (i: number) => name(i).replace('MANY', 'APIS');
    assert.equal(body.accepted, 20);
    assert.equal(body.notAccepted, 2);
    assert.deepEqual(body.notChecked, [apiName(20), apiName(21)]);
    assert.equal(
      body.warning,
      `More files were sent than s2s takes at once (20): only the first 20 were checked. These were not, send them again: ${apiName(20)}, ${apiName(21)}.`,
    );
  });
  test('in Welsh: the Upload pages, a form error and the refusal reasons; the audit log keeps the English', async () => {
    const { agent, userId } = await signedIn('school', 'cy');
    const section = await agent.get('/upload');
    assert.match(section.body, /<html lang="cy"/);
    assert.match(section.body, /<h1 class="govuk-heading-l">Lanlwytho<\/h1>/);
    assert.match(textOf(section.body), /Dewiswch eitem o’r rhestr\./);
    assert.match(textOf(section.body), /Lanlwytho Ffeil CTF Ffeiliau Trosglwyddo Cyffredin \(CTF\)/);

    const form = await agent.get('/upload/ctf');
    assert.match(form.body, /<h1 class="govuk-heading-l">Lanlwytho Ffeil CTF<\/h1>/);
    assert.match(
      textOf(form.body),
      /Gall pob ffeil fod hyd at 4 MB, sef y terfyn ar gyfer ffeiliau a anfonir gan ysgolion/,
    );
    const none = await agent.postMultipart('/upload/ctf', [{ filename: '', content: '' }]);
    assert.equal(none.statusCode, 400);
    assert.match(errorSummary(none.body), /Dewiswch y ffeiliau i’w lanlwytho/);

    const [pupil] = pupilsOf(school.number, 1);
    assert.ok(pupil);
    const notS2s = `${school.number}_CTF_${noS2s.number}_011.XML`;
    const empty = `${school.number}_CTF_${dest.number}_012.XML`;
    const generic = `${school.number}_${dest.number}_SENLIST.ZIP`;
    const result = await agent.postMultipart('/upload/ctf', [
      { filename: notS2s, content: ctfBetween(school.number, noS2s.number, [pupil]) },
      { filename: empty, content: '' },
      { filename: generic, content: 'PK' },
    ]);
    assert.equal(result.statusCode, 200);
    const text = textOf(result.body);
    assert.match(text, /Ni chafodd yr un o’r 3 ffeil ei lanlwytho\./);
    assert.match(
      text,
      new RegExp(
        `${notS2s} Heb ei lanlwytho Pam Nid yw’r ysgol gyrchfan ${noS2s.number} yn defnyddio s2s: defnyddiwch MMMMMMMM fel y gyrchfan`,
      ),
    );
    assert.match(
      text,
      new RegExp(
        `${empty} Heb ei lanlwytho Pam Mae’r ffeil yn wag. Beth i’w wneud Gwiriwch eich bod wedi dewis y ffeil gywir.`,
      ),
    );
    assert.match(
      text,
      new RegExp(
        `${generic} Heb ei lanlwytho Pam Mae ${generic} yn enw ar ffeil gyffredinol, ac ni ellir anfon hynny gyda Lanlwytho Ffeil CTF. Mae Lanlwytho Ffeil CTF yn derbyn enwau fel ${school.number}_CTF_\\d{7}_003\\.XML, .*_007\\.XML\\. Beth i’w wneud Defnyddiwch Lanlwytho Ffeil CFR, Lanlwytho Ffeil Gyffredinol neu Lanlwytho Ffeil Gwaharddiadau o’r ddewislen Lanlwytho.`,
      ),
    );
    assert.match(
      text,
      /Rydym hefyd wedi anfon e-bost atoch gyda’r rhesymau pam na chafodd pob ffeil ei lanlwytho\./,
    );

    const audited = await db
      .selectFrom('audit_events')
      .select('detail')
      .where('actor_user_id', '=', userId)
      .where('action', '=', 'upload-refused')
      .execute();
    const details = audited.map((row) => row.detail ?? '').join('\n');
    assert.match(details, /does not use s2s: use MMMMMMMM as the destination/);
    assert.match(details, /The file is empty\./);
    assert.match(details, /is the name of a generic file, which cannot be sent with Upload CTF File\./);
  });

  test("the reasons the name rules, the CTF and census readers (the XML parser's words too) and the content checks give, in the reader's language; the audit log keeps the English", async () => {
    const [pupil] = pupilsOf(school.number, 1);
    assert.ok(pupil);
    const doctype = '<?xml version="1.0"?>\n<!DOCTYPE Message [<!ENTITY x "y">]>\n<Message/>';
    const expected = {
      en: {
        shortNumber: "The file number '01' must be 3 digits, like 001.",
        plascInbox: `An admissions file (ADT) cannot go to ${la.number}PLAS (the LA PLASC inbox): use ${la.number}ADMS for the LA admissions team.`,
        header: `The file name says this CTF goes to school ${dest.number}, but its header names school ${noS2s.number} in <DestSchool>. Check that the file was made for the right school, or correct its name.`,
        doctype:
          'The file cannot be read as a census return: The file declares a DOCTYPE. Files with DOCTYPE or ENTITY declarations are refused for safety (line 2, column',
        notCensus:
          'This file is not a school census return: it starts with <CTfile>, and a census return starts with <Message>.',
        notZip:
          'The file is named .ZIP but its content is not a zip file. Check you chose the right file, or save it again in the right format.',
        warning: 'Pupil 1 has no forename.',
        upn: 'Pupil 1: The check letter (character 1) should be',
        malformed:
          'The file cannot be read as a CTF: The file is not well-formed XML: unexpected close tag (line 4, column 10).',
      },
      cy: {
        shortNumber: "Rhaid i rif y ffeil '01' fod yn 3 digid, fel 001.",
        plascInbox: `Ni all ffeil derbyniadau (ADT) fynd i ${la.number}PLAS (blwch derbyn PLASC yr awdurdod lleol): defnyddiwch ${la.number}ADMS ar gyfer tîm derbyniadau’r awdurdod lleol.`,
        header: `Mae enw’r ffeil yn dweud bod y ffeil CTF hon yn mynd i ysgol ${dest.number}, ond mae ei phennyn yn enwi ysgol ${noS2s.number} yn <DestSchool>. Gwiriwch fod y ffeil wedi’i gwneud ar gyfer yr ysgol gywir, neu cywirwch ei henw.`,
        doctype:
          'Nid oes modd darllen y ffeil fel ffurflen cyfrifiad: Mae’r ffeil yn datgan DOCTYPE. Caiff ffeiliau â datganiadau DOCTYPE neu ENTITY eu gwrthod er diogelwch (llinell 2, colofn',
        notCensus:
          'Nid yw’r ffeil hon yn ffurflen cyfrifiad ysgol: mae’n dechrau gyda <CTfile>, ac mae ffurflen cyfrifiad yn dechrau gyda <Message>.',
        notZip:
          'Mae’r ffeil wedi’i henwi’n .ZIP ond nid ffeil zip yw ei chynnwys. Gwiriwch eich bod wedi dewis y ffeil gywir, neu cadwch hi eto yn y fformat cywir.',
        warning: 'Nid oes enw cyntaf gan ddisgybl 1.',
        upn: 'Disgybl 1: Dylai’r llythyren wirio (nod 1) fod yn',
        malformed:
          'Nid oes modd darllen y ffeil fel CTF: Nid yw’r ffeil yn XML wedi’i ffurfio’n dda: tag cau annisgwyl (llinell 4, colofn 10)',
      },
    };
    for (const [language, sequence] of [
      ['en', '051'],
      ['cy', '052'],
    ] as const) {
      const { agent, userId } = await signedIn('school', language);
      const post = async (category: string, files: { filename: string; content: string }[]) => {
        await agent.get(`/upload/${category}`);
        const response = await agent.postMultipart(`/upload/${category}`, files);
        assert.equal(response.statusCode, 200, category);
        return textOf(response.body);
      };
      const ctfs = await post('ctf', [
        {
          filename: `${school.number}_CTF_${dest.number}_01.XML`,
          content: ctfBetween(school.number, dest.number, [pupil]),
        },
        {
          filename: `${school.number}_CTF_${dest.number}_031.XML`,
          content: ctfBetween(school.number, noS2s.number, [pupil]),
        },
        {
          filename: `${school.number}_CTF_${dest.number}_${sequence}.XML`,
          // No forename, and a UPN with the wrong check letter: two warnings.
          content: ctfBetween(school.number, dest.number, [
            { ...pupil, forename: '', upn: `${pupil.upn.startsWith('A') ? 'B' : 'A'}${pupil.upn.slice(1)}` },
          ]),
        },
        {
          filename: `${school.number}_CTF_${dest.number}_041.XML`,
          content: '<?xml version="1.0"?>\n<CTfile>\n<Header>\n</CTfile>\n',
        },
      ]);
      const admissions = await post('admissions', [
        { filename: `${school.number}_ADT_${la.number}PLAS_001.XML`, content: '<ADTfile/>' },
      ]);
      const census = await post('plasc', [
        { filename: `${school.number}_SC3_${la.number}LL26_001.XML`, content: doctype },
        { filename: `${school.number}_SC3_${la.number}LL26_002.XML`, content: '<CTfile/>' },
      ]);
      const generic = await post('generic', [
        { filename: `${school.number}_${dest.number}_SENLIST.ZIP`, content: 'not a zip at all' },
      ]);
      const words = expected[language];
      const other = expected[language === 'en' ? 'cy' : 'en'];
      const pages = [ctfs, admissions, census, generic].join('\n');
      for (const [what, reason] of Object.entries(words)) {
        assert.ok(pages.includes(reason), `${language} ${what}: ${reason}`);
      }
      for (const [what, reason] of Object.entries(other)) {
        assert.ok(!pages.includes(reason), `not in the other language: ${what}`);
      }

      const audited = await db
        .selectFrom('audit_events')
        .select('detail')
        .where('actor_user_id', '=', userId)
        .where('action', '=', 'upload-refused')
        .execute();
      const details = audited.map((row) => row.detail ?? '').join('\n');
      for (const what of ['shortNumber', 'plascInbox', 'header', 'notZip', 'malformed'] as const) {
        assert.ok(
          details.includes(JSON.stringify(expected.en[what]).slice(1, -1)),
          `audited in English: ${what}`,
        );
      }
      assert.doesNotMatch(details, /Nid|Mae’r|Rhaid/);
    }
  });

  test("an accepted file's description and where it went, in the reader's language; the REST API keeps the English", async () => {
    const [pupil] = pupilsOf(school.number, 1);
    assert.ok(pupil);
    const expected = {
      en: (n: { ctf: string; plasc: string }) => [
        `${n.ctf} Uploaded What it is CTF from school ${school.number} to school ${dest.number}, file number ${n.ctf.slice(-7, -4)} Sent to Riverside Primary School (${dest.number})`,
        `${n.plasc} Uploaded What it is generic file from school ${school.number} to the PLASC inbox of LA ${la.number} (${la.number}PLAS), description NOTES${n.ctf.slice(-7, -4)}, type .CSV Sent to Testshire PLASC inbox (${la.number}PLAS)`,
      ],
      cy: (n: { ctf: string; plasc: string }) => [
        `${n.ctf} Wedi’i lanlwytho Beth ydyw CTF, ffynhonnell: ysgol ${school.number}, cyrchfan: ysgol ${dest.number}, rhif y ffeil: ${n.ctf.slice(-7, -4)} Wedi’i anfon at Riverside Primary School (${dest.number})`,
        `${n.plasc} Wedi’i lanlwytho Beth ydyw ffeil gyffredinol, ffynhonnell: ysgol ${school.number}, cyrchfan: blwch derbyn PLASC awdurdod lleol ${la.number} (${la.number}PLAS), disgrifiad: NOTES${n.ctf.slice(-7, -4)}, math o ffeil: .CSV Wedi’i anfon at Blwch derbyn PLASC Testshire (${la.number}PLAS)`,
      ],
    };
    for (const [language, sequence] of [
      ['en', '061'],
      ['cy', '062'],
    ] as const) {
      const { agent } = await signedIn('school', language);
      const names = {
        ctf: `${school.number}_CTF_${dest.number}_${sequence}.XML`,
        // Each language its own names: a file of one name is not taken twice while the first waits.
        plasc: `${school.number}_${la.number}PLAS_NOTES${sequence}.CSV`,
      };
      await agent.get('/upload/ctf');
      const ctf = await agent.postMultipart('/upload/ctf', [
        { filename: names.ctf, content: ctfBetween(school.number, dest.number, [pupil]) },
      ]);
      await agent.get('/upload/generic');
      const generic = await agent.postMultipart('/upload/generic', [
        { filename: names.plasc, content: 'a,b\n1,2\n' },
      ]);
      const pages = [ctf, generic].map((page) => textOf(page.body)).join('\n');
      for (const line of expected[language](names)) assert.ok(pages.includes(line), `${language}: ${line}`);
      for (const line of expected[language === 'en' ? 'cy' : 'en'](names)) {
        assert.ok(!pages.includes(line), `not in the other language: ${line}`);
      }
    }

    const user = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    const response = await uploadFiles(t.app, await makeToken(db, user, 'transfer', t.clock), [
      {
        filename: `${school.number}_CTF_${dest.number}_063.XML`,
        content: ctfBetween(school.number, dest.number, [pupil]),
      },
    ]);
    assert.equal(response.statusCode, 201, response.body);
    const [result] = (response.json() as { results: { description: string; destination: string }[] }).results;
    assert.deepEqual(result && { description: result.description, destination: result.destination }, {
      description: `CTF from school ${school.number} to school ${dest.number}, file number 063`,
      destination: `Riverside Primary School (${dest.number})`,
    });
  });

  test("a census return sent while its LA's Live COLLECT collection of that term and year is open says it is not in COLLECT and where to load it; the API too", async () => {
    const censusLa = await makeLa(db);
    const censusSchool = await makeSchool(db, censusLa.number, { name: 'Census Lane Primary' });
    const admin = await makeUser(db, 'national_admin');
    const collection = async (
      name: string,
      changes: Partial<Omit<NewCollection, 'id'>>,
      options: { las?: string[]; closedAt?: string } = {},
    ) => {
      const id = await liveCollection(db, admin, options.las ?? [censusLa.number], {
        name,
        created_at: '2026-08-01T09:00:00.000Z',
        ...changes,
      });
      if (options.closedAt) await updateCollection(db, id, { closed_at: options.closedAt });
      return id;
    };
    const live = await collection('School Census 2026 Autumn', {});
    // Not for these returns: a spring collection, one not open yet, one closed, one of other LAs.
    await collection('School Census 2026 Spring', { term: 'SPR', reference_date: '2026-01-15' });
    await collection('Autumn 2026 Late Returns', { open_date: '2026-12-01', due_date: '2026-12-20' });
    await collection(
      'School Census 2025 Autumn',
      { year: '2025', reference_date: '2025-10-02', open_date: '2025-09-01', due_date: '2025-12-18' },
      { closedAt: '2026-01-10T09:00:00.000Z' },
    );
    await collection('Another LA’s Autumn Census', {}, { las: [la.number] });
    const user = await makeUser(db, 'school', {
      laNumber: censusLa.number,
      establishmentNumber: censusSchool.number,
    });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    await agent.get('/upload/plasc');
    const thisYear = censusFilename(censusSchool.number, 2026, 1);
    const lastYear = censusFilename(censusSchool.number, 2025, 2);
    const response = await agent.postMultipart('/upload/plasc', [
      { filename: thisYear, content: censusReturnXml({ school: censusSchool.number, year: 2026 }) },
      { filename: lastYear, content: censusReturnXml({ school: censusSchool.number, year: 2025 }) },
    ]);
    assert.equal(response.statusCode, 200);
    const text = textOf(response.body);
    assert.match(text, /2 files were uploaded/);
    const notice =
      'This census return was sent to your LA as a file. To make your census return, load it into COLLECT: Upload Return from File for School Census 2026 Autumn';
    assert.ok(text.includes(`${thisYear} Uploaded`), text);
    assert.equal(text.split(notice).length - 1, 1, 'said of the return of the live collection only');
    assert.ok(text.indexOf(notice) < text.indexOf(lastYear), 'on the 2026 return, not the 2025 one');
    assert.ok(
      response.body.includes(
        `<a class="govuk-link" href="/collect/collections/${live}/upload">Upload Return from File for School Census 2026 Autumn</a>`,
      ),
    );

    // In Welsh.
    const welsh = await makeUser(
      db,
      'school',
      { laNumber: censusLa.number, establishmentNumber: censusSchool.number },
      { language: 'cy' },
    );
    const welshAgent = new Agent(t.app);
    await welshAgent.signIn(welsh.username);
    await welshAgent.get('/upload/plasc');
    const cy = await welshAgent.postMultipart('/upload/plasc', [
      {
        filename: censusFilename(censusSchool.number, 2026, 3),
        content: censusReturnXml({ school: censusSchool.number, year: 2026 }),
      },
    ]);
    assert.match(
      textOf(cy.body),
      /Anfonwyd y ffurflen cyfrifiad hon at eich awdurdod lleol fel ffeil\. I wneud eich ffurflen cyfrifiad, llwythwch hi i COLLECT: Lanlwytho Ffurflen o Ffeil ar gyfer School Census 2026 Autumn/,
    );

    // The REST API gives the same advice, in English, with the page's address.
    const api = await uploadFiles(t.app, await makeToken(db, user, 'transfer', t.clock), [
      {
        filename: censusFilename(censusSchool.number, 2026, 4),
        content: censusReturnXml({ school: censusSchool.number, year: 2026 }),
      },
      {
        filename: censusFilename(censusSchool.number, 2025, 5),
        content: censusReturnXml({ school: censusSchool.number, year: 2025 }),
      },
    ]);
    assert.equal(api.statusCode, 201, api.body);
    const results = (api.json() as { results: { advice?: string }[] }).results;
    assert.deepEqual(
      results.map((r) => r.advice),
      [
        `This census return was sent to your LA as a file. To make your census return, load it into COLLECT: Upload Return from File for School Census 2026 Autumn, /collect/collections/${live}/upload`,
        undefined,
      ],
    );
  });
});
