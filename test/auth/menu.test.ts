import assert from 'node:assert/strict';
import { test } from 'node:test';
import { menuFor, menuIn, menuOf, navigationAt } from '../../src/auth/menu.ts';

const activeAt = (path: string) =>
  navigationAt(menuOf('la_dba', 'en'), path)
    .filter((item) => item.active)
    .map((item) => item.text);

test('the header marks the section a page is in: its own page, its items and their pages', () => {
  assert.deepEqual(activeAt('/'), ['Home']);
  assert.deepEqual(activeAt('/download'), ['Download']);
  assert.deepEqual(activeAt('/download/ctf/monitor'), ['Download']);
  // Data Collections' items are /collect and /collect/manage, beside its own /collect/section.
  assert.deepEqual(activeAt('/collect/section'), ['Data Collections']);
  assert.deepEqual(activeAt('/collect'), ['Data Collections']);
  assert.deepEqual(activeAt('/collect/manage/new'), ['Data Collections']);
  assert.deepEqual(activeAt('/contacts'), ['Contacts']);
  // Only whole segments: /downloads is not under /download, and no page is under Home.
  assert.deepEqual(activeAt('/downloads'), []);
  assert.deepEqual(activeAt('/nowhere'), []);
});

test("each role's menu in each language is made once and is the role's menu in that language", () => {
  for (const language of ['en', 'cy'] as const) {
    const menu = menuOf('school', language);
    assert.equal(menuOf('school', language), menu, 'the same menu the second time');
    assert.deepEqual(menu, menuIn(language, menuFor('school')));
  }
  assert.notDeepEqual(menuOf('school', 'cy'), menuOf('school', 'en'));
  assert.notDeepEqual(menuOf('la_dba', 'en'), menuOf('school', 'en'));
  assert.deepEqual(
    navigationAt(menuOf('school', 'cy'), '/').map((item) => item.href),
    menuFor('school').map((item) => item.href),
  );
});
