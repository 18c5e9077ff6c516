// Every table on the service's pages is in a region that scrolls sideways (`tableScroll` in
// src/platform/web/views/macros.njk): a table fits 320 CSS pixels with the journeys' data, but real data
// (a long school or file name, a Welsh word, many columns) may not, and the page must not scroll sideways
// then (WCAG 1.4.10 Reflow). The journeys' reflow check measures the pages they visit; this reads them all.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function templates(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return templates(path);
    return name.endsWith('.njk') ? [path] : [];
  });
}

/** The tables of a template (an HTML table, or GOV.UK's macro) outside a `tableScroll` call, by line. */
function tablesOutsideRegions(template: string): number[] {
  const outside: number[] = [];
  let depth = 0;
  const tag = /{%-?\s*call tableScroll\(|{%-?\s*endcall\s*-?%}|<table\b|govukTable\(/g;
  for (const match of template.matchAll(tag)) {
    const text = match[0];
    if (/call tableScroll/.test(text)) depth += 1;
    else if (/endcall/.test(text)) depth = Math.max(0, depth - 1);
    else if (depth === 0) outside.push(template.slice(0, match.index).split('\n').length);
  }
  return outside;
}

test('the reader finds a table outside a region, and not one inside', () => {
  assert.deepEqual(tablesOutsideRegions('<p>x</p>\n<table class="govuk-table"></table>'), [2]);
  assert.deepEqual(tablesOutsideRegions('{{ govukTable({ rows: [] }) }}'), [1]);
  assert.deepEqual(
    tablesOutsideRegions('{% call tableScroll(t("x")) %}\n<table></table>\n{% endcall %}\n<table></table>'),
    [4],
  );
});

test("every table on the service's pages scrolls in a region of its own", () => {
  const outside = templates(SRC).flatMap((path) =>
    tablesOutsideRegions(readFileSync(path, 'utf8')).map((line) => `${relative(SRC, path)}:${line}`),
  );
  assert.deepEqual(outside, []);
});
