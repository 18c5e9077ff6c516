// Checks of the message catalogue's use: which keys code and templates name, and which converted
// templates still hold text of their own instead of t(...).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SRC_DIR = join(import.meta.dirname, '..', '..', 'src');

/** Every .ts and .njk file under src/, as [path relative to src/, content]. */
export function sourceFiles(): [string, string][] {
  return readdirSync(SRC_DIR, { recursive: true, encoding: 'utf8' })
    .filter((path) => /\.(ts|njk)$/.test(path))
    .sort()
    .map((path) => [path, readFileSync(join(SRC_DIR, path), 'utf8')]);
}

const LITERAL = String.raw`(['"])([^'"\n]+)\1`;
/** t('key'), request.t("key"), message('key'), keyedError(field, 'key'): a key passed straight to a call. */
const KEY_CALLS = [
  new RegExp(String.raw`\b(?:t|message)\(\s*${LITERAL}`, 'g'),
  new RegExp(String.raw`\bkeyedError\(\s*[^,()]+,\s*${LITERAL}`, 'g'),
];

/**
 * The catalogue keys a source names: those passed straight to t(), message() or keyedError(), and any
 * other string that starts with one of the catalogue's namespaces ('auth.', 'home.'...), such as a key
 * chosen by a condition, unless `notKeys` says it is something else (a permission's capability).
 */
export function keysUsedIn(source: string, namespaces: Set<string>, notKeys: Set<string>): string[] {
  const keys = new Set<string>();
  for (const pattern of KEY_CALLS) for (const match of source.matchAll(pattern)) keys.add(match[2] ?? '');
  for (const match of source.matchAll(new RegExp(LITERAL, 'g'))) {
    const literal = match[2] ?? '';
    const namespace = /^([a-z-]+)\.[a-z0-9][a-z0-9.-]*$/.exec(literal)?.[1];
    if (namespace && namespaces.has(namespace) && !notKeys.has(literal)) keys.add(literal);
  }
  return [...keys];
}

const NUNJUCKS_COMMENT = /\{#[\s\S]*?#\}/g;
const NUNJUCKS_CODE = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;
/** Attributes people read or hear: their values must come from t() too. */
const READ_ATTRIBUTES = /\s(?:aria-label|aria-description|title|alt|placeholder)="([^"]*)"/g;

/** A string in template code that reads as words for people: "Sign in", "Username", not "govuk-body". */
function readsAsText(literal: string): boolean {
  return /\b[A-Z][a-z]/.test(literal) || /^[a-z]+( [a-z]+)+[.!?]?$/.test(literal);
}

/**
 * The text a template holds of its own, outside t(): words between tags, in attributes people read, and
 * in strings inside Nunjucks code (a macro's `text: "Back"`). `allowed`: words that are the same in every
 * language (the service's name). Numbers and punctuation are never reported.
 */
export function hardCodedText(template: string, allowed: Set<string>): string[] {
  const found: string[] = [];
  const withoutComments = template.replace(NUNJUCKS_COMMENT, ' ');
  for (const code of withoutComments.match(NUNJUCKS_CODE) ?? []) {
    for (const match of code.matchAll(new RegExp(LITERAL, 'g'))) {
      const literal = match[2] ?? '';
      if (readsAsText(literal)) found.push(literal);
    }
  }
  const html = withoutComments.replace(NUNJUCKS_CODE, ' ');
  for (const match of html.matchAll(READ_ATTRIBUTES)) {
    if (/\p{L}/u.test(match[1] ?? '')) found.push((match[1] ?? '').trim());
  }
  const text = html
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[a-z]+;|&#\d+;/g, ' ');
  for (const word of text.split(/[\s|()[\].,:;!?'"“”‘’–—/-]+/)) {
    if (/\p{L}/u.test(word) && !allowed.has(word)) found.push(word);
  }
  return found;
}
