// The configuration reference stays true: every setting src/config.ts reads is described in
// docs/operations.md and in the README's Configuration table.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The variables of config.ts's environment schema: the keys of `z.object({ ... })`, two spaces in. */
function settingsOfConfig(): string[] {
  const source = read('src/config.ts');
  const start = source.indexOf('const environmentSchema = z.object({');
  const end = source.indexOf('\n});', start);
  assert.ok(start >= 0 && end > start, 'config.ts declares environmentSchema');
  return [...source.slice(start, end).matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((match) => String(match[1]));
}

test('every setting of config.ts is in docs/operations.md and the README', () => {
  const settings = settingsOfConfig();
  assert.ok(settings.length > 40, `found ${settings.length} settings`);
  assert.ok(settings.includes('MASTER_KEY_PREVIOUS_FILES'));
  for (const [path, text] of [
    ['docs/operations.md', read('docs/operations.md')],
    ['README.md', read('README.md')],
  ] as const) {
    const missing = settings.filter((name) => !text.includes(`\`${name}\``));
    assert.deepEqual(missing, [], `settings not described in ${path}`);
  }
});
