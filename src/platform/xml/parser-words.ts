// The XML parser's own words: each message saxes fails with, as a message of the catalogue
// (`xml.parser.*`), so the detail of a badly formed file reads in the reader's language. The English of
// each key is saxes' text without its final full stop, the names it quotes from the file as
// {placeholders}: that English is also the pattern that recognises the message, and English pages, the CLI
// and logs read as saxes wrote, except for that full stop, which came before the line and column (". (").
import { formOf, type Message, message, PLACEHOLDER } from '../i18n/catalogue.ts';

/** A key for each distinct message of saxes 6 (test/platform/xml-parser-words.test.ts reads them from saxes). */
const PARSER_KEYS = [
  'xml.parser.xml-prefix-binding',
  'xml.parser.xmlns-prefix-binding',
  'xml.parser.default-namespace',
  'xml.parser.xmlns-namespace-prefix',
  'xml.parser.xml-namespace-prefix',
  'xml.parser.write-after-close',
  'xml.parser.disallowed-character',
  'xml.parser.malformed-comment',
  'xml.parser.empty-entity-name',
  'xml.parser.tag-name-start',
  'xml.parser.text-outside-root',
  'xml.parser.misplaced-doctype',
  'xml.parser.incorrect-syntax',
  'xml.parser.pi-without-target',
  'xml.parser.pi-name-character',
  'xml.parser.declaration-not-at-start',
  'xml.parser.declaration-must-start',
  'xml.parser.declaration-incomplete',
  'xml.parser.declaration-no-more-pairs',
  'xml.parser.declaration-expected-name',
  'xml.parser.declaration-expected-one-of',
  'xml.parser.value-required',
  'xml.parser.value-unquoted',
  'xml.parser.version-number',
  'xml.parser.encoding-value',
  'xml.parser.standalone-value',
  'xml.parser.whitespace-required',
  'xml.parser.pi-before-root',
  'xml.parser.declaration-without-version',
  'xml.parser.question-mark-in-declaration',
  'xml.parser.second-root',
  'xml.parser.tag-name-character',
  'xml.parser.slash-in-opening-tag',
  'xml.parser.attribute-name-character',
  'xml.parser.attribute-without-value',
  'xml.parser.unquoted-attribute-value',
  'xml.parser.no-whitespace-between-attributes',
  'xml.parser.cdata-end-in-text',
  'xml.parser.closing-tag-character',
  'xml.parser.undefine-prefix',
  'xml.parser.no-root',
  'xml.parser.unclosed-tag',
  'xml.parser.unexpected-end',
  'xml.parser.malformed-name',
  'xml.parser.xmlns-tag-prefix',
  'xml.parser.unbound-prefix',
  'xml.parser.duplicate-attribute',
  'xml.parser.empty-close-tag',
  'xml.parser.unexpected-close-tag',
  'xml.parser.unmatched-closing-tag',
  'xml.parser.undefined-entity',
  'xml.parser.entity-name-character',
  'xml.parser.malformed-character-entity',
] as const;

/** A pattern matching exactly `english`, each {placeholder} a named group standing for any text. */
function patternOf(english: string): RegExp {
  // split() with a capturing group: the placeholders' names are at the odd indexes.
  const parts = english.split(PLACEHOLDER);
  const source = parts
    .map((part, index) => (index % 2 === 1 ? `(?<${part}>.*)` : part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

let patterns: [RegExp, string][] | undefined;

/**
 * saxes' message (without its "line:column: " prefix) as a message of the catalogue; a message none of
 * the keys knows (from a later saxes) is returned as it is, in English, so nothing is lost. Either way
 * without a final full stop: the line and column follow it.
 */
export function parserMessage(saxesText: string): Message | string {
  patterns ??= PARSER_KEYS.map((key) => [patternOf(formOf('en', key)), key]);
  const text = saxesText.replace(/\.$/, '');
  for (const [pattern, key] of patterns) {
    const match = pattern.exec(text);
    if (match) return message(key, match.groups && { ...match.groups });
  }
  return text;
}
