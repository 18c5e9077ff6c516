import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import nunjucks from 'nunjucks';
import { createViews } from '../../src/platform/web/views.ts';

test("the trim filter gives what Nunjucks' own gives, escaped or marked safe as it was", () => {
  const views = createViews();
  const plain = new nunjucks.Environment(null, { autoescape: true });
  const space = ' \t\n\r\v\f\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';
  const texts = [
    '',
    'a',
    `${space}a b${space}`,
    `${space}${space}`,
    `\n${' '.repeat(446)}<p>x &amp; y</p>\n  `,
  ];
  for (const text of texts) {
    for (const template of ['{{ text | trim }}', '{{ text | safe | trim }}', '{{ text | trim | length }}']) {
      assert.equal(views.renderString(template, { text }), plain.renderString(template, { text }), template);
    }
  }
  assert.equal(views.renderString('{{ text | safe | trim }}', { text: ' <b>x</b> ' }), '<b>x</b>');
  assert.equal(views.renderString('{{ text | trim }}', { text: ' <b>x</b> ' }), '&lt;b&gt;x&lt;/b&gt;');
});

test('a template imported without context runs once, its macros used again by every page; with context, each time', () => {
  const dir = mkdtempSync(join(tmpdir(), 's2s-views-'));
  try {
    // A top-level call in the imported template counts how many times the template itself is run.
    writeFileSync(
      join(dir, 'counted-macros.njk'),
      '{% set ignored = countRun() %}{% macro greet(name) %}Hello {{ name }}{% endmacro %}',
    );
    writeFileSync(join(dir, 'without.njk'), '{% from "counted-macros.njk" import greet %}{{ greet(who) }}');
    writeFileSync(
      join(dir, 'with.njk'),
      '{% from "counted-macros.njk" import greet with context %}{{ greet(who) }}',
    );
    // Any environment: views.ts sets Nunjucks' templates up so as it is loaded.
    const views = new nunjucks.Environment(new nunjucks.FileSystemLoader(dir), { autoescape: true });
    let runs = 0;
    views.addGlobal('countRun', () => {
      runs += 1;
      return '';
    });
    assert.equal(views.render('without.njk', { who: 'Ann' }), 'Hello Ann');
    assert.equal(views.render('without.njk', { who: '<Bo>' }), 'Hello &lt;Bo&gt;');
    assert.equal(views.render('without.njk', { who: 'Cy' }), 'Hello Cy');
    assert.equal(runs, 1);
    assert.equal(views.render('with.njk', { who: 'Di' }), 'Hello Di');
    assert.equal(views.render('with.njk', { who: 'Ed' }), 'Hello Ed');
    assert.equal(runs, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
