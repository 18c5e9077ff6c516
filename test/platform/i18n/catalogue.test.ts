// The message catalogue: complete in both languages, placeholders paired, Welsh plurals, and t()'s
// escaping; the language switch's way back to the page.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import nunjucks from 'nunjucks';
import {
  asSentence,
  catalogue,
  catalogueProblems,
  dateParam,
  keyedError,
  loadCatalogue,
  message,
  translate,
  translateMessage,
} from '../../../src/platform/i18n/catalogue.ts';
import { languageLinks, pageWithoutSwitch, templateTranslator } from '../../../src/platform/i18n/web.ts';
import { createViews } from '../../../src/platform/web/views.ts';

/** A folder of features, each with its translations.json, read as the service reads src/. */
function catalogueOf(files: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 's2s-catalogue-'));
  folders.push(dir);
  for (const [feature, content] of Object.entries(files)) {
    mkdirSync(join(dir, feature), { recursive: true });
    writeFileSync(join(dir, feature, 'translations.json'), JSON.stringify(content));
  }
  return loadCatalogue(dir);
}
const folders: string[] = [];
after(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

const WELSH_FORMS = {
  zero: 'z {count}',
  one: 'o {count}',
  two: 'd {count}',
  few: 'f {count}',
  many: 'm {count}',
  other: 'a {count}',
};

describe('the catalogue', () => {
  test("the service's catalogue has every text in English and Welsh, with the same placeholders", () => {
    assert.deepEqual(catalogueProblems(catalogue()), []);
    assert.ok(catalogue().translations.size > 100, 'the features translated so far are all read');
  });

  test('a text missing or empty in either language, or placeholders that differ, are each reported', () => {
    const problems = catalogueProblems(
      catalogueOf({
        a: {
          'a.no-welsh': { en: 'Hello' },
          'a.empty-english': { en: ' ', cy: 'Helo' },
          'a.placeholders': { en: 'Wait {minutes} minutes', cy: 'Arhoswch {munudau} munud' },
          'a.fine': { en: 'Back', cy: 'Yn ôl' },
        },
        b: {
          'b.few-welsh-forms': {
            en: { one: '{count} file', other: '{count} files' },
            cy: { one: '{count} ffeil' },
          },
          'b.counted-without-count': { en: { one: 'a file', other: 'files' }, cy: WELSH_FORMS },
          'b.unknown-language': { en: 'Yes', cy: 'Ie', fr: 'Oui' },
        },
      }),
    );
    const about = (key: string) => problems.filter((p) => p.startsWith(`${key} `));
    assert.match(about('a.no-welsh').join(), /has no cy text/);
    assert.match(about('a.empty-english').join(), /empty en text/);
    assert.match(about('a.placeholders').join(), /\{minutes\} in English but \{munudau\} in Welsh/);
    assert.deepEqual(about('a.fine'), []);
    for (const form of ['zero', 'two', 'few', 'many', 'other']) {
      assert.match(about('b.few-welsh-forms').join(), new RegExp(`no cy "${form}" form`));
    }
    assert.match(about('b.counted-without-count').join(), /never says \{count\}/);
    assert.match(about('b.unknown-language').join(), /unknown languages: fr/);
    assert.match(about('a.no-welsh').join(), /\(a\/translations\.json\)/, 'each problem names its file');
  });

  test('a key defined by two features is refused when the catalogue is read', () => {
    assert.throws(
      () =>
        catalogueOf({ a: { 'shared.key': { en: 'A', cy: 'A' } }, b: { 'shared.key': { en: 'B', cy: 'B' } } }),
      /shared\.key is defined in both a\/translations\.json and b\/translations\.json/,
    );
  });
});

describe('translate', () => {
  test('fills named placeholders, and refuses an unknown key or a missing parameter', () => {
    assert.equal(
      translate('en', 'auth.sign-in.throttled', { minutes: 15 }).includes('Wait 15 minutes'),
      true,
    );
    assert.equal(
      translate('cy', 'auth.sign-in.throttled', { minutes: 15 }).includes('Arhoswch 15 munud'),
      true,
    );
    assert.throws(() => translate('en', 'auth.no-such-key'), /auth\.no-such-key is not in the catalogue/);
    assert.throws(() => translate('en', 'auth.sign-in.throttled'), /needs the parameter \{minutes\}/);
  });

  test('counts choose the plural form of each language: Welsh has zero, one, two, few, many and other', () => {
    const forms = catalogueOf({
      a: { 'a.files': { en: { one: 'one {count}', other: 'other {count}' }, cy: WELSH_FORMS } },
    });
    assert.deepEqual(catalogueProblems(forms), []);
    // Intl.PluralRules('cy'): 0 zero, 1 one, 2 two, 3 few, 6 many, anything else other.
    const welsh = new Intl.PluralRules('cy');
    assert.deepEqual(
      [0, 1, 2, 3, 6, 4, 7].map((n) => welsh.select(n)),
      ['zero', 'one', 'two', 'few', 'many', 'other', 'other'],
    );
    assert.equal(translate('en', 'layout.new-messages.you-have', { count: 1 }), 'You have 1 new message.');
    assert.equal(translate('en', 'layout.new-messages.you-have', { count: 2 }), 'You have 2 new messages.');
    assert.equal(
      translate('cy', 'home.attention.files-rejected', { count: 1, days: 14 }).includes('wedi’i gwrthod'),
      true,
    );
    assert.equal(
      translate('cy', 'home.attention.files-rejected', { count: 3, days: 14 }).includes('wedi’u gwrthod'),
      true,
    );
    assert.throws(() => translate('en', 'layout.new-messages.you-have'), /needs a numeric count/);
  });

  test('a message names its key; a parameter may be a message itself, put in the same language', () => {
    const goTo = message('home.attention.go-to', { place: message('menu.dba.users') });
    assert.equal(translateMessage('en', goTo), 'Go to User Maintenance');
    assert.equal(translateMessage('cy', goTo), 'Ewch i’r dudalen Cynnal a Chadw Defnyddwyr');
  });

  test('a date parameter is written in the language the message is put in', () => {
    const wrongYear = message('collect.form.error.census-day-year', {
      date: dateParam('2025-10-01'),
      year: '2026',
    });
    assert.equal(
      translateMessage('en', wrongYear),
      'The census day 1 October 2025 is not in the collection year 2026.',
    );
    assert.equal(
      translateMessage('cy', wrongYear),
      'Nid yw diwrnod y cyfrifiad, 1 Hydref 2025, ym mlwyddyn y casgliad, 2026.',
    );
  });

  test('a clause marked as a sentence is written with a capital and a full stop, in either language', () => {
    const clause = message('transfer.filename.sequence.digits', { sequence: '01' });
    assert.equal(translateMessage('en', clause), "the file number '01' must be 3 digits, like 001");
    assert.equal(
      translateMessage('en', asSentence(clause)),
      "The file number '01' must be 3 digits, like 001.",
    );
    assert.equal(
      translateMessage('cy', asSentence(clause)),
      "Rhaid i rif y ffeil '01' fod yn 3 digid, fel 001.",
    );
    const inside = message('transfer.filename.with-hint', { problem: clause, hint: asSentence(clause) });
    assert.match(translateMessage('en', inside), /^the file number '01'.*: The file number '01'.*001\.$/);
  });

  test('a keyed field error carries its English text for the API and pages not yet translated', () => {
    assert.deepEqual(keyedError('newPassword', 'auth.password.too-long', { max: 256 }), {
      field: 'newPassword',
      message: 'Password must be 256 characters or fewer',
      key: 'auth.password.too-long',
      params: { max: 256 },
    });
  });
});

describe("templates' t()", () => {
  const env = new nunjucks.Environment(null, { autoescape: true });
  const render = (template: string, context: Record<string, unknown>) => env.renderString(template, context);

  test('its text is escaped by Nunjucks like any other, parameters included', () => {
    const html = render('{{ t("home.welcome", { name: name }) }}', {
      t: templateTranslator('en'),
      name: '<script>alert(1)</script>',
    });
    assert.equal(html, 'Welcome to s2s, &lt;script&gt;alert(1)&lt;/script&gt;.');
  });

  test('a parameter marked safe keeps its HTML (a link in a sentence), the rest is still escaped', () => {
    const html = render(
      '{% set link %}<a href="/contacts">{{ t("menu.contacts") }}</a>{% endset %}{{ t("errors.server-error.keeps-happening", { contacts: link | safe }) }} {{ t("home.welcome", { name: name, extra: link | safe }) }}',
      { t: templateTranslator('cy'), name: 'A & <b>' },
    );
    assert.equal(
      html,
      'Os yw hyn yn dal i ddigwydd, gweler <a href="/contacts">Cysylltiadau</a>. Croeso i s2s, A &amp; &lt;b&gt;.',
    );
  });
});

describe('the language switch', () => {
  test('goes back to the same page and query, without lang, and only ever to a path of this site', () => {
    assert.equal(pageWithoutSwitch('/sign-in?lang=cy'), '/sign-in');
    assert.equal(
      pageWithoutSwitch('/reports/school?from=2026-09-01&lang=en&to=2026-11-01'),
      '/reports/school?from=2026-09-01&to=2026-11-01',
    );
    for (const hostile of [
      '//evil.example/?lang=cy',
      '/\\evil.example/?lang=cy',
      '/.//evil.example?lang=cy',
      'https://evil.example/?lang=cy',
    ]) {
      assert.equal(pageWithoutSwitch(hostile), '/', hostile);
    }
  });

  test('links to the page in the other language, keeping its query; the language shown is no link', () => {
    assert.deepEqual(languageLinks('/reports/school?from=2026-09-01', 'en'), [
      { language: 'en', name: 'English', label: 'Change the language to English', href: undefined },
      {
        language: 'cy',
        name: 'Cymraeg',
        label: 'Newid yr iaith i’r Gymraeg',
        href: '/reports/school?from=2026-09-01&lang=cy',
      },
    ]);
    assert.equal(languageLinks('/?lang=cy', 'cy')[0]?.href, '/?lang=en');
  });
});

describe("GOV.UK components' own texts", () => {
  const views = createViews();
  const render = (template: string, language: 'en' | 'cy', context: Record<string, unknown> = {}) =>
    views.renderString(
      `{% from "govuk/components/pagination/macro.njk" import govukPagination %}{% from "govuk/components/password-input/macro.njk" import govukPasswordInput %}${template}`,
      { t: templateTranslator(language), ...context },
    );

  test("the character count's texts are in the page's language, with GOV.UK Frontend's %{count} for its script", () => {
    const field =
      '{{ govukCharacterCount({ id: "r", name: "r", maxlength: 500, label: { text: "R" } } | componentTexts("character-count")) }}';
    const template = `{% from "govuk/components/character-count/macro.njk" import govukCharacterCount %}${field}`;
    const welsh = views.renderString(template, { t: templateTranslator('cy'), language: 'cy' });
    assert.match(welsh, /Gallwch roi hyd at 500 nod/);
    for (const form of ['zero', 'one', 'two', 'few', 'many', 'other']) {
      assert.match(
        welsh,
        new RegExp(`data-i18n\\.characters-under-limit\\.${form}="Mae gennych %\\{count\\} nod yn weddill"`),
      );
    }
    assert.match(welsh, /data-i18n\.characters-at-limit="Mae gennych 0 nod yn weddill"/);
    const english = views.renderString(template, { t: templateTranslator('en'), language: 'en' });
    assert.match(english, /You can enter up to 500 characters/);
    assert.match(english, /data-i18n\.characters-over-limit\.one="You have %\{count\} character too many"/);
  });

  test("pagination's Previous, Next and page numbers, and the password input's Show and Hide, are in Welsh", () => {
    const pages = {
      previous: { href: '?page=1' },
      next: { href: '?page=3' },
      items: [
        { number: '1', href: '?page=1' },
        { number: '2', href: '?page=2', current: true },
      ],
    };
    const welsh = render('{{ govukPagination(pages | componentTexts("pagination")) }}', 'cy', { pages });
    assert.match(welsh, /aria-label="Tudalennu"/);
    assert.match(welsh, /rel="prev"\s*aria-label="Tudalen flaenorol">[\s\S]*Blaenorol/);
    assert.match(welsh, /rel="next"\s*aria-label="Tudalen nesaf">[\s\S]*Nesaf/);
    assert.match(welsh, /aria-label="Tudalen 2"/);
    const english = render('{{ govukPagination(pages | componentTexts("pagination")) }}', 'en', { pages });
    assert.match(english, /aria-label="Previous page">[\s\S]*Previous/);
    assert.match(english, /aria-label="Page 1"/);

    const password = render(
      '{{ govukPasswordInput({ id: "p", name: "p", label: { text: "Cyfrinair" } } | componentTexts("password-input")) }}',
      'cy',
    );
    for (const text of [
      'Dangos',
      'Cuddio',
      'Dangos cyfrinair',
      'Cuddio cyfrinair',
      'Mae eich cyfrinair yn weladwy',
    ]) {
      assert.ok(password.includes(text), text);
    }
  });
});
