import assert from 'node:assert/strict';
import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { readXml, XmlError } from '../../src/platform/xml/reader.ts';

const HOSTILE = join(import.meta.dirname, '..', 'fixtures', 'hostile');

/** Collects element paths and the trimmed text of each leaf. */
async function collect(xml: string | Buffer, limits = {}) {
  const texts: Record<string, string> = {};
  const opened: string[] = [];
  await readXml(
    Readable.from([typeof xml === 'string' ? Buffer.from(xml) : xml]),
    {
      open: (_name, _attributes, path) => {
        opened.push(path.join('/'));
      },
      text: (text, path) => {
        const key = path.join('/');
        texts[key] = (texts[key] ?? '') + text;
      },
    },
    limits,
  );
  return { texts, opened };
}

test('reads elements and text with their paths', async () => {
  const { texts, opened } = await collect(
    '<?xml version="1.0"?><CTfile><Header><Version>25.0</Version></Header></CTfile>',
  );
  assert.deepEqual(opened, ['CTfile', 'CTfile/Header', 'CTfile/Header/Version']);
  assert.equal(texts['CTfile/Header/Version'], '25.0');
});

test('tolerates a byte-order mark, blank lines and CRLF before and inside the document', async () => {
  const { texts } = await collect('\uFEFF\r\n\r\n<?xml version="1.0"?>\r\n<A>\r\n  <B> x </B>\r\n</A>\r\n');
  assert.equal(texts['A/B'], ' x ');
});

test('text split across chunks and multi-byte characters split across chunks are read whole', async () => {
  const bytes = Buffer.from('<A><B>Siân Ŵyn</B></A>');
  const chunks = [...bytes].map((b) => Buffer.from([b]));
  const texts: string[] = [];
  await readXml(Readable.from(chunks), { text: (t) => texts.push(t) });
  assert.equal(texts.join(''), 'Siân Ŵyn');
});

const expectations: Record<string, RegExp> = {
  'xxe-external-entity.xml': /DOCTYPE/,
  'billion-laughs.xml': /DOCTYPE/,
  'undeclared-entity.xml': /not well-formed/,
  'deep-nesting.xml': /nested more than 64 deep/,
  'truncated.xml': /not well-formed/,
  'invalid-utf8.xml': /not valid UTF-8/,
  'binary-garbage.xml': /not valid UTF-8|not well-formed/,
  'not-xml.csv.xml': /not well-formed|no XML elements/,
  'empty.xml': /empty/,
};

test('every file of the hostile corpus is refused with a reason', async () => {
  const files = readdirSync(HOSTILE).filter((f) => f.endsWith('.xml'));
  assert.deepEqual(files.sort(), Object.keys(expectations).sort(), 'each corpus file has an expectation');
  for (const file of files) {
    await assert.rejects(
      readXml(createReadStream(join(HOSTILE, file)), {}),
      (error: unknown) => error instanceof XmlError && (expectations[file] as RegExp).test(error.message),
      file,
    );
  }
});

test('errors carry the line and column', async () => {
  await assert.rejects(collect('<?xml version="1.0"?>\n<A>\n  <B></C>\n</A>'), (error: unknown) => {
    assert.ok(error instanceof XmlError);
    assert.equal(error.line, 3);
    assert.match(error.message, /line 3, column \d+/);
    return true;
  });
});

test('size, element count and text length caps', async () => {
  await assert.rejects(collect(`<A>${'x'.repeat(2000)}</A>`, { maxBytes: 1000 }), /larger than/);
  await assert.rejects(collect(`<A>${'<B/>'.repeat(20)}</A>`, { maxElements: 10 }), /more than 10 elements/);
  await assert.rejects(
    collect(`<A>${'x'.repeat(200)}</A>`, { maxTextLength: 100 }),
    /longer than 100 characters/,
  );
});
