import assert from 'node:assert/strict';
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
