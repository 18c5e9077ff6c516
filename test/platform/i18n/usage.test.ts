// Every key code and templates use is in the catalogue, and the pages translated so far hold no text
// of their own outside t().
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MENU, type MenuItem, menuLabelKey } from '../../../src/auth/menu.ts';
import { CAPABILITIES } from '../../../src/auth/permissions.ts';
import { catalogue, translate } from '../../../src/platform/i18n/catalogue.ts';
import { hardCodedText, keysUsedIn, SRC_DIR, sourceFiles } from '../../support/i18n.ts';

/** The templates translated so far (issue 13): add each page here as its feature is translated. */
const TRANSLATED_TEMPLATES = [
  'platform/web/views/layout.njk',
  'platform/web/views/not-found.njk',
  'platform/web/views/forbidden.njk',
  'platform/web/views/form-expired.njk',
  'platform/web/views/server-error.njk',
  'platform/web/views/problem.njk',
  'auth/views/sign-in.njk',
  'auth/views/sign-out.njk',
  'auth/views/change-password.njk',
  'auth/views/two-factor-sign-in.njk',
  'auth/views/recovery-code-sign-in.njk',
  'home/views/home.njk',
  'accessibility/views/accessibility.njk',
  'transfers/views/upload-section.njk',
  'transfers/views/upload-form.njk',
  'transfers/views/upload-result.njk',
  'transfers/views/download-macros.njk',
  'transfers/views/download-section.njk',
  'transfers/views/download-list.njk',
  'transfers/views/download-confirm.njk',
  'transfers/views/download-check.njk',
  'transfers/views/download-file.njk',
  'transfers/views/download-reject.njk',
  'transfers/views/download-previous.njk',
  'transfers/views/download-previously.njk',
  'transfers/views/sent-list.njk',
  'transfers/views/sent-file.njk',
  'transfers/views/sent-remove.njk',
  'transfers/views/la-macros.njk',
  'transfers/views/la-monitor.njk',
  'transfers/views/la-uncollected.njk',
  'transfers/views/la-file.njk',
  'transfers/views/la-delete.njk',
  'transfers/views/la-forward.njk',
  'transfers/views/la-forward-check.njk',
];

/** Words the same in every language. */
const SAME_IN_EVERY_LANGUAGE = new Set(['s2s']);

const keys = catalogue().translations;
const namespaces = new Set([...keys.keys()].map((key) => key.split('.')[0] ?? ''));
const capabilities = new Set<string>(CAPABILITIES);

describe('keys in use', () => {
  test('every key named in src/ (code and templates) is in the catalogue', () => {
    const missing = sourceFiles().flatMap(([path, source]) =>
      keysUsedIn(source, namespaces, capabilities)
        .filter((key) => !keys.has(key))
        .map((key) => `${path}: ${key}`),
    );
    assert.deepEqual(missing, []);
  });

  test('every key in the catalogue is used: none is left behind when its text goes', () => {
    const used = new Set(sourceFiles().flatMap(([, source]) => keysUsedIn(source, namespaces, capabilities)));
    // Menu labels are named by their items' addresses (menuLabelKey), checked below.
    const unused = [...keys.keys()].filter((key) => !used.has(key) && !key.startsWith('menu.'));
    assert.deepEqual(unused, []);
  });

  test('the key finder sees keys passed to t(), message() and keyedError(), and keys chosen by a condition', () => {
    const source = `
      {{ t("layout.bakc") }} request.t('auth.sign-in.titel', { a: 1 }) message('home.nope')
      keyedError('code', 'auth.two-factor.nope') const key = wrong ? 'auth.chosen' : 'auth.other';
      can(user.role, 'home.view') t('typo-namespace.key')`;
    assert.deepEqual(keysUsedIn(source, namespaces, capabilities).sort(), [
      'auth.chosen',
      'auth.other',
      'auth.sign-in.titel',
      'auth.two-factor.nope',
      'home.nope',
      'layout.bakc',
      'typo-namespace.key',
    ]);
  });

  test("each menu item's label is in the catalogue, its English the handbook's name in MENU", () => {
    const items = (list: MenuItem[]): MenuItem[] =>
      list.flatMap((item) => [item, ...items(item.children ?? [])]);
    for (const item of items(MENU)) {
      assert.equal(translate('en', menuLabelKey(item.href)), item.label, item.href);
    }
    const menuKeys = [...keys.keys()].filter((key) => key.startsWith('menu.')).sort();
    assert.deepEqual(menuKeys, [...new Set(items(MENU).map((item) => menuLabelKey(item.href)))].sort());
  });
});

describe('translated templates', () => {
  test('hold no text of their own outside t(): only the service name, numbers and punctuation', () => {
    for (const template of TRANSLATED_TEMPLATES) {
      const source = readFileSync(join(SRC_DIR, template), 'utf8');
      assert.deepEqual(hardCodedText(source, SAME_IN_EVERY_LANGUAGE), [], template);
    }
  });

  test('the check finds text between tags, in attributes people read, in macro parameters and in set', () => {
    const template = `{% extends "layout.njk" %}
      {% set title = "Page not found" %}
      {# A comment is not text #}
      <h1 class="govuk-heading-l">{{ t("errors.not-found.title") }}</h1>
      <p class="govuk-body">Go to the {{ t("menu.home") }} page, s2s 2026.</p>
      <nav aria-label="Language switcher"><a aria-label="{{ t('layout.back') }}" href="/">→</a></nav>
      {{ govukInput({ label: { text: "Username" }, id: "username", classes: "govuk-!-width-two-thirds govuk-input" }) }}
      {{ govukButton({ text: t("auth.sign-in.button"), hint: { text: "three lower words" } }) }}
      <script type="module">const hidden = "Not text";</script>`;
    assert.deepEqual(hardCodedText(template, SAME_IN_EVERY_LANGUAGE), [
      'Page not found',
      'Username',
      'three lower words',
      'Language switcher',
      'Go',
      'to',
      'the',
      'page',
    ]);
  });
});
