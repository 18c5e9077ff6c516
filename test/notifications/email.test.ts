import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type EmailBlock,
  type EmailContext,
  MAX_SUBJECT_LENGTH,
  renderBilingualEmail,
  renderEmail,
  TEXT_WIDTH,
  wrap,
} from '../../src/notifications/email.ts';

const context: EmailContext = {
  serviceName: 's2s secure data transfer',
  serviceUrl: 'https://s2s.example.gov.uk',
  serviceDesk: { email: 'desk@example.gov.uk', telephone: '0300 123 4567' },
};

function render(blocks: EmailBlock[], subject = 'A subject', ctx = context) {
  return renderEmail({ subject, blocks }, ctx);
}

const HOSTILE = '9165402_<script>alert(1)</script>_&_"quoted"_\'x\'.XML';

describe('renderEmail: the HTML version', () => {
  test('is one complete small document in English, with inline styles only', () => {
    const { html } = render([{ kind: 'paragraph', text: 'Hello' }]);
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
    assert.match(html, /<meta charset="utf-8">/);
    assert.match(html, /<title>A subject<\/title>/);
    assert.match(html, /<\/body>\n<\/html>\n$/);
    assert.doesNotMatch(html, /<style|class=|<link|<script/i);
  });

  test('has a header bar with the service name and a footer: automatic, no reply, the service desk', () => {
    const { html } = render([{ kind: 'paragraph', text: 'Hello' }]);
    const header = html.indexOf('>s2s secure data transfer</td>');
    assert.ok(header > 0 && header < html.indexOf('Hello'), 'the service name heads the email');
    const footer = html.slice(html.indexOf('Hello'));
    assert.match(footer, /automatic email from s2s secure data transfer/);
    assert.match(footer, /Do not reply/);
    assert.match(footer, /<a href="mailto:desk@example\.gov\.uk"[^>]*>desk@example\.gov\.uk<\/a>/);
    assert.match(footer, /0300 123 4567/);
  });

  test('escapes every piece of text: paragraphs, lists, insets, tables, links, subject, context', () => {
    const hostileContext: EmailContext = {
      serviceName: 'Service <b>&</b>',
      serviceUrl: 'https://s2s.example.gov.uk',
      serviceDesk: { email: 'desk"@example.gov.uk', telephone: '<tel>' },
    };
    const { html } = render(
      [
        { kind: 'paragraph', text: HOSTILE },
        { kind: 'list', items: [HOSTILE] },
        { kind: 'inset', text: HOSTILE },
        { kind: 'table', caption: HOSTILE, head: [HOSTILE], rows: [[HOSTILE]] },
        { kind: 'link', text: HOSTILE, path: '/sent?show=rejected&sort=date' },
      ],
      HOSTILE,
      hostileContext,
    );
    assert.doesNotMatch(html, /<script|<b>|<tel>|alert\(1\)<\//);
    // The only raw '&' left are the starts of entities.
    assert.doesNotMatch(html, /&(?!(amp|lt|gt|quot|#39);)/);
    const escaped = '9165402_&lt;script&gt;alert(1)&lt;/script&gt;_&amp;_&quot;quoted&quot;_&#39;x&#39;.XML';
    // subject (title), paragraph, list item, inset, caption, header cell, data cell, link text
    assert.equal(html.split(escaped).length - 1, 8);
    assert.match(html, /href="https:\/\/s2s\.example\.gov\.uk\/sent\?show=rejected&amp;sort=date"/);
    assert.match(html, /Service &lt;b&gt;&amp;&lt;\/b&gt;/);
    assert.match(html, /mailto:desk&quot;@example\.gov\.uk/);
  });

  test('tables have a caption and column headers with scope="col"', () => {
    const { html } = render([
      {
        kind: 'table',
        caption: 'Files not downloaded',
        head: ['File', 'From', 'Uploaded'],
        rows: [
          ['a.XML', 'School A', '1 May 2026'],
          ['b.XML', 'School B', '2 May 2026'],
        ],
      },
    ]);
    assert.match(html, /<caption[^>]*>Files not downloaded<\/caption>/);
    assert.equal(html.match(/<th scope="col"/g)?.length, 3);
    assert.equal(html.match(/<th(?!ead| scope="col")/g), null);
    assert.equal(html.match(/<td style="[^"]*">/g)?.length, 6 + 2, 'six cells plus the two layout cells');
    assert.match(html, /<tr><td[^>]*>b\.XML<\/td><td[^>]*>School B<\/td><td[^>]*>2 May 2026<\/td><\/tr>/);
  });

  test('a table row with the wrong number of cells is a programming error', () => {
    assert.throws(() => render([{ kind: 'table', head: ['A', 'B'], rows: [['1']] }]), /1 cells.*2 columns/);
  });

  test('line breaks in a paragraph or inset are kept as <br>', () => {
    const { html } = render([{ kind: 'inset', text: 'First line\r\nSecond line' }]);
    assert.match(html, /<blockquote[^>]*>First line<br>Second line<\/blockquote>/);
  });
});

describe('renderEmail: links', () => {
  test('are the service address and the path, written out in full in both versions', () => {
    const { text, html } = render([{ kind: 'link', text: 'Download CTF Files:', path: '/download/ctf' }]);
    assert.match(text, /^Download CTF Files:\nhttps:\/\/s2s\.example\.gov\.uk\/download\/ctf$/m);
    assert.match(
      html,
      /Download CTF Files:<br><a href="https:\/\/s2s\.example\.gov\.uk\/download\/ctf"[^>]*>https:\/\/s2s\.example\.gov\.uk\/download\/ctf<\/a>/,
    );
  });

  test('a service address with a path or a trailing slash is joined with one slash', () => {
    const ctx = { ...context, serviceUrl: 'https://example.org/s2s/' };
    const { text } = render([{ kind: 'link', text: 'Go', path: '/sent' }], 'S', ctx);
    assert.match(text, /^https:\/\/example\.org\/s2s\/sent$/m);
  });

  test('a link must be a path on the service, not another site', () => {
    for (const path of ['//evil.example/x', 'https://evil.example/', 'sent', '/a b', '/\\evil.example']) {
      assert.throws(() => render([{ kind: 'link', text: 'Go', path }]), /not a path on the service/, path);
    }
  });

  test('a long address is never broken across lines in the text version', () => {
    const path = `/download/ctf?${'x'.repeat(100)}`;
    const { text } = render([{ kind: 'link', text: 'Go', path }]);
    assert.ok(text.split('\n').includes(`https://s2s.example.gov.uk${path}`));
  });
});

describe('renderEmail: the text version', () => {
  test('paragraphs are wrapped, lists bulleted, insets indented, blocks separated by a blank line', () => {
    const long = 'Check the pupils in the file before you accept it. '.repeat(6).trim();
    const { text } = render([
      { kind: 'paragraph', text: long },
      { kind: 'list', items: ['First reason', long] },
      { kind: 'inset', text: 'Not our pupil' },
    ]);
    const lines = text.split('\n');
    for (const line of lines) assert.ok(line.length <= TEXT_WIDTH, `too long: ${line}`);
    assert.equal(text.replace(/\s+/g, ' ').includes(long), true, 'all words kept, in order');
    assert.ok(lines.includes('• First reason'));
    const second = lines.findIndex((l) => l.startsWith('• Check'));
    assert.ok(lines[second + 1]?.startsWith('  ') && !lines[second + 1]?.startsWith('   '), 'hanging indent');
    assert.ok(lines.includes('    Not our pupil'));
    assert.match(text, /\n\n• First reason\n/);
  });

  test('a narrow table is aligned in columns', () => {
    const { text } = render([
      {
        kind: 'table',
        head: ['Number', 'Name', 'Emails not sent'],
        rows: [
          ['9165402', 'Green Lane Primary', '3'],
          ['916LLLL', 'Kent', '12'],
        ],
      },
    ]);
    assert.match(
      text,
      /^Number {4}Name {17}Emails not sent\n-{7} {3}-{18} {3}-{15}\n9165402 {3}Green Lane Primary {3}3\n916LLLL {3}Kent {17}12$/m,
    );
  });

  test('a table too wide for columns becomes "Label: value" lines, a group per row', () => {
    const file = '9165402_CTF_8171234_003.XML';
    const { text } = render([
      {
        kind: 'table',
        caption: 'Files',
        head: ['File', 'From', 'Uploaded'],
        rows: [
          [file, 'Green Lane Primary School with a long name (9165402)', '1 May 2026'],
          ['b.XML', 'Oak School (8171234)', '2 May 2026'],
        ],
      },
    ]);
    assert.match(
      text,
      new RegExp(
        `Files\n\nFile: ${file}\nFrom: Green Lane Primary School with a long name \\(9165402\\)\nUploaded: 1 May 2026\n\nFile: b\\.XML\n`,
      ),
    );
  });

  test('ends with the footer: automatic email, do not reply, how to reach the service desk', () => {
    const { text } = render([{ kind: 'paragraph', text: 'Hello' }]);
    const footer = text.slice(text.indexOf('Hello') + 5).replace(/\s+/g, ' ');
    assert.match(footer, /This is an automatic email from s2s secure data transfer\. Do not reply/);
    assert.match(footer, /service desk: email desk@example\.gov\.uk, telephone 0300 123 4567\./);
    assert.ok(text.endsWith('\n'));
  });

  test('control characters and bidirectional overrides are removed', () => {
    const { text, html } = render([{ kind: 'paragraph', text: 'a\u0000b\u0007c\u202Ed\u2066e\u001bf' }]);
    assert.match(text, /^abcdef$/m);
    assert.match(html, />abcdef</);
  });
});

describe('the subject', () => {
  test('is one line: CR, LF and other line breaks cannot add a mail header', () => {
    for (const breaker of ['\r\n', '\n', '\r', '\u2028', '\u0085', '\t']) {
      const { subject } = render([], `File rejected${breaker}Bcc: someone@example.com`);
      assert.equal(subject, 'File rejected Bcc: someone@example.com');
    }
  });

  test(`is at most ${MAX_SUBJECT_LENGTH} characters, cut at a word with an ellipsis`, () => {
    const { subject } = render([], `Your file was not uploaded: ${'word '.repeat(60)}`);
    assert.ok(subject.length <= MAX_SUBJECT_LENGTH, `${subject.length}`);
    assert.ok(subject.length > MAX_SUBJECT_LENGTH - 10);
    assert.match(subject, /word…$/);
    const unbroken = render([], 'x'.repeat(400)).subject;
    assert.equal(unbroken, `${'x'.repeat(MAX_SUBJECT_LENGTH - 1)}…`);
    assert.equal(render([], 'Short').subject, 'Short');
  });

  test('an empty subject falls back to the service name', () => {
    assert.equal(render([], ' \r\n ').subject, 's2s secure data transfer');
  });
});

describe('wrap', () => {
  test('keeps a word longer than the width whole and a day with its month', () => {
    assert.deepEqual(wrap(`a ${'x'.repeat(20)} b`, 10), ['a', 'x'.repeat(20), 'b']);
    assert.deepEqual(wrap('rejected it on 23 November 2026', 18), ['rejected it on', '23 November 2026']);
  });
});

describe('renderEmail in Welsh, and renderBilingualEmail', () => {
  const blocks: EmailBlock[] = [{ kind: 'paragraph', text: HOSTILE }];

  test('in Welsh: lang="cy", the footer in Welsh with the service desk’s address as a link', () => {
    const email = renderEmail({ subject: 'Pwnc', blocks }, context, 'cy');
    assert.equal(email.language, 'cy');
    assert.match(email.html, /^<!DOCTYPE html>\n<html lang="cy">/);
    assert.match(
      email.html,
      /e-bost <a href="mailto:desk@example\.gov\.uk"[^>]*>desk@example\.gov\.uk<\/a>, ffôn 0300 123 4567\./,
    );
    assert.match(
      email.text.replace(/\s+/g, ' '),
      /Neges e-bost awtomatig gan s2s secure data transfer yw hon\./,
    );
  });

  test('in both: Welsh then English, the subject one line of both, nothing unescaped', () => {
    const email = renderBilingualEmail(
      { subject: 'Pwnc\r\nBcc: someone@example.com', blocks },
      { subject: 'Subject', blocks },
      context,
    );
    assert.equal(email.subject, 'Pwnc Bcc: someone@example.com / Subject');
    assert.equal(email.language, 'cy, en');
    assert.doesNotMatch(email.html, /<script>/);
    assert.ok(email.html.indexOf('Neges e-bost awtomatig') < email.html.indexOf('<div lang="en">'));
    assert.ok(email.html.indexOf('<div lang="en">') < email.html.indexOf('This is an automatic email'));
    for (const line of email.text.split('\n')) {
      assert.ok(line.length <= TEXT_WIDTH || !line.includes(' '), line);
    }
    const long = renderBilingualEmail(
      { subject: 'a'.repeat(100), blocks },
      { subject: 'b'.repeat(100), blocks },
      context,
    );
    assert.ok(long.subject.length <= MAX_SUBJECT_LENGTH);
  });
});
