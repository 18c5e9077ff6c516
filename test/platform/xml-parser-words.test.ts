// The XML parser's own words in English and Welsh: every message saxes can fail with has a key of the
// catalogue, and the refusal of a badly formed document reads wholly in Welsh, and in English as before.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import ts from 'typescript';
import { type Language, message, translateMessage } from '../../src/platform/i18n/catalogue.ts';
import { parserMessage } from '../../src/platform/xml/parser-words.ts';
import { readXml, XmlError } from '../../src/platform/xml/reader.ts';

const SAXES = createRequire(import.meta.url).resolve('saxes');

/**
 * Every text saxes' source fails with: the argument of each `fail(...)` call, both sides of a condition,
 * each `${...}` in a template a sample (a constant of the module as its value, a quoted name as "sample",
 * any other name as Sample). An argument of another form fails the test, so none is missed.
 */
function saxesFailTexts(): string[] {
  const source = ts.createSourceFile(SAXES, readFileSync(SAXES, 'utf8'), ts.ScriptTarget.Latest, true);
  const constants = new Map<string, string>();
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (
        ts.isIdentifier(declaration.name) &&
        declaration.initializer &&
        ts.isStringLiteral(declaration.initializer)
      )
        constants.set(declaration.name.text, declaration.initializer.text);
    }
  }
  const sampleOf = (expression: ts.Expression): string => {
    if (ts.isIdentifier(expression) && constants.has(expression.text))
      return constants.get(expression.text) ?? '';
    return expression.getText().startsWith('JSON.stringify(') ? '"sample"' : 'Sample';
  };
  const textsOf = (node: ts.Expression): string[] => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
    if (ts.isTemplateExpression(node)) {
      return [
        node.head.text +
          node.templateSpans.map((span) => sampleOf(span.expression) + span.literal.text).join(''),
      ];
    }
    if (ts.isConditionalExpression(node)) return [...textsOf(node.whenTrue), ...textsOf(node.whenFalse)];
    if (ts.isParenthesizedExpression(node)) return textsOf(node.expression);
    throw new Error(`saxes fails with an argument this test cannot read: ${node.getText()}`);
  };
  const texts = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'fail'
    ) {
      const [argument] = node.arguments;
      assert.ok(argument, `a fail() call without a message: ${node.getText()}`);
      for (const text of textsOf(argument)) texts.add(text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...texts];
}

const malformed = (detail: string | ReturnType<typeof parserMessage>) => message('xml.malformed', { detail });

test("every message in saxes' source has a key, its English exactly saxes' and its Welsh another text", () => {
  const texts = saxesFailTexts();
  // The reading of the source found them all: plain, joined across lines, chosen by a condition, with names.
  assert.ok(texts.length >= 50, `only ${texts.length} messages read from saxes`);
  for (const known of [
    'unexpected close tag.',
    'unclosed tag: Sample',
    'unbound namespace prefix: "sample".',
    'encoding value must match /^[A-Za-z0-9][A-Za-z0-9._-]*$/.',
    'the default namespace may not be set to Sample.',
    'may not assign a prefix (even "xmlns") to the URI http://www.w3.org/2000/xmlns/.',
  ]) {
    assert.ok(texts.includes(known), `read from saxes: ${known}`);
  }
  const unknown = texts.filter((text) => typeof parserMessage(text) === 'string');
  assert.deepEqual(unknown, [], 'saxes messages that no xml.parser.* key recognises: add a key for each');
  for (const text of texts) {
    const detail = parserMessage(text);
    // Without saxes' final full stop: the line and column follow it (". (" was a full stop too many).
    assert.equal(
      translateMessage('en', malformed(detail)),
      `The file is not well-formed XML: ${text.replace(/\.$/, '')}`,
    );
    const welsh = translateMessage('cy', malformed(detail));
    assert.ok(!welsh.includes(text), `in Welsh: ${welsh}`);
  }
});

test('names from the file are parameters, shown as they are, whatever characters they hold', () => {
  assert.deepEqual(
    parserMessage('unclosed tag: Pupil'),
    message('xml.parser.unclosed-tag', { name: 'Pupil' }),
  );
  assert.deepEqual(
    parserMessage('unbound namespace prefix: "x".'),
    message('xml.parser.unbound-prefix', { prefix: 'x' }),
  );
  assert.deepEqual(
    parserMessage('duplicate attribute: a.b$(x).'),
    message('xml.parser.duplicate-attribute', { name: 'a.b$(x)' }),
  );
  assert.deepEqual(
    parserMessage('expected one of version, encoding, standalone'),
    message('xml.parser.declaration-expected-one-of', { names: 'version, encoding, standalone' }),
  );
});

test('a message of a later saxes that no key knows stays as saxes wrote it, but its final full stop, in either language', () => {
  const detail = parserMessage('a message saxes 7 might add.');
  assert.equal(detail, 'a message saxes 7 might add');
  assert.equal(
    translateMessage('cy', malformed(detail)),
    'Nid yw’r ffeil yn XML wedi’i ffurfio’n dda: a message saxes 7 might add',
  );
});

/** The refusal of a document, in each language. */
async function refusal(xml: string): Promise<Record<Language, string>> {
  try {
    await readXml(Buffer.from(xml), {});
  } catch (error) {
    assert.ok(error instanceof XmlError, String(error));
    assert.equal(error.problem, 'malformed');
    return { en: translateMessage('en', error.text), cy: translateMessage('cy', error.text) };
  }
  throw new Error(`read without a problem: ${xml}`);
}

/** Words English and Welsh spell alike, which the Welsh may hold. */
const SHARED_WORDS = new Set(['tag', 'data', 'xml']);

test('badly formed documents are refused in Welsh with none of saxes’ English, and in English as before', async () => {
  // The English as saxes wrote it, without the full stop it put before the line and column.
  const documents: { xml: string; en: string; cy: string; names?: string }[] = [
    {
      xml: '<?xml version="1.0"?>\n<CTfile>\n<Header>\n</CTfile>\n',
      en: 'The file is not well-formed XML: unexpected close tag (line 4, column 10)',
      cy: 'Nid yw’r ffeil yn XML wedi’i ffurfio’n dda: tag cau annisgwyl (llinell 4, colofn 10)',
    },
    {
      xml: '<CTfile><Pupil>',
      en: 'The file is not well-formed XML: unclosed tag: Pupil (line 1, column 16)',
      cy: 'Nid yw’r ffeil yn XML wedi’i ffurfio’n dda: tag heb ei gau: Pupil (llinell 1, colofn 16)',
      names: 'Pupil',
    },
    {
      xml: '<CTfile><Pupil id="1" id="2"/></CTfile>',
      en: 'The file is not well-formed XML: duplicate attribute: id (line 1, column 31)',
      cy: 'Nid yw’r ffeil yn XML wedi’i ffurfio’n dda: priodoledd ddyblyg: id (llinell 1, colofn 31)',
      names: 'id',
    },
    {
      xml: '<CTfile>]]></CTfile>',
      en: 'The file is not well-formed XML: the string "]]>" is disallowed in char data (line 1, column 12)',
      cy: 'Nid yw’r ffeil yn XML wedi’i ffurfio’n dda: ni chaniateir y llinyn “]]>” mewn data nodau (llinell 1, colofn 12)',
    },
    {
      xml: '<?xml version="1.0" foo="x"?><CTfile/>',
      en: 'The file is not well-formed XML: expected one of encoding, standalone (line 1, column 25)',
      cy: 'Nid yw’r ffeil yn XML wedi’i ffurfio’n dda: disgwylid un o’r canlynol: encoding, standalone (llinell 1, colofn 25)',
      names: 'encoding standalone',
    },
    {
      xml: '<CTfile>&nbsp;</CTfile>',
      en: 'The file is not well-formed XML: undefined entity (line 1, column 15)',
      cy: 'Nid yw’r ffeil yn XML wedi’i ffurfio’n dda: endid heb ei ddiffinio (llinell 1, colofn 15)',
    },
    {
      xml: '<CTfile/>\nnotes',
      en: 'The file is not well-formed XML: text data outside of root node (line 2, column 6)',
      cy: 'Nid yw’r ffeil yn XML wedi’i ffurfio’n dda: data testun y tu allan i’r elfen wraidd (llinell 2, colofn 6)',
    },
    {
      xml: '<CTfile/><CTfile/>',
      en: 'The file is not well-formed XML: documents may contain only one root (line 1, column 18)',
      cy: 'Nid yw’r ffeil yn XML wedi’i ffurfio’n dda: dim ond un elfen wraidd a all fod mewn dogfen (llinell 1, colofn 18)',
    },
  ];
  for (const document of documents) {
    const written = await refusal(document.xml);
    assert.equal(written.en, document.en);
    assert.equal(written.cy, document.cy);
    // Not one of saxes' own words is left in the Welsh, only the names from the file.
    const saxesWords = document.en
      .replace(/^The file is not well-formed XML: /, '')
      .replace(/ \(line \d+, column \d+\)$/, '')
      .toLowerCase()
      .match(/[a-z]{2,}/g);
    const names = new Set(document.names?.toLowerCase().split(' '));
    const welshWords = new Set(written.cy.toLowerCase().match(/[a-zâêîôûŵŷ]+/g));
    const left = (saxesWords ?? []).filter(
      (word) => !names.has(word) && !SHARED_WORDS.has(word) && welshWords.has(word),
    );
    assert.deepEqual(left, [], `saxes' English in the Welsh: ${written.cy}`);
  }
});
