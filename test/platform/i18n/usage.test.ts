// Every key code and templates use is in the catalogue, and the pages translated so far hold no text
// of their own outside t().
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DESCRIPTION_KEYS, MENU, type MenuItem, menuLabelKey } from '../../../src/auth/menu.ts';
import { CAPABILITIES, ROLE_LABEL_KEYS, ROLE_LABELS, ROLES } from '../../../src/auth/permissions.ts';
import { catalogue, translate } from '../../../src/platform/i18n/catalogue.ts';
import { hardCodedText, keysUsedIn, SRC_DIR, sourceFiles } from '../../support/i18n.ts';

/** The templates translated so far (issue 13): add each page here as its feature is translated. */
const TRANSLATED_TEMPLATES = [
  'platform/web/views/layout.njk',
  'platform/web/views/macros.njk',
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
  'home/views/contacts.njk',
  'home/views/school-details.njk',
  'accessibility/views/accessibility.njk',
  'messaging/views/inbox.njk',
  'messaging/views/message.njk',
  'messaging/views/reply.njk',
  'messaging/views/send-template.njk',
  'messaging/views/send-recipients.njk',
  'messaging/views/recipient-picker.njk',
  'messaging/views/send-compose.njk',
  'messaging/views/sent.njk',
  'messaging/views/sent-message.njk',
  'messaging/views/message-report.njk',
  'messaging/views/group-list.njk',
  'messaging/views/group-form.njk',
  'messaging/views/group-delete.njk',
  'messaging/views/template-list.njk',
  'messaging/views/template-add.njk',
  'messaging/views/template-view.njk',
  'messaging/views/template-delete-list.njk',
  'messaging/views/template-delete.njk',
  'messaging/views/template-macros.njk',
  'notifications/views/admin-macros.njk',
  'notifications/views/admin-notifications.njk',
  'notifications/views/admin-notification.njk',
  'notifications/views/admin-jobs.njk',
  'auth/views/two-factor.njk',
  'auth/views/two-factor-set-up.njk',
  'auth/views/recovery-codes.njk',
  'auth/views/recovery-codes-new.njk',
  'auth/views/two-factor-turn-off.njk',
  'auth/views/oidc-problem.njk',
  'accounts/views/list.njk',
  'accounts/views/choose-la.njk',
  'accounts/views/add.njk',
  'accounts/views/user.njk',
  'accounts/views/role.njk',
  'accounts/views/password.njk',
  'accounts/views/two-factor-reset.njk',
  'accounts/views/single-sign-on-unlink.njk',
  'accounts/views/delete.njk',
  'directory/views/finder.njk',
  'directory/views/schools.njk',
  'directory/views/la-picker.njk',
  'directory/views/status-tag.njk',
  'directory/views/school.njk',
  'directory/views/school-fields.njk',
  'directory/views/school-add.njk',
  'directory/views/school-delete.njk',
  'directory/views/la-details.njk',
  'directory/views/audit.njk',
  'platform/web/views/section.njk',
  'reports/views/macros.njk',
  'reports/views/directory-macros.njk',
  'reports/views/usage.njk',
  'reports/views/file-movement.njk',
  'reports/views/cluster.njk',
  'reports/views/deleted-ctfs.njk',
  'reports/views/lost-pupil-numbers.njk',
  'reports/views/lost-pupils-uploaded.njk',
  'reports/views/lost-pupils-downloaded.njk',
  'reports/views/directory-users.njk',
  'reports/views/directory-schools.njk',
  'reports/views/directory-base-users.njk',
  'api/views/tokens.njk',
  'api/views/token-new.njk',
  'api/views/token-created.njk',
  'api/views/dba-tokens.njk',
  'api/views/docs.njk',
  'lost-pupils/views/search.njk',
  'lost-pupils/views/record.njk',
  'lost-pupils/views/download.njk',
  'lost-pupils/views/check.njk',
  'lost-pupils/views/forward.njk',
  'lost-pupils/views/forward-check.njk',
  'lost-pupils/views/macros.njk',
  'lost-pupils/views/matches.njk',
  'lost-pupils/views/review-list.njk',
  'lost-pupils/views/review-confirm.njk',
  'lost-pupils/views/review-macros.njk',
  'collect/views/my-collections.njk',
  'collect/views/school-collection.njk',
  'collect/views/upload-return.njk',
  'collect/views/upload-result.njk',
  'collect/views/return.njk',
  'collect/views/finding-macros.njk',
  'collect/views/submit.njk',
  'collect/views/pupils.njk',
  'collect/views/summary.njk',
  'collect/views/dashboard.njk',
  'collect/views/return-to-school.njk',
  'collect/views/bulk-form.njk',
  'collect/views/bulk-result.njk',
  'collect/views/approved.njk',
  'collect/views/manage-list.njk',
  'collect/views/collection-form.njk',
  'collect/views/macros.njk',
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

  test("each menu item's description is in the catalogue, its English the description in MENU", () => {
    const items = (list: MenuItem[]): MenuItem[] =>
      list.flatMap((item) => [item, ...items(item.children ?? [])]);
    for (const item of items(MENU).filter((each) => each.description)) {
      const key = DESCRIPTION_KEYS[item.href];
      assert.ok(key, `${item.href} has a description key`);
      assert.equal(translate('en', key), item.description, item.href);
    }
  });

  test("each role's name is in the catalogue, its English the handbook's name in ROLE_LABELS", () => {
    for (const role of ROLES) assert.equal(translate('en', ROLE_LABEL_KEYS[role]), ROLE_LABELS[role], role);
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
