// The message catalogue: every text users read, in English and Welsh. Each feature keeps its own
// `translations.json` beside its code (key -> { en, cy }), so features are translated without touching a
// shared file; they are found under src/ and collected into one catalogue the first time one is needed.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { formatDate, formatDateTime, formatMonth } from '../dates.ts';
import type { FieldError } from '../errors.ts';
import { sentence } from '../words.ts';

export const LANGUAGES = ['en', 'cy'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'en';

export function isLanguage(value: unknown): value is Language {
  return (LANGUAGES as readonly unknown[]).includes(value);
}

/** A text with counted forms, chosen by Intl.PluralRules for the `count` parameter (Welsh has six). */
export type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>>;
export type Text = string | PluralForms;
export type Translation = Record<Language, Text>;
export type MessageParams = Record<string, string | number>;

/**
 * A text named by its key, to be put in the reader's language where it is shown. A parameter may be a
 * message itself (the name of a page in "Go to {place}"), or a date, written in that language too. A
 * type rather than an interface: plain JSON, it can be stored as it is (an outbox payload) and handed to
 * a worker thread.
 */
export type Message = {
  key: string;
  params?: Record<string, string | number | Message | DateParam>;
  /** Written as a sentence (see sentence()): a clause, such as a file name's problem, in a list of reasons. */
  sentence?: boolean;
};

/** A date in a message: "2 December 2026", "2 Rhagfyr 2026", in the language the message is put in. */
export type DateParam = {
  /** An ISO date or instant. */
  date: string;
  /** Only its month: "June 2027", "Mehefin 2027". */
  month?: true;
  /** With its time: "2 December 2026 at 3:00pm", "2 Rhagfyr 2026 am 3:00yh". */
  time?: true;
};

export function message(key: string, params?: Message['params']): Message {
  return params ? { key, params } : { key };
}

export function dateParam(date: string): DateParam {
  return { date };
}

/** The message written as a sentence wherever it is shown. */
export function asSentence(text: Message): Message {
  return { ...text, sentence: true };
}

/** An instant in a message, with its time in London: "2 December 2026 at 3:00pm". */
export function dateTimeParam(instant: string): DateParam {
  return { date: instant, time: true };
}

export function monthParam(isoDate: string): DateParam {
  return { date: isoDate, month: true };
}

export interface Catalogue {
  translations: Map<string, Translation>;
  /** The file (relative to the folder searched) that defines each key. */
  sources: Map<string, string>;
}

export const TRANSLATIONS_FILE = 'translations.json';
const SRC_DIR = join(import.meta.dirname, '..', '..');

/** Reads every translations.json under `dir`. A key defined in two files is refused. */
export function loadCatalogue(dir = SRC_DIR): Catalogue {
  const translations = new Map<string, Translation>();
  const sources = new Map<string, string>();
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => path === TRANSLATIONS_FILE || path.endsWith(`/${TRANSLATIONS_FILE}`))
    .sort();
  for (const file of files) {
    const entries = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, Translation>;
    for (const [key, translation] of Object.entries(entries)) {
      const earlier = sources.get(key);
      if (earlier) throw new Error(`The message key ${key} is defined in both ${earlier} and ${file}`);
      translations.set(key, translation);
      sources.set(key, relative(dir, join(dir, file)));
    }
  }
  return { translations, sources };
}

let loaded: Catalogue | undefined;

/** The service's catalogue, read once. */
export function catalogue(): Catalogue {
  loaded ??= loadCatalogue();
  return loaded;
}

/** A {placeholder} of a text, its name captured. */
export const PLACEHOLDER = /\{(\w+)\}/g;

/** The names of a text's {placeholders}, over all its counted forms. */
export function placeholdersOf(text: Text): Set<string> {
  const forms = typeof text === 'string' ? [text] : Object.values(text);
  return new Set(forms.flatMap((form) => [...(form ?? '').matchAll(PLACEHOLDER)].map((m) => m[1] ?? '')));
}

const pluralRules = new Map<Language, Intl.PluralRules>();
function pluralRulesOf(language: Language): Intl.PluralRules {
  let rules = pluralRules.get(language);
  if (!rules) {
    rules = new Intl.PluralRules(language);
    pluralRules.set(language, rules);
  }
  return rules;
}

/** The form of `key` for `language` and its `count`, before its placeholders are filled. */
export function formOf(
  language: Language,
  key: string,
  params: MessageParams = {},
  from = catalogue(),
): string {
  const text = from.translations.get(key)?.[language];
  if (text === undefined) throw new Error(`The message key ${key} is not in the catalogue`);
  if (typeof text === 'string') return text;
  if (typeof params.count !== 'number') throw new Error(`The message ${key} needs a numeric count`);
  const form = text[pluralRulesOf(language).select(params.count)] ?? text.other;
  if (form === undefined) throw new Error(`The message ${key} has no "other" form in ${language}`);
  return form;
}

/** Fills a text's {placeholders}; `fill` turns each parameter into the text put in its place. */
export function fillPlaceholders(
  text: string,
  params: MessageParams,
  key: string,
  fill: (value: string | number, name: string) => string = String,
): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`The message ${key} needs the parameter {${name}}`);
    return fill(value, name);
  });
}

/** The text of `key` in `language`, its {placeholders} filled from `params`. */
export function translate(language: Language, key: string, params: MessageParams = {}): string {
  return fillPlaceholders(formOf(language, key, params), params, key);
}

export function translateMessage(language: Language, text: Message): string {
  const params: MessageParams = {};
  for (const [name, value] of Object.entries(text.params ?? {})) {
    if (typeof value !== 'object') params[name] = value;
    else if (!('date' in value)) params[name] = translateMessage(language, value);
    else if (value.month) params[name] = formatMonth(value.date, language);
    else params[name] = (value.time ? formatDateTime : formatDate)(value.date, language);
  }
  const written = translate(language, text.key, params);
  return text.sentence ? sentence(written) : written;
}

/** A text that is either as written (a name from the directory) or a message, in `language`. */
export function textIn(language: Language, text: string | Message): string {
  return typeof text === 'string' ? text : translateMessage(language, text);
}

/** Whether `value` is a message of the catalogue: a known key, and parameters if any (read back from JSON). */
export function isMessage(value: unknown): value is Message {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { key, params, sentence: asOne, ...rest } = value as Record<string, unknown>;
  return (
    typeof key === 'string' &&
    catalogue().translations.has(key) &&
    Object.keys(rest).length === 0 &&
    (asOne === undefined || typeof asOne === 'boolean') &&
    (params === undefined || (typeof params === 'object' && params !== null && !Array.isArray(params)))
  );
}

/** A value as written for a reader: each message in it a text. */
export type Written<T> = T extends Message
  ? string
  : T extends readonly (infer U)[]
    ? Written<U>[]
    : T extends object
      ? { [K in keyof T]: Written<T[K]> }
      : T;

/**
 * `value` with every message in it written in `language`: an email's facts in its reader's language, the
 * REST API's answers in English.
 */
export function writtenIn<T>(language: Language, value: T): Written<T> {
  return written(language, value) as Written<T>;
}

function written(language: Language, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => written(language, item));
  if (isMessage(value)) return translateMessage(language, value);
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) {
    return value;
  }
  return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, written(language, item)]));
}

/**
 * A field error named by its key: pages show it in the reader's language; its English `message` serves
 * the REST API, logs and pages not yet translated.
 */
export function keyedError(field: string, key: string, params?: Message['params']): FieldError {
  return { field, message: translateMessage('en', { key, params }), key, ...(params ? { params } : {}) };
}

/** A field error from a domain message (a reason worked out elsewhere, given as a Message). */
export function messageError(field: string, reason: Message): FieldError {
  return keyedError(field, reason.key, reason.params);
}

/** A field error from a reason written as a clause ("the destination school 8171234 is closed"), as a sentence. */
export function sentenceError(field: string, reason: Message): FieldError {
  return {
    ...messageError(field, reason),
    message: sentence(translateMessage('en', reason)),
    asSentence: true,
  };
}

/** A field error's text in `language`: its key's, or its English `message` when it has none. */
export function fieldErrorIn(language: Language, error: FieldError): string {
  if (!error.key) return error.message;
  const text = translateMessage(language, { key: error.key, params: error.params });
  return error.asSentence ? sentence(text) : text;
}

/** Every problem of a catalogue: a missing, empty or unpaired text, or placeholders differing between languages. */
export function catalogueProblems(from: Catalogue): string[] {
  const problems: string[] = [];
  for (const [key, translation] of from.translations) {
    const where = `${key} (${from.sources.get(key)})`;
    for (const language of LANGUAGES) {
      const text = translation[language];
      if (text === undefined) {
        problems.push(`${where} has no ${language} text`);
        continue;
      }
      if (typeof text === 'string') {
        if (text.trim() === '') problems.push(`${where} has an empty ${language} text`);
        continue;
      }
      // Counted texts need every form the language has (Welsh: zero, one, two, few, many, other).
      for (const category of pluralRulesOf(language).resolvedOptions().pluralCategories) {
        if (!text[category]?.trim()) problems.push(`${where} has no ${language} "${category}" form`);
      }
      if (!placeholdersOf(text).has('count')) problems.push(`${where} is counted but never says {count}`);
    }
    const extra = Object.keys(translation).filter((name) => !isLanguage(name));
    if (extra.length > 0) problems.push(`${where} has texts in unknown languages: ${extra.join(', ')}`);
    if (translation.en === undefined || translation.cy === undefined) continue;
    const english = [...placeholdersOf(translation.en)].sort().join(', ');
    const welsh = [...placeholdersOf(translation.cy)].sort().join(', ');
    if (english !== welsh) {
      problems.push(`${where} has placeholders {${english}} in English but {${welsh}} in Welsh`);
    }
  }
  return problems;
}
