// The fast way through a document in memory (plain-document.ts) against saxes: whatever it accepts,
// saxes must accept with the same events; whatever it gives up on, readXml must still read as saxes does.
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  emitPlainDocument,
  MAX_PLAIN_ATTRIBUTES,
  MAX_PLAIN_BYTES,
  releasePlainDocument,
  scanPlainDocument,
} from '../../src/platform/xml/plain-document.ts';
import {
  DEFAULT_XML_LIMITS,
  readXml,
  type XmlHandler,
  type XmlLimits,
} from '../../src/platform/xml/reader.ts';
import { syntheticCtf } from '../fixtures/ctf/generate.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

type Outcome = { events: string[] } | { error: string };

/** A handler that writes down every event, consecutive text joined (saxes may split it anywhere). */
function recorder(): { handler: XmlHandler; events: string[] } {
  const events: string[] = [];
  let text: string | null = null;
  const flush = () => {
    if (text !== null) events.push(`text ${JSON.stringify(text)}`);
    text = null;
  };
  return {
    events,
    handler: {
      open(name, attributes, path) {
        flush();
        events.push(`open ${name} ${JSON.stringify(attributes)} ${path.join('/')}`);
      },
      text(piece, path) {
        text = (text ?? `${path.join('/')}: `) + piece;
      },
      close(name, path) {
        flush();
        events.push(`close ${name} ${path.join('/')}`);
      },
    },
  };
}

/** What saxes makes of a document: a stream of one chunk never takes the fast way. */
async function bySaxes(data: Buffer, limits: Partial<XmlLimits> = {}): Promise<Outcome> {
  const { handler, events } = recorder();
  try {
    await readXml(Readable.from([data]), handler, limits);
    return { events };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** What readXml makes of the same bytes in memory (the fast way when it can). */
async function inMemory(data: Buffer, limits: Partial<XmlLimits> = {}): Promise<Outcome> {
  const { handler, events } = recorder();
  try {
    await readXml(data, handler, limits);
    return { events };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The fast way's events, or null when it gives the document to saxes. */
function byPlainReader(data: Buffer, limits: Partial<XmlLimits> = {}): string[] | null {
  const scanned = scanPlainDocument(data, { ...DEFAULT_XML_LIMITS, ...limits });
  if (scanned === null) return null;
  const { handler, events } = recorder();
  emitPlainDocument(scanned, handler);
  return events;
}

/** Checks one document: the fast way agrees with saxes, and readXml in memory with a stream. */
async function agrees(data: Buffer, limits: Partial<XmlLimits> = {}): Promise<'plain' | 'saxes'> {
  const saxes = await bySaxes(data, limits);
  if (isUtf8(data)) {
    const plain = byPlainReader(data, limits);
    if (plain !== null) {
      assert.deepEqual(
        saxes,
        { events: plain },
        `accepted by the fast way: ${JSON.stringify(data.toString())}`,
      );
      return 'plain';
    }
    // Small documents are one chunk either way, so every message is the same.
    assert.deepEqual(await inMemory(data, limits), saxes, JSON.stringify(data.toString()));
  }
  return 'saxes';
}

// Documents of the subset the fast way reads, generated.
const nameArb = fc
  .tuple(
    fc.constantFrom('A', 'b', 'Pupil', '_x', 'ns:Item', 'CTfile', 'Z'),
    fc.constantFrom('', '1', '.2', '-a', 'Name', ':y'),
  )
  .map(([start, rest]) => start + rest);
const textArb = fc
  .array(
    fc.constantFrom(
      'plain',
      ' ',
      '\n    ',
      // Indentation the fast way skips four spaces at a time, with some over.
      '\n         ',
      '\r\n  ',
      '\r',
      '\t',
      'é',
      'Zoë',
      '😀',
      '&amp;',
      '&lt;',
      '&gt;',
      '&quot;',
      '&apos;',
      '&#233;',
      '&#x1F600;',
      '&#13;',
      '&#10;',
      ']',
      ']]',
      '>',
      '"',
      "'",
      '=',
      '/',
      '\u00a0',
      '\u2028',
    ),
    { maxLength: 6 },
  )
  // "]]>" may not be in text; a text ending in "]" could make it with the text after it.
  .map((parts) => parts.join('').replaceAll(']]>', ']]z>').replace(/\]$/, ']z'));
const attributeValueArb = fc
  .array(fc.constantFrom('v', ' ', 'é', '>', ']', '/', '=', '😀', 'a b'), { maxLength: 4 })
  .map((parts) => parts.join(''));

const elementArb: fc.Memo<string> = fc.memo((depth) =>
  fc
    .tuple(
      nameArb,
      fc.uniqueArray(fc.tuple(nameArb, attributeValueArb, fc.boolean()), {
        maxLength: 3,
        selector: ([name]) => name,
      }),
      fc.array(
        depth <= 1
          ? textArb
          : fc.oneof(
              { weight: 3, arbitrary: textArb },
              { weight: 3, arbitrary: elementArb(depth - 1) },
              { weight: 1, arbitrary: fc.constantFrom('<!-- a comment -->', '<!---->', '<!-- é - x -->') },
              {
                weight: 1,
                arbitrary: fc.constantFrom(
                  '<![CDATA[x < y & z]]>',
                  '<![CDATA[]]>',
                  '<![CDATA[a\r\nb ]] ]>]]>',
                ),
              },
            ),
        { maxLength: 4 },
      ),
      fc.constantFrom('', ' ', '\n  '),
    )
    .map(([name, attributes, children, space]) => {
      const written = attributes
        .map(([attribute, value, single]) =>
          single ? ` ${attribute}='${value}'` : ` ${attribute}="${value}"`,
        )
        .join('');
      return children.length === 0 && space === ''
        ? `<${name}${written}/>`
        : `<${name}${written}${space}>${children.join('')}</${name}${space}>`;
    }),
);
const documentArb = fc
  .tuple(
    fc.constantFrom('', '\uFEFF', '\r\n\r\n', ' \n'),
    fc.constantFrom(
      '',
      '<?xml version="1.0"?>',
      '<?xml version="1.0" encoding="UTF-8"?>\n',
      "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\r\n",
      '<?xml version="1.0" standalone="no"?>',
    ),
    fc.constantFrom('', '<!-- before -->\n', '\n'),
    elementArb(4),
    fc.constantFrom('', '\n', '<!-- after -->', ' \r\n'),
  )
  .map((parts) => Buffer.from(parts.join('')));

test('the fast way reads every generated document of its subset, with the events saxes gives', async () => {
  await fc.assert(
    fc.asyncProperty(documentArb, async (data) => {
      assert.equal(await agrees(data), 'plain', JSON.stringify(data.toString()));
    }),
    { numRuns: 400 },
  );
});

// Edits that break documents in the ways hand-edited and badly exported files are broken.
const EDIT_BYTES = [
  ...'<>&;/!?-[]"\'=:#xaZ09 \t\n\r'.split('').map((c) => [c.charCodeAt(0)]),
  [0x00],
  [0x0b],
  [0x7f],
  [0xc3, 0xa9],
  [0xef, 0xbf, 0xbe],
  [0xc3],
  [0xe2, 0x80, 0xa8],
];
const editArb = fc.tuple(
  fc.constantFrom('delete', 'insert', 'replace', 'repeat'),
  fc.nat(),
  fc.constantFrom(...EDIT_BYTES),
  fc.nat({ max: 12 }),
);

test('whatever the fast way accepts of broken documents, saxes accepts with the same events', async () => {
  const seen = { plain: 0, saxes: 0 };
  await fc.assert(
    fc.asyncProperty(documentArb, fc.array(editArb, { minLength: 1, maxLength: 3 }), async (data, edits) => {
      let bytes = [...data];
      for (const [kind, position, insert, length] of edits) {
        const at = bytes.length === 0 ? 0 : position % bytes.length;
        if (kind === 'delete') bytes.splice(at, Math.max(1, length % 4));
        else if (kind === 'insert') bytes.splice(at, 0, ...insert);
        else if (kind === 'replace') bytes.splice(at, 1, ...insert);
        else bytes = [...bytes.slice(0, at + length), ...bytes.slice(at)];
      }
      seen[await agrees(Buffer.from(bytes))] += 1;
    }),
    { numRuns: 3000 },
  );
  // Both ways must have been taken, or the property said nothing about one of them.
  assert.ok(seen.plain > 100 && seen.saxes > 100, JSON.stringify(seen));
});

test('the limits: a document over one is given to saxes, which refuses it as before', async () => {
  const nested = Buffer.from(`${'<a>'.repeat(5)}x${'</a>'.repeat(5)}`);
  assert.equal(await agrees(nested, { maxDepth: 5 }), 'plain');
  assert.equal(await agrees(nested, { maxDepth: 4 }), 'saxes');
  assert.match(JSON.stringify(await inMemory(nested, { maxDepth: 4 })), /more than 4/);
  const siblings = Buffer.from(`<r>${'<b/>'.repeat(9)}</r>`);
  assert.equal(await agrees(siblings, { maxElements: 10 }), 'plain');
  assert.equal(await agrees(siblings, { maxElements: 9 }), 'saxes');
  const long = Buffer.from(`<r>${'x'.repeat(100)}</r>`);
  assert.equal(await agrees(long, { maxTextLength: 100 }), 'plain');
  assert.equal(await agrees(long, { maxTextLength: 99 }), 'saxes');
});

test('an element of more than MAX_PLAIN_ATTRIBUTES attributes is left to saxes, which reads it', async () => {
  const element = (count: number) =>
    Buffer.from(`<a${Array.from({ length: count }, (_, n) => ` b${n}="${n}"`).join('')}>x</a>`);
  assert.notEqual(byPlainReader(element(MAX_PLAIN_ATTRIBUTES)), null);
  const many = element(MAX_PLAIN_ATTRIBUTES + 1);
  assert.equal(byPlainReader(many), null);
  const outcome = await inMemory(many);
  assert.ok('events' in outcome, JSON.stringify(outcome));
  assert.deepEqual(outcome, await bySaxes(many));
});

test('a document over MAX_PLAIN_BYTES is left to saxes', async () => {
  const data = Buffer.alloc(MAX_PLAIN_BYTES + 1, ' ');
  data.write('<a>x</a>');
  assert.equal(byPlainReader(data), null);
  assert.notEqual(byPlainReader(data.subarray(0, MAX_PLAIN_BYTES)), null);
});

test('what the fast way leaves to saxes is still read, or refused with saxes’ message', async () => {
  const cases: [string, 'read' | RegExp][] = [
    ['<?xml version="1.1"?><a>x</a>', /says it is XML version 1\.1/],
    ['<?xml-stylesheet href="a.xsl"?><a/>', 'read'],
    ['<a><?pi data?></a>', 'read'],
    ['<Élève>x</Élève>', 'read'],
    ['<a b="x\ty"/>', 'read'],
    ['<a b="x &amp; y"/>', 'read'],
    ['<?xml version = "1.0"?><a/>', 'read'],
    ['<!DOCTYPE a><a/>', /DOCTYPE/],
    ['<a>&nbsp;</a>', /undefined entity|entity/i],
    ['<a>x</b>', /unexpected close tag|b/],
    ['<a>]]></a>', /]]>/],
    ['<a/><b/>', /root/],
    ['<a x="1" x="2"/>', /duplicate attribute/],
    ['<a>&#0;</a>', /character/],
    ['<a>&#xD800;</a>', /malformed character entity/],
    ['<a><!-- \uFFFE --></a>', /disallowed character/],
    ['<a><!-- \u0001 --></a>', /disallowed character/],
    ['<a><![CDATA[\uFFFF]]></a>', /disallowed character/],
    ['<a><![CDATA[\u0001]]></a>', /disallowed character/],
    ['<a>\u0001</a>', /disallowed character/],
    ['<a></ab>', /unexpected close tag/],
    ['<a x="1"y="2"/>', /no whitespace between attributes/],
  ];
  for (const [xml, expected] of cases) {
    const data = Buffer.from(xml);
    assert.equal(byPlainReader(data), null, xml);
    const outcome = await inMemory(data);
    assert.deepEqual(outcome, await bySaxes(data), xml);
    if (expected === 'read') assert.ok('events' in outcome, `${xml}: ${JSON.stringify(outcome)}`);
    else assert.match('error' in outcome ? outcome.error : '', expected, xml);
  }
});

test('real files take the fast way: every CTF and census fixture that saxes reads, and a 4 MB CTF', async () => {
  const files = ['ctf', 'census']
    .flatMap((dir) => readdirSync(join(FIXTURES, dir)).map((name) => join(FIXTURES, dir, name)))
    .filter((file) => /\.xml$/i.test(file));
  assert.ok(files.length >= 5, files.join());
  for (const file of files) {
    const data = readFileSync(file);
    if ('error' in (await bySaxes(data))) continue;
    assert.equal(await agrees(data), 'plain', file);
  }
  assert.equal(await agrees(Buffer.from(syntheticCtf(417))), 'plain');
});

test('a document read while another is handed out does not disturb it, and the token arrays are reused after', async () => {
  const large = Buffer.from(syntheticCtf(3));
  const small = Buffer.from('<a><b x="1">t &amp; u</b><c/></a>');
  const expectedLarge = await bySaxes(large);
  const expectedSmall = await bySaxes(small);
  // Read once whole, so its token array is kept for the next document.
  assert.deepEqual(await inMemory(large), expectedLarge);

  const outer = scanPlainDocument(large, DEFAULT_XML_LIMITS);
  assert.ok(outer !== null);
  const outerRecord = recorder();
  const innerRecord = recorder();
  let innerRead = false;
  const handler: XmlHandler = {
    ...outerRecord.handler,
    open(name, attributes, path) {
      if (!innerRead) {
        innerRead = true;
        const inner = scanPlainDocument(small, DEFAULT_XML_LIMITS);
        assert.ok(inner !== null);
        emitPlainDocument(inner, innerRecord.handler);
        releasePlainDocument(inner);
      }
      outerRecord.handler.open?.(name, attributes, path);
    },
  };
  emitPlainDocument(outer, handler);
  releasePlainDocument(outer);
  assert.deepEqual({ events: outerRecord.events }, expectedLarge);
  assert.deepEqual({ events: innerRecord.events }, expectedSmall);

  // A smaller document in a larger one's array, then the larger again.
  assert.deepEqual(await inMemory(small), expectedSmall);
  assert.deepEqual(await inMemory(large), expectedLarge);
});

test('hostile files never take the fast way', async () => {
  const dir = join(FIXTURES, 'hostile');
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.xml'))) {
    const data = readFileSync(join(dir, name));
    assert.equal(isUtf8(data) ? byPlainReader(data) : null, null, name);
    assert.ok('error' in (await inMemory(data)), name);
  }
});

test('a handler that wants the text of some elements only gets theirs, whichever way the document is read', async () => {
  const body = '<r><keep>a &amp; b</keep><skip>c</skip><keep><skip>d</skip>e</keep><![CDATA[f]]></r>';
  for (const xml of [body, `<?xml-stylesheet href="a.xsl"?>${body}`]) {
    const data = Buffer.from(xml);
    const texts: string[] = [];
    const handler: XmlHandler = {
      wantsText: (path) => path.at(-1) === 'keep',
      text: (text, path) => {
        texts.push(`${path.at(-1)}:${text}`);
      },
    };
    await readXml(data, handler);
    assert.deepEqual(texts, ['keep:a & b', 'keep:e'], xml);
  }
  assert.notEqual(byPlainReader(Buffer.from(body)), null, 'the first is read the fast way');
  assert.equal(
    byPlainReader(Buffer.from(`<?xml-stylesheet href="a.xsl"?>${body}`)),
    null,
    'the second by saxes',
  );
});

/** A handler that writes down each event with its depth, consecutive text joined, reading inside the elements `readsInside` says. */
function leveled(readsInside?: (path: readonly string[]) => boolean): {
  handler: XmlHandler;
  events: [number, string][];
} {
  const events: [number, string][] = [];
  const handler: XmlHandler = {
    open(name, attributes, path) {
      events.push([path.length, `open ${name} ${JSON.stringify(attributes)}`]);
    },
    text(text, path) {
      const last = events.at(-1);
      if (last?.[0] === path.length && last[1].startsWith('text ')) last[1] += text;
      else events.push([path.length, `text ${text}`]);
    },
    close(name, path) {
      events.push([path.length, `close ${name}`]);
    },
    ...(readsInside === undefined ? {} : { readsInside }),
  };
  return { handler, events };
}

/** The events of `data` read both ways by a handler that reads inside the elements `readsInside` says. */
async function readBothWays(data: Buffer, readsInside: (path: readonly string[]) => boolean) {
  const bySaxes = leveled(readsInside);
  await readXml(Readable.from([data]), bySaxes.handler);
  const scanned = scanPlainDocument(data, DEFAULT_XML_LIMITS);
  assert.ok(scanned !== null);
  const fast = leveled(readsInside);
  emitPlainDocument(scanned, fast.handler);
  releasePlainDocument(scanned);
  return { saxes: bySaxes.events, fast: fast.events };
}

test('a handler that reads only the outer levels of elements gets their events alone, whichever way the document is read', async () => {
  for (const xml of [syntheticCtf(3), '<r a="1"><x>t<y b="2">u &amp; <z c="3"/>v</y>w</x><x/>tail</r>']) {
    const data = Buffer.from(xml);
    const all = leveled();
    await readXml(Readable.from([data]), all.handler);
    assert.ok(
      all.events.some(([depth]) => depth > 3),
      'the document is deeper than the depths read',
    );
    for (const depth of [1, 2, 3, 6]) {
      // The elements at `depth` open and close, with nothing of what is inside them.
      const expected = all.events.filter(
        ([level, event]) => level < depth || (level === depth && !event.startsWith('text ')),
      );
      const { saxes, fast } = await readBothWays(data, (path) => path.length < depth);
      assert.deepEqual(saxes, expected, `saxes, ${depth} levels`);
      assert.deepEqual(fast, expected, `the fast way, ${depth} levels`);
    }
  }
});

test('a handler that does not read inside some elements gets nothing of them but their open and close, whichever way the document is read', async () => {
  const small = Buffer.from('<r a="1"><x>t<y b="2">u &amp; <z c="3"/>v</y>w</x><y/><x/>tail</r>');
  const notY = await readBothWays(small, (path) => path.at(-1) !== 'y');
  const expected: [number, string][] = [
    [1, 'open r {"a":"1"}'],
    [2, 'open x {}'],
    [2, 'text t'],
    [3, 'open y {"b":"2"}'],
    [3, 'close y'],
    [2, 'text w'],
    [2, 'close x'],
    [2, 'open y {}'],
    [2, 'close y'],
    [2, 'open x {}'],
    [2, 'close x'],
    [1, 'text tail'],
    [1, 'close r'],
  ];
  assert.deepEqual(notY.saxes, expected);
  assert.deepEqual(notY.fast, expected);
  // A pupil's attendance and contacts, skipped in a CTF: the rest of each pupil is read as before.
  const ctf = Buffer.from(syntheticCtf(3));
  const skipped = new Set(['Attendance', 'Contacts']);
  const some = await readBothWays(ctf, (path) => !skipped.has(path.at(-1) as string));
  assert.deepEqual(some.saxes, some.fast);
  const opened = some.fast
    .filter(([, event]) => event.startsWith('open '))
    .map(([, event]) => event.split(' ')[1]);
  assert.equal(opened.filter((name) => name === 'Attendance').length, 3);
  assert.ok(
    !opened.includes('YearData') && !opened.includes('Contact'),
    'nothing inside them is handed over',
  );
  assert.ok(opened.includes('StageAssessment') && opened.includes('BS7666Address'));
});

test('a start tag is read by its own name where another name, the start or the whole of it, came last time', async () => {
  // After <x>, <a> the first time: the next <x> holds <ab>, then <a> again, then <ab-c>.
  for (const xml of [
    '<r><x><a/></x><x><ab/></x><x><a/></x><x><ab-c k="1">t</ab-c></x></r>',
    '<r><x><ab/></x><x><a/></x><x><ab/></x></r>',
  ]) {
    assert.equal(await agrees(Buffer.from(xml)), 'plain', xml);
  }
});
