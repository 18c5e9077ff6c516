// Nunjucks with the GOV.UK Frontend templates. Templates are named by their path under src/,
// e.g. "auth/views/sign-in.njk", so each feature keeps its own pages.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { formatDate, formatDateTime } from '../dates.ts';
import type { FieldError } from '../errors.ts';
import { catalogue, fillPlaceholders, type Language, type Message, textIn } from '../i18n/catalogue.ts';
import { templateTranslator } from '../i18n/web.ts';

/** What a filter sees of the page: its t() and language (http.ts puts them there), else English. */
interface FilterThis {
  ctx: { t?: ReturnType<typeof templateTranslator>; language?: Language };
}
const english = templateTranslator('en');

/** The GOV.UK components' own texts that s2s's pages leave to the component, by component. */
const COMPONENT_TEXT_KEYS: Record<string, Record<string, string>> = {
  'password-input': {
    showPasswordText: 'govuk.password-input.show',
    hidePasswordText: 'govuk.password-input.hide',
    showPasswordAriaLabelText: 'govuk.password-input.show-label',
    hidePasswordAriaLabelText: 'govuk.password-input.hide-label',
    passwordShownAnnouncementText: 'govuk.password-input.shown',
    passwordHiddenAnnouncementText: 'govuk.password-input.hidden',
  },
};

/**
 * A template imported without context (`{% from "x.njk" import y %}`, as every page imports the GOV.UK
 * components' macros) gives the same macros whatever page imports it: Nunjucks runs it again for each
 * import of each render all the same, a new context and frame and every macro made anew, about a fifth of
 * the CPU of a page. Its exports are kept with the template instead (a template changed on disk, in
 * watch mode, is a new template). The macros made once are called by every page, as they were by every
 * call within one page: each call makes its own frame and restores the one it found, and a template
 * imported this way sees only its own variables and the globals, read when a macro runs.
 */
function importsRunOnce(): void {
  type Exported = Record<string, unknown>;
  type Done = (error: Error | null, exported: Exported | null) => void;
  const template = nunjucks.Template.prototype as unknown as {
    getExported(this: object, ...args: unknown[]): void;
  };
  const runTemplate = template.getExported;
  const exportsOf = new WeakMap<object, Exported>();
  template.getExported = function getExported(this: object, ...args: unknown[]) {
    const [done] = args;
    // Imported with context, the page's variables go in: run as Nunjucks runs it.
    if (args.length !== 1 || typeof done !== 'function') return runTemplate.apply(this, args);
    const kept = exportsOf.get(this);
    if (kept) return (done as Done)(null, kept);
    runTemplate.call(this, (error: Error | null, exported: Exported | null) => {
      if (!error && exported) exportsOf.set(this, exported);
      (done as Done)(error, exported);
    });
  };
}
importsRunOnce();

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const govukDist = join(srcDir, '..', 'node_modules', 'govuk-frontend', 'dist');

type PaginationLink = { text?: string; html?: string; attributes?: Record<string, unknown> } | undefined;

/**
 * Pagination's own texts: "Previous" and "Next" shown, "Previous page" and "Next page" as the links'
 * names (Welsh puts "page" first, so it cannot be a hidden suffix), "Page 2" for each number.
 */
function paginationTexts(params: Record<string, unknown>, t: ReturnType<typeof templateTranslator>) {
  const arrow = (link: PaginationLink, textKey: string, nameKey: string) =>
    link && !link.text && !link.html
      ? { ...link, text: t(textKey), attributes: { 'aria-label': t(nameKey), ...link.attributes } }
      : link;
  const items = Array.isArray(params.items) ? (params.items as Record<string, unknown>[]) : undefined;
  return {
    landmarkLabel: params.landmarkLabel ?? t('govuk.pagination.label'),
    previous: arrow(
      params.previous as PaginationLink,
      'govuk.pagination.previous',
      'govuk.pagination.previous-page',
    ),
    next: arrow(params.next as PaginationLink, 'govuk.pagination.next', 'govuk.pagination.next-page'),
    ...(items
      ? {
          items: items.map((item) =>
            item.number && !item.visuallyHiddenText
              ? { ...item, visuallyHiddenText: t('govuk.pagination.page', { number: String(item.number) }) }
              : item,
          ),
        }
      : {}),
  };
}

/**
 * The character count's texts: "You can enter up to 500 characters" under the field, and those its
 * script shows as the reader types, which it counts in the browser: each plural form the page's language
 * has, with GOV.UK Frontend's %{count} in place of the catalogue's {count}.
 */
function characterCountTexts(
  params: Record<string, unknown>,
  language: Language,
  t: ReturnType<typeof templateTranslator>,
) {
  const forms = (key: string) => {
    const text = catalogue().translations.get(key)?.[language];
    const all = typeof text === 'string' ? { other: text } : (text ?? {});
    return Object.fromEntries(
      Object.entries(all).map(([form, value]) => [
        form,
        fillPlaceholders(value ?? '', { count: '%{count}' }, key),
      ]),
    );
  };
  return {
    ...(typeof params.maxlength === 'number'
      ? { textareaDescriptionText: t('govuk.character-count.description', { count: params.maxlength }) }
      : {}),
    charactersUnderLimitText: forms('govuk.character-count.under'),
    charactersOverLimitText: forms('govuk.character-count.over'),
    charactersAtLimitText: t('govuk.character-count.at-limit'),
  };
}

let processViews: nunjucks.Environment | undefined;

/**
 * The views every app of this process renders with: one environment, so that each template is compiled
 * once (a page's first render took 30-50 ms, its next ones under 1), not once for each app in the process
 * (the tests make dozens in one). Its templates and filters are the same for every app.
 */
export function sharedViews(): nunjucks.Environment {
  processViews ??= createViews();
  return processViews;
}

export function createViews(options: { watch?: boolean } = {}): nunjucks.Environment {
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader([srcDir, govukDist], { watch: options.watch }),
    {
      autoescape: true,
      throwOnUndefined: false,
    },
  );
  // Nunjucks' own trim, str.replace(/^\s*|\s*$/g, ''), takes time in the square of each run of
  // whitespace. The GOV.UK templates trim on every page (the header and footer) and in components (the
  // password input's HTML holds a run of over 400 spaces: 0.25 ms for it alone). String.prototype.trim
  // removes the same characters in one pass.
  env.addFilter('trim', (text: unknown) => {
    const trimmed = String(text ?? '').trim();
    return text instanceof nunjucks.runtime.SafeString ? new nunjucks.runtime.SafeString(trimmed) : trimmed;
  });
  // Dates in the page's language: "2 December 2026", "2 Rhagfyr 2026".
  env.addFilter('date', function date(this: FilterThis, value: string | null | undefined) {
    return formatDate(value, this.ctx.language);
  });
  env.addFilter('dateTime', function dateTime(this: FilterThis, value: string | null | undefined) {
    return formatDateTime(value, this.ctx.language);
  });
  /** A text domain code gives as written (a name) or as a message (a name it made up), in the page's language. */
  env.addFilter(
    'inLanguage',
    function inLanguage(this: FilterThis, text: string | Message | null | undefined) {
      return text ? textIn(this.ctx.language ?? 'en', text) : '';
    },
  );
  /** GOV.UK error summary list items from {field, message} pairs. */
  env.addFilter('errorList', (errors: { field: string; message: string }[] | undefined) =>
    (errors ?? []).map((e) => ({ text: e.message, href: `#${e.field}` })),
  );
  /** The message for one field, in the shape GOV.UK components take, or undefined. */
  env.addFilter(
    'fieldError',
    function fieldError(
      this: FilterThis,
      errors: { field: string; message: string }[] | undefined,
      field: string,
    ) {
      const found = (errors ?? []).find((e) => e.field === field);
      const t = this.ctx.t ?? english;
      return found ? { text: found.message, visuallyHiddenText: t('govuk.error-message.prefix') } : undefined;
    },
  );
  /**
   * The error of the date input `id` (its boxes `id`-day...), in the shape GOV.UK components take, with
   * the boxes it marks (all three unless it names them), or undefined.
   */
  env.addFilter(
    'dateInputError',
    function dateInputError(this: FilterThis, errors: FieldError[] | undefined, id: string) {
      const found = (errors ?? []).find((e) =>
        ['day', 'month', 'year'].some((box) => e.field === `${id}-${box}`),
      );
      const t = this.ctx.t ?? english;
      return found
        ? {
            text: found.message,
            visuallyHiddenText: t('govuk.error-message.prefix'),
            boxes: found.boxes ?? ['day', 'month', 'year'],
          }
        : undefined;
    },
  );
  /**
   * A GOV.UK component's parameters with its own texts in the page's language, where the template
   * gives none: the password input's Show and Hide, a notification banner's title, pagination's
   * Previous, Next and "Page 2", the character count's "You have 5 characters remaining".
   */
  env.addFilter(
    'componentTexts',
    function componentTexts(this: FilterThis, params: Record<string, unknown>, component: string) {
      const t = this.ctx.t ?? english;
      const texts: Record<string, unknown> = {};
      for (const [name, key] of Object.entries(COMPONENT_TEXT_KEYS[component] ?? {})) texts[name] = t(key);
      if (component === 'notification-banner' && !params.titleText && !params.titleHtml) {
        texts.titleText = t(
          params.type === 'success'
            ? 'govuk.notification-banner.success'
            : 'govuk.notification-banner.important',
        );
      }
      if (component === 'pagination') return { ...texts, ...params, ...paginationTexts(params, t) };
      if (component === 'character-count') {
        return { ...characterCountTexts(params, this.ctx.language ?? 'en', t), ...params };
      }
      return { ...texts, ...params };
    },
  );
  return env;
}
