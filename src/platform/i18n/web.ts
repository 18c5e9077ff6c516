// The language of a request: the header's "English | Cymraeg" switch (?lang=cy), the browser's cookie,
// and the t() pages use. Signed-in users' own setting is the auth feature's (auth/web.ts).

import type { FastifyReply, FastifyRequest } from 'fastify';
import nunjucks from 'nunjucks';
import { escapeMarkup } from '../html.ts';
import { cookieSecurity } from '../web/secure-cookies.ts';
import {
  fillPlaceholders,
  formOf,
  isLanguage,
  isMessage,
  LANGUAGES,
  type Language,
  type MessageParams,
  translate,
  translateMessage,
} from './catalogue.ts';

export const LANGUAGE_COOKIE = 's2s_language';
/** The switch's query parameter: ?lang=cy or ?lang=en. */
export const LANGUAGE_PARAMETER = 'lang';
/** Marks a cookie set by the switch while nobody was signed in: the next sign-in keeps that choice. */
const CHOSEN_SIGNED_OUT = '.chosen';
const A_YEAR_IN_SECONDS = 365 * 24 * 60 * 60;

/** The language this browser last used, and whether it was chosen while nobody was signed in. */
export interface BrowserLanguage {
  language: Language;
  chosenSignedOut: boolean;
}

export function browserLanguage(request: FastifyRequest): BrowserLanguage | undefined {
  const value = request.cookies[LANGUAGE_COOKIE] ?? '';
  const chosenSignedOut = value.endsWith(CHOSEN_SIGNED_OUT);
  const language = chosenSignedOut ? value.slice(0, -CHOSEN_SIGNED_OUT.length) : value;
  return isLanguage(language) ? { language, chosenSignedOut } : undefined;
}

export function setBrowserLanguage(
  reply: FastifyReply,
  { language, chosenSignedOut }: BrowserLanguage,
): void {
  reply.setCookie(LANGUAGE_COOKIE, chosenSignedOut ? `${language}${CHOSEN_SIGNED_OUT}` : language, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: cookieSecurity(reply),
    maxAge: A_YEAR_IN_SECONDS,
  });
}

/** The language asked for by the switch (?lang=), if the request is one. */
export function languageAskedFor(request: FastifyRequest): Language | undefined {
  // The REST API answers programs, not readers: it has no switch (and its errors are in English).
  if ((request.method !== 'GET' && request.method !== 'HEAD') || request.url.startsWith('/api/v1/')) {
    return undefined;
  }
  const asked = (request.query as Record<string, unknown> | undefined)?.[LANGUAGE_PARAMETER];
  return isLanguage(asked) ? asked : undefined;
}

// Any absolute address parsed against this base is recognised by its different origin.
const SAME_SITE = 'http://s2s.invalid';

/**
 * Where the switch sends the browser back to: the same page and query without `lang`, only ever a path
 * on this site ("//elsewhere.example/" and "/\elsewhere.example/" go to the home page instead).
 */
export function pageWithoutSwitch(requestUrl: string): string {
  const url = new URL(requestUrl, SAME_SITE);
  if (url.origin !== SAME_SITE || !/^\/(?![/\\])/.test(url.pathname)) return '/';
  url.searchParams.delete(LANGUAGE_PARAMETER);
  return `${url.pathname}${url.search}`;
}

/** The header's switch: each language, a link to the page in it unless it is the one shown. */
export interface LanguageLink {
  language: Language;
  /** The language's own name for itself: English, Cymraeg. */
  name: string;
  /** What the link does, in the link's language ("Change the language to English"). */
  label: string;
  href: string | undefined;
}

export function languageLinks(requestUrl: string, current: Language): LanguageLink[] {
  const page = pageWithoutSwitch(requestUrl);
  const [path, query = ''] = page.split('?', 2) as [string, string?];
  return LANGUAGES.map((language) => {
    const params = new URLSearchParams(query);
    params.set(LANGUAGE_PARAMETER, language);
    return {
      language,
      name: translate(language, 'layout.language.name'),
      label: translate(language, 'layout.language.change-to'),
      href: language === current ? undefined : `${path}?${params}`,
    };
  });
}

/**
 * t() for templates. Its text is escaped by Nunjucks' autoescaping like any other; a parameter that is
 * already HTML (marked `| safe`, such as a link inside a sentence) is kept, and then the rest of the
 * text is escaped here. A parameter may be a message (a name s2s made up), put in the same language.
 */
export function templateTranslator(language: Language) {
  const { SafeString } = nunjucks.runtime;
  return (key: string, params: Record<string, unknown> = {}): string | nunjucks.runtime.SafeString => {
    const values: MessageParams = {};
    for (const [name, value] of Object.entries(params)) {
      values[name] =
        typeof value === 'number'
          ? value
          : isMessage(value)
            ? translateMessage(language, value)
            : String(value ?? '');
    }
    const isMarkup = (name: string) => params[name] instanceof SafeString;
    if (!Object.keys(params).some(isMarkup)) return translate(language, key, values);
    const html = fillPlaceholders(escapeMarkup(formOf(language, key, values)), values, key, (value, name) =>
      isMarkup(name) ? String(value) : escapeMarkup(String(value)),
    );
    return new SafeString(html);
  };
}
