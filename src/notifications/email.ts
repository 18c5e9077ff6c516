// An email's content and its rendering, in the plain style of GOV.UK Notify: a header bar with the
// service name, short paragraphs, links written out in full, and a footer saying the email is automatic
// and how to reach the service desk. Pure functions: no database, no sending.
//
// Both versions are built from the same blocks:
// - HTML: one small complete document, inline styles only (email clients drop <style> and classes),
//   every piece of text escaped, data tables with column headers (<th scope="col">), lang of its language;
// - text: wrapped at TEXT_WIDTH columns (a word or link longer than that keeps its own line), tables
//   as aligned columns when they fit, otherwise as "Label: value" lines, one group per row.
// Every piece of text is cleaned first: control characters and bidirectional overrides (which can make
// a file name read differently from what it is) are removed, line endings become \n. The subject is
// one line (no CR/LF: header injection) of at most MAX_SUBJECT_LENGTH characters.
// An email is in English or Welsh (the footer's texts from the catalogue), or in both: Welsh first, then
// English, each complete with its footer, the subject "Welsh / English" (decision 30), then any words
// the same in both (a user's description of a message sent as an email) once: "Welsh / English: words".

import { escapeMarkup } from '../platform/html.ts';
import {
  fillPlaceholders,
  formOf,
  type Language,
  type MessageParams,
  translate,
} from '../platform/i18n/catalogue.ts';

/** The language of an email: one, or 'bilingual' for Welsh then English. */
export type EmailLanguage = Language | 'bilingual';

export type EmailBlock =
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: string[] }
  /** A quoted or indented reason, like GOV.UK Notify's inset text. */
  | { kind: 'inset'; text: string }
  | { kind: 'table'; caption?: string; head: string[]; rows: string[][] }
  /** A link to a page of the service: path such as '/download/ctf', written out in full. */
  | { kind: 'link'; text: string; path: string };

export interface EmailContent {
  subject: string;
  /**
   * Words the same in every language said after the subject, past a colon: a user's own (a message's
   * description). An email in both languages says them once, after "Welsh / English".
   */
  subjectEnd?: string;
  blocks: EmailBlock[];
}

function subjectLine(subject: string, end: string | undefined): string {
  return end === undefined ? subject : `${subject}: ${end}`;
}

export interface EmailContext {
  serviceName: string;
  /** The service's address, e.g. 'https://s2s.example.gov.uk' (a trailing slash is allowed). */
  serviceUrl: string;
  serviceDesk: { email: string; telephone: string };
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  /** For the Content-Language header: 'en', 'cy', or 'cy, en'. */
  language: string;
}

export const MAX_SUBJECT_LENGTH = 150;
export const TEXT_WIDTH = 72;

export function renderEmail(
  content: EmailContent,
  context: EmailContext,
  language: Language = 'en',
): RenderedEmail {
  const subject = emailSubject(subjectLine(content.subject, content.subjectEnd), context.serviceName);
  return {
    subject,
    text: renderText(content.blocks, context, language),
    html: renderHtml(subject, language, htmlSection(content.blocks, context, language), context),
    language,
  };
}

/** One email in Welsh then English: each part complete, a line at the top saying English follows. */
export function renderBilingualEmail(
  welsh: EmailContent,
  english: EmailContent,
  context: EmailContext,
): RenderedEmail {
  // A subject that is the same in both is said once, as is the end both share (a message's description).
  const both = welsh.subject === english.subject ? welsh.subject : `${welsh.subject} / ${english.subject}`;
  const subject = emailSubject(
    subjectLine(both, english.subjectEnd ?? welsh.subjectEnd),
    context.serviceName,
  );
  const notice = (language: Language) => translate(language, 'email.bilingual.english-below');
  const text = [
    [...wrap(notice('cy'), TEXT_WIDTH), ...wrap(notice('en'), TEXT_WIDTH)].join('\n'),
    renderText(welsh.blocks, context, 'cy').trimEnd(),
    '='.repeat(TEXT_WIDTH),
    renderText(english.blocks, context, 'en'),
  ].join('\n\n');
  const html = [
    `<p style="${PARAGRAPH}">${escapeHtml(notice('cy'))}<br><span lang="en">${escapeHtml(notice('en'))}</span></p>`,
    htmlSection(welsh.blocks, context, 'cy'),
    '<hr style="border: 0; border-top: 4px solid #0b0c0c; margin: 30px 0 30px 0;">',
    `<div lang="en">\n${htmlSection(english.blocks, context, 'en')}\n</div>`,
  ].join('\n');
  return { subject, text, html: renderHtml(subject, 'cy', html, context), language: 'cy, en' };
}

/**
 * The footer's sentences in `language`. For HTML, `fill` writes each parameter (escaped, or a link) and
 * the rest of the text is escaped.
 */
function footer(
  context: EmailContext,
  language: Language,
  fill?: (value: string | number, name: string) => string,
): string[] {
  const params: MessageParams = {
    service: context.serviceName,
    email: context.serviceDesk.email,
    telephone: context.serviceDesk.telephone,
  };
  return ['email.footer.automatic', 'email.footer.help'].map((key) =>
    fill
      ? fillPlaceholders(escapeHtml(formOf(language, key, params)), params, key, fill)
      : fillPlaceholders(formOf(language, key, params), params, key),
  );
}

// --- cleaning ----------------------------------------------------------------------------------------

// C0 controls except \n, DEL, C1 controls, and the bidirectional embeddings/overrides/isolates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const UNWANTED = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** Text as it may appear in an email body: \n line breaks only, no control characters. */
export function cleanText(text: string): string {
  return text
    .replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n')
    .replace(/\t/g, ' ')
    .replace(UNWANTED, '');
}

/** One line, no control characters, at most MAX_SUBJECT_LENGTH characters (cut at a word if it can). */
export function emailSubject(subject: string, fallback: string): string {
  const line = cleanText(subject).replace(/\s+/g, ' ').trim();
  const chosen = line === '' ? cleanText(fallback).replace(/\s+/g, ' ').trim() : line;
  if (chosen.length <= MAX_SUBJECT_LENGTH) return chosen;
  const cut = chosen.slice(0, MAX_SUBJECT_LENGTH - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > MAX_SUBJECT_LENGTH * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** serviceUrl + path. The path must be a path on the service: one leading '/', no spaces. */
export function serviceLink(context: EmailContext, path: string): string {
  if (!isServicePath(path)) throw new TypeError(`not a path on the service: ${JSON.stringify(path)}`);
  return `${context.serviceUrl.replace(/\/+$/, '')}${path}`;
}

export function isServicePath(path: string): boolean {
  return /^\/(?![/\\])[^\s\\]*$/.test(path);
}

function oneLine(text: string): string {
  return cleanText(text).replace(/\s+/g, ' ').trim();
}

// --- text --------------------------------------------------------------------------------------------

/** Words of each line of text wrapped to width; hard line breaks are kept. */
export function wrap(text: string, width: number, firstIndent = '', restIndent = firstIndent): string[] {
  const out: string[] = [];
  let indent = firstIndent;
  for (const hardLine of cleanText(text).split('\n')) {
    const words = keepTogether(hardLine.split(' ').filter((w) => w !== ''));
    if (words.length === 0) {
      out.push(indent.trimEnd());
      indent = restIndent;
      continue;
    }
    let line = '';
    for (const word of words) {
      if (line === '') line = indent + word;
      else if (line.length + 1 + word.length <= width) line += ` ${word}`;
      else {
        out.push(line);
        indent = restIndent;
        line = indent + word;
      }
    }
    out.push(line);
    indent = restIndent;
  }
  return out;
}

/** A day of the month stays with its month: "1 July 2026", never "1" at the end of a line. */
function keepTogether(words: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    const next = words[i + 1];
    if (next !== undefined && /^\d{1,2}$/.test(word) && /^[A-Z][a-z]+$/.test(next)) {
      out.push(`${word} ${next}`);
      i++;
    } else out.push(word);
  }
  return out;
}

function renderText(blocks: EmailBlock[], context: EmailContext, language: Language): string {
  const parts = blocks.map((block) => textBlock(block, context).join('\n'));
  parts.push(textFooter(context, language).join('\n'));
  return `${parts.join('\n\n')}\n`;
}

function textBlock(block: EmailBlock, context: EmailContext): string[] {
  switch (block.kind) {
    case 'paragraph':
      return wrap(block.text, TEXT_WIDTH);
    case 'list':
      return block.items.flatMap((item) => wrap(item, TEXT_WIDTH, '• ', '  '));
    case 'inset':
      return wrap(block.text, TEXT_WIDTH, '    ');
    case 'link':
      // The address on a line of its own, never wrapped, so that it stays clickable.
      return [...wrap(block.text, TEXT_WIDTH), serviceLink(context, block.path)];
    case 'table':
      return textTable(block);
  }
}

function textTable(block: Extract<EmailBlock, { kind: 'table' }>): string[] {
  const head = block.head.map(oneLine);
  const rows = block.rows.map((row) => checkRow(row, head.length).map(oneLine));
  const caption = block.caption ? [...wrap(block.caption, TEXT_WIDTH), ''] : [];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const gap = '   ';
  const total = widths.reduce((sum, w) => sum + w, 0) + gap.length * (widths.length - 1);
  if (total <= TEXT_WIDTH) {
    const line = (cells: string[]) =>
      cells
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join(gap)
        .trimEnd();
    return [...caption, line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  }
  // Too wide for aligned columns: "Label: value" lines, a blank line between rows.
  const groups = rows.map((row) =>
    row.flatMap((cell, i) => (cell === '' ? [] : wrap(`${head[i]}: ${cell}`, TEXT_WIDTH, '', '  '))),
  );
  return [...caption, ...groups.flatMap((group, i) => (i === 0 ? group : ['', ...group]))];
}

function checkRow(row: string[], columns: number): string[] {
  if (row.length !== columns) {
    throw new TypeError(`an email table row has ${row.length} cells but the table has ${columns} columns`);
  }
  return row;
}

function textFooter(context: EmailContext, language: Language): string[] {
  return ['-'.repeat(TEXT_WIDTH), ...footer(context, language).flatMap((line) => wrap(line, TEXT_WIDTH))];
}

// --- HTML --------------------------------------------------------------------------------------------

/** Text made safe for HTML content and attribute values (after cleaning). */
export function escapeHtml(text: string): string {
  return escapeMarkup(cleanText(text));
}

/** Escaped, with line breaks kept. */
function htmlLines(text: string): string {
  return escapeHtml(text.trim()).split('\n').join('<br>');
}

const FONT = 'font-family: Helvetica, Arial, sans-serif;';
const TEXT_COLOUR = 'color: #0b0c0c;';
const BODY_TEXT = `${FONT} font-size: 19px; line-height: 25px; ${TEXT_COLOUR}`;
const PARAGRAPH = `margin: 0 0 20px 0; ${BODY_TEXT}`;
const LINK = 'color: #1d70b8; text-decoration: underline; word-break: break-all;';
const CELL = `${FONT} font-size: 16px; line-height: 20px; ${TEXT_COLOUR} text-align: left; vertical-align: top; padding: 10px 20px 10px 0; border-bottom: 1px solid #b1b4b6; word-break: break-word;`;

/** An email's body in one language, with its footer. */
function htmlSection(blocks: EmailBlock[], context: EmailContext, language: Language): string {
  const body = blocks.map((block) => htmlBlock(block, context)).join('\n');
  const desk = context.serviceDesk;
  const mailto = `mailto:${desk.email}`;
  const [automatic, help] = footer(context, language, (value, name) =>
    name === 'email'
      ? `<a href="${escapeHtml(mailto)}" style="${LINK}">${escapeHtml(desk.email)}</a>`
      : escapeHtml(String(value)),
  );
  const small = `margin: 0 0 15px 0; ${FONT} font-size: 16px; line-height: 20px; color: #505a5f;`;
  return `${body}
<hr style="border: 0; border-top: 1px solid #b1b4b6; margin: 30px 0 20px 0;">
<p style="${small}">${automatic}</p>
<p style="${small}">${help}</p>`;
}

function renderHtml(subject: string, language: Language, content: string, context: EmailContext): string {
  const service = escapeHtml(context.serviceName);
  return `<!DOCTYPE html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(subject)}</title>
</head>
<body style="margin: 0; padding: 0; background-color: #ffffff;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse: collapse; width: 100%;">
<tr><td style="background-color: #0b0c0c; padding: 15px 20px; ${FONT} font-size: 24px; line-height: 30px; font-weight: 700; color: #ffffff;">${service}</td></tr>
</table>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse: collapse; width: 100%; max-width: 640px;">
<tr><td style="padding: 30px 20px 10px 20px; ${BODY_TEXT}">
${content}
</td></tr>
</table>
</body>
</html>
`;
}

function htmlBlock(block: EmailBlock, context: EmailContext): string {
  switch (block.kind) {
    case 'paragraph':
      return `<p style="${PARAGRAPH}">${htmlLines(block.text)}</p>`;
    case 'list': {
      const items = block.items.map((item) => `<li style="margin: 0 0 5px 0;">${htmlLines(item)}</li>`);
      return `<ul style="margin: 0 0 20px 0; padding: 0 0 0 20px; ${BODY_TEXT}">\n${items.join('\n')}\n</ul>`;
    }
    case 'inset':
      return `<blockquote style="margin: 0 0 20px 0; padding: 15px 0 15px 15px; border-left: 10px solid #b1b4b6; ${BODY_TEXT}">${htmlLines(block.text)}</blockquote>`;
    case 'link': {
      const url = serviceLink(context, block.path);
      return `<p style="${PARAGRAPH}">${htmlLines(block.text)}<br><a href="${escapeHtml(url)}" style="${LINK}">${escapeHtml(url)}</a></p>`;
    }
    case 'table': {
      const caption = block.caption
        ? `<caption style="${FONT} font-size: 19px; line-height: 25px; font-weight: 700; ${TEXT_COLOUR} text-align: left; padding: 0 0 10px 0;">${escapeHtml(oneLine(block.caption))}</caption>\n`
        : '';
      const head = block.head
        .map((h) => `<th scope="col" style="${CELL} font-weight: 700;">${escapeHtml(oneLine(h))}</th>`)
        .join('');
      const rows = block.rows
        .map(
          (row) =>
            `<tr>${checkRow(row, block.head.length)
              .map((cell) => `<td style="${CELL}">${escapeHtml(oneLine(cell))}</td>`)
              .join('')}</tr>`,
        )
        .join('\n');
      return `<table cellpadding="0" cellspacing="0" border="0" style="border-collapse: collapse; width: 100%; margin: 0 0 20px 0;">
${caption}<thead><tr>${head}</tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
    }
  }
}
