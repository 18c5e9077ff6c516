// Nunjucks with the GOV.UK Frontend templates. Templates are named by their path under src/,
// e.g. "auth/views/sign-in.njk", so each feature keeps its own pages.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { formatDate, formatDateTime } from '../dates.ts';

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const govukDist = join(srcDir, '..', 'node_modules', 'govuk-frontend', 'dist');

export function createViews(options: { watch?: boolean } = {}): nunjucks.Environment {
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader([srcDir, govukDist], { watch: options.watch }),
    {
      autoescape: true,
      throwOnUndefined: false,
    },
  );
  env.addFilter('date', (value: string | null | undefined) => formatDate(value));
  env.addFilter('dateTime', (value: string | null | undefined) => formatDateTime(value));
  /** GOV.UK error summary list items from {field, message} pairs. */
  env.addFilter('errorList', (errors: { field: string; message: string }[] | undefined) =>
    (errors ?? []).map((e) => ({ text: e.message, href: `#${e.field}` })),
  );
  /** The message for one field, in the shape GOV.UK components take, or undefined. */
  env.addFilter('fieldError', (errors: { field: string; message: string }[] | undefined, field: string) => {
    const found = (errors ?? []).find((e) => e.field === field);
    return found ? { text: found.message } : undefined;
  });
  return env;
}
