import assert from 'node:assert/strict';
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { translateMessage } from '../../src/platform/i18n/catalogue.ts';
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
  'xxe-http-entity.xml': /DOCTYPE/,
  'dtd-only.xml': /DOCTYPE/,
  'billion-laughs.xml': /DOCTYPE/,
  'undeclared-entity.xml': /not well-formed/,
  'deep-nesting.xml': /nested more than 64 deep/,
  'truncated.xml': /not well-formed/,
  'invalid-utf8.xml': /not valid UTF-8/,
  'binary-garbage.xml': /not valid UTF-8|not well-formed|not XML/,
  'not-xml.csv.xml': /The file is not XML: an XML file starts with </,
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
    // Read from memory (as uploads are): refused the same way.
    await assert.rejects(
      readXml(readFileSync(join(HOSTILE, file)), {}),
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

/** What reading gives: every event, or the error's message (with its line and column). */
async function outcome(source: Parameters<typeof readXml>[0], limits = {}): Promise<string[]> {
  const events: string[] = [];
  try {
    await readXml(
      source,
      {
        open: (_name, attributes, path) =>
          void events.push(`<${path.join('/')} ${JSON.stringify(attributes)}`),
        text: (text) => void events.push(`"${text}`),
        close: (name) => void events.push(`</${name}`),
      },
      limits,
    );
    // Text may come in pieces: compare it joined.
    const joined: string[] = [];
    for (const event of events) {
      const previous = joined.length - 1;
      if (event.startsWith('"') && joined[previous]?.startsWith('"')) joined[previous] += event.slice(1);
      else joined.push(event);
    }
    return joined;
  } catch (error) {
    return [error instanceof XmlError ? `${error.problem}: ${error.message}` : String(error)];
  }
}

const PIECE = 64 * 1024;

test('a document in memory reads exactly as the same bytes arriving in one chunk, across its 64 KiB pieces', async () => {
  // Bytes around the first piece boundary, where reading in pieces could differ from reading at once.
  const around = fc.constantFrom(
    'x',
    ' ',
    '\r\n',
    'Siân',
    'Ŵ',
    '😀',
    '<B/>',
    '<C k="v">t</C>',
    '&amp;',
    '<!-- a<b -->',
    '<![CDATA[a<b]]>',
    ']]>',
    '</A>',
    '</A> junk ',
    '<',
    '\uFEFF',
  );
  const mutation = fc.oneof(
    fc.constant(null),
    fc.record({ at: fc.nat(200), byte: fc.constantFrom(0xff, 0xc3, 0x80, 0x00, 0x3c) }),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: PIECE - 80, max: PIECE + 20 }),
      fc.array(around, { maxLength: 40 }),
      mutation,
      fc.boolean(),
      async (filler, tail, mutate, truncate) => {
        let bytes = Buffer.from(`<?xml version="1.0"?>\n<A>${'y'.repeat(filler)}${tail.join('')}</A>\n`);
        if (mutate) {
          const at = Math.max(0, bytes.length - 1 - mutate.at);
          bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([mutate.byte]), bytes.subarray(at)]);
        }
        if (truncate) bytes = bytes.subarray(0, bytes.length - 3);
        const whole = await outcome(bytes);
        assert.deepEqual(whole, await outcome(Readable.from([bytes])));
        assert.deepEqual(
          await outcome(bytes, { maxTextLength: PIECE + 10 }),
          await outcome(Readable.from([bytes]), { maxTextLength: PIECE + 10 }),
        );
      },
    ),
    { numRuns: 150 },
  );
});

test('text outside the root element is reported at the same place, in memory or in one chunk', async () => {
  for (let shift = -6; shift <= 6; shift += 1) {
    const head = `<A>${'y'.repeat(PIECE - 10 + shift)}</A>`;
    const bytes = Buffer.from(`${head}\n junk and more junk <B/>`);
    const [message] = await outcome(bytes);
    assert.match(message ?? '', /text data outside of root node.*\(line 2, column \d+\)/);
    assert.deepEqual(await outcome(bytes), await outcome(Readable.from([bytes])), `shift ${shift}`);
  }
});

test('a character split by the 64 KiB boundary, or split across stream chunks, is read whole', async () => {
  for (let shift = -3; shift <= 3; shift += 1) {
    const bytes = Buffer.from(`<A>${'y'.repeat(PIECE - 4 + shift)}😀Ŵ</A>`);
    const events = await outcome(bytes);
    assert.equal(events.length, 3, `shift ${shift}`);
    assert.ok(events[1]?.endsWith('y😀Ŵ'), `shift ${shift}`);
  }
  // A stream chunk that ends in the middle of a character, then a chunk of plain ASCII: not UTF-8.
  const [message] = await outcome(
    Readable.from([Buffer.from([0x3c, 0x41, 0x3e, 0xc3]), Buffer.from('x</A>')]),
  );
  assert.match(message ?? '', /^encoding: The file is not valid UTF-8/);
});

test('in memory, bytes that are not UTF-8 are reported where the first one is', async () => {
  // An ISO-8859-1 file: its é is one byte, 0xE9, not UTF-8's two.
  const lines = Array.from({ length: 42 }, (_, i) => `  <Line>${i}</Line>`);
  const latin1 = Buffer.from(`<A>\n${lines.join('\n')}\n  <Name>Renée</Name>\n</A>`, 'latin1');
  const [message] = await outcome(latin1);
  assert.equal(
    message,
    'encoding: The file is not valid UTF-8 text: it was saved in another encoding, or it is damaged (line 44, column 12)',
  );
  // After characters of more than one byte, the column counts characters.
  const [afterWelsh] = await outcome(
    Buffer.concat([Buffer.from('<A>Ŵŵ😀'), Buffer.from([0xff]), Buffer.from('</A>')]),
  );
  assert.match(afterWelsh ?? '', /\(line 1, column 7\)$/);
  // Past a stream's first chunk the byte's place is not known: no position rather than a wrong one.
  const [streamed] = await outcome(Readable.from([Buffer.from('<A>\n<B/>\n'), latin1]));
  assert.equal(
    streamed,
    'encoding: The file is not valid UTF-8 text: it was saved in another encoding, or it is damaged',
  );
});

test('in memory, a file that ends in the middle of a character is refused as such, after the rest is read', async () => {
  const bytes = Buffer.concat([Buffer.from('<A>Si'), Buffer.from('â').subarray(0, 1)]);
  const [message] = await outcome(bytes);
  assert.match(message ?? '', /^(encoding: The file ends in the middle of a character|malformed)/);
  assert.deepEqual(await outcome(bytes), await outcome(Readable.from([bytes])));
  assert.deepEqual(await outcome(Buffer.alloc(0)), await outcome(Readable.from([Buffer.alloc(0)])));
  assert.match((await outcome(Buffer.alloc(0)))[0] ?? '', /^empty/);
});

/** The refusal of `source`: its problem, its English and Welsh, and its advice in both. */
async function refusal(source: Parameters<typeof readXml>[0]) {
  try {
    await readXml(source, {});
  } catch (error) {
    assert.ok(error instanceof XmlError, String(error));
    return {
      problem: error.problem,
      en: error.message,
      cy: translateMessage('cy', error.text),
      advice: error.advice && translateMessage('en', error.advice),
      adviceCy: error.advice && translateMessage('cy', error.advice),
    };
  }
  throw new Error('read without a problem');
}

const CTF_TEXT = `<?xml version="1.0" encoding="UTF-8"?>\n<CTfile>\n<Header><DocumentName>Common Transfer File</DocumentName></Header>\n<CTFpupilData><Pupil><Surname>O'Brien</Surname><Forename>Zoë</Forename></Pupil></CTFpupilData>\n</CTfile>\n`;

test('a file saved as UTF-16 (either byte order, with its byte-order mark) is refused as UTF-16, with how to get UTF-8', async () => {
  const little = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CTF_TEXT, 'utf16le')]);
  const big = Buffer.from(little);
  big.swap16();
  for (const bytes of [little, big, Buffer.from(CTF_TEXT, 'utf16le')]) {
    for (const source of [bytes, Readable.from([bytes])]) {
      const refused = await refusal(source);
      assert.equal(refused.problem, 'encoding');
      assert.equal(refused.en, 'The file is saved as UTF-16 text, and s2s takes XML files only in UTF-8');
      assert.match(refused.cy, /wedi’i chadw fel testun UTF-16/);
      assert.match(refused.advice ?? '', /Save it as UTF-8 from your MIS.*gives the same file.*text editor/);
      assert.match(refused.adviceCy ?? '', /golygydd testun/);
    }
  }
});

test('a file that says it is in ISO-8859-1 or windows-1252 and is, is refused naming that encoding, where its first such character is', async () => {
  for (const encoding of ['ISO-8859-1', 'windows-1252']) {
    const text = CTF_TEXT.replace('encoding="UTF-8"', `encoding="${encoding}"`);
    const bytes = Buffer.from(text, 'latin1');
    const refused = await refusal(bytes);
    assert.equal(refused.problem, 'encoding');
    assert.equal(
      refused.en,
      `The file says it is in ${encoding} (its first line has encoding="${encoding}"), and it holds characters that are not UTF-8, the only encoding s2s takes for XML files (line 4, column 60)`,
    );
    assert.match(
      refused.advice ?? '',
      new RegExp(`change encoding="${encoding}" on its first line to encoding="UTF-8"`),
    );
    assert.match(refused.cy, new RegExp(`yn dweud ei bod yn ${encoding}`));
    // Past a stream's first chunk too, without the place.
    const streamed = await refusal(Readable.from([bytes.subarray(0, 60), bytes.subarray(60)]));
    assert.match(streamed.en, new RegExp(`^The file says it is in ${encoding}`));
    // The same declaration over bytes that are UTF-8 (or ASCII alone) is read: the bytes are what count.
    assert.deepEqual(await outcome(Buffer.from(text)), await outcome(Buffer.from(CTF_TEXT)));
  }
  // No declaration: not UTF-8, and what to do about it.
  const undeclared = await refusal(Buffer.from(CTF_TEXT.replace(' encoding="UTF-8"', ''), 'latin1'));
  assert.match(undeclared.en, /^The file is not valid UTF-8 text: it was saved in another encoding/);
  assert.match(undeclared.advice ?? '', /text editor such as Notepad/);
});

test('a file that says it is an XML version other than 1.0 is refused, with what to do, before any of it is read', async () => {
  // XML 1.1 lets a character reference name a control character: here a terminal escape in a surname.
  const escaped = CTF_TEXT.replace("O'Brien", 'O&#x1B;[31mBrien');
  for (const declaration of ['version="1.1"', "version='1.1'", 'version="1.5"']) {
    const version = declaration.slice(9, -1);
    for (const text of [escaped, CTF_TEXT]) {
      const bytes = Buffer.from(text.replace('version="1.0"', declaration));
      for (const source of [bytes, Readable.from([bytes])]) {
        const refused = await refusal(source);
        assert.equal(refused.problem, 'version');
        assert.equal(
          refused.en,
          `The file says it is XML version ${version} (its first line has version="${version}"), and s2s takes only XML version 1.0, the version CTFs and census returns are made in (line 1, column ${declaration.length + 26})`,
        );
        assert.match(refused.cy, new RegExp(`yn XML fersiwn ${version.replace('.', '\\.')}`));
        assert.match(
          refused.advice ?? '',
          /^Save or export the file again from your MIS as XML version 1\.0/,
        );
        assert.match(
          refused.adviceCy ?? '',
          /^Cadwch neu allforiwch y ffeil eto o’ch MIS fel XML fersiwn 1\.0/,
        );
      }
    }
  }
  // Under 1.0's rules the escape is refused as it always was, and without a declaration 1.0 is assumed.
  assert.equal((await refusal(Buffer.from(escaped))).problem, 'malformed');
  assert.equal((await refusal(Buffer.from(escaped.replace(/^<\?xml[^>]*>/, '')))).problem, 'malformed');
});

test('a file that is not XML is refused as not XML, naming what its first bytes show it is', async () => {
  const kinds: [Buffer, string][] = [
    [
      Buffer.from('%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1'),
      'a PDF document',
    ],
    [
      Buffer.concat([Buffer.from('PK\u0003\u0004', 'latin1'), Buffer.alloc(40, 1)]),
      'a zip file, or an Office document such as .XLSX or .DOCX',
    ],
    [Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), 'an Excel or Word 97-2003 file'],
    [Buffer.concat([Buffer.from('MZ', 'latin1'), Buffer.alloc(60)]), 'a program'],
    [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), 'a PNG image'],
  ];
  for (const [bytes, kind] of kinds) {
    for (const source of [bytes, Readable.from([bytes])]) {
      const refused = await refusal(source);
      assert.equal(refused.problem, 'not-xml');
      assert.equal(refused.en, `The file is not XML: it is ${kind}`);
      assert.match(refused.advice ?? '', /Renaming a file to end in \.XML does not make it XML/);
      assert.match(refused.cy, /^Nid XML yw’r ffeil: /);
    }
  }
  // Text that does not start with "<" (after a byte-order mark and blank lines): a CSV, a report.
  const csv = await refusal(Buffer.from('\uFEFF\r\nUPN,Surname\nA123,Smith\n'));
  assert.equal(csv.en, 'The file is not XML: an XML file starts with <, and this one does not');
});
