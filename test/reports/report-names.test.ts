// The reports' names (the Reports menu, each report's title) and headings are in Welsh on the Welsh pages:
// a Welsh text the same as its English is English left in (the Base User Report's was).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catalogue } from '../../src/platform/i18n/catalogue.ts';

/** Report names and the reports' headings: every one has Welsh words of its own. */
const NAMES_AND_HEADINGS = /^(menu\.reports(\.|$)|reports\.[\w.-]*\.(heading|title)(\.|$))/;

test('every report name and heading has Welsh that is not its English', () => {
  const keys = [...catalogue().translations.keys()].filter((key) => NAMES_AND_HEADINGS.test(key));
  // The menu's twelve reports and its own name, at least: a pattern matching nothing would prove nothing.
  assert.ok(keys.length >= 13, keys.join(', '));
  const untranslated = keys.filter((key) => {
    const text = catalogue().translations.get(key);
    return JSON.stringify(text?.en) === JSON.stringify(text?.cy);
  });
  assert.deepEqual(untranslated, []);
});
