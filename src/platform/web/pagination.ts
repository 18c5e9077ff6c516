// Numbered pages for the GOV.UK pagination component.
import { z } from 'zod';

/** The page asked for in a query (or a form): 1 when absent or not a number. */
export const pageQuery = z.object({ page: z.coerce.number().int().catch(1) });

/**
 * The GOV.UK pagination component's parameters for page `page` of `pages` of `path`: the first and last
 * pages and the current one with its neighbours, with ellipses between; undefined for a single page.
 * Each link keeps `query` (the list's filter) before its page, given as `param` ("page" unless the
 * address has a page of its own already: a file's pupils, on a page opened from a list's page).
 */
export function pagination(
  path: string,
  { page, pages }: { page: number; pages: number },
  label: string,
  query: Record<string, string> = {},
  param = 'page',
) {
  if (pages <= 1) return undefined;
  const href = (n: number) => `${path}?${new URLSearchParams({ ...query, [param]: String(n) }).toString()}`;
  const shown = [...new Set([1, page - 1, page, page + 1, pages])]
    .filter((n) => n >= 1 && n <= pages)
    .sort((a, b) => a - b);
  return {
    landmarkLabel: label,
    previous: page > 1 ? { href: href(page - 1) } : undefined,
    next: page < pages ? { href: href(page + 1) } : undefined,
    items: shown.flatMap((n, index) => [
      ...(index > 0 && n - (shown[index - 1] ?? n) > 1 ? [{ ellipsis: true }] : []),
      { number: String(n), href: href(n), current: n === page },
    ]),
  };
}

/**
 * Where a list asked for by `url` belongs when its `page` is past the last page that exists (the last
 * page emptied by a delete, a forward or a cancel made from it): the same address and query with
 * the last page, or without `page` (`param`) when only the first is left; undefined when the page asked for is shown.
 * The list redirects there so that the address, the pagination's current page and the rows agree.
 */
export function lastPageHref(url: string, shownPage: number, param = 'page'): string | undefined {
  const address = new URL(url, 'http://list.invalid');
  const asked = Number.parseInt(address.searchParams.get(param) ?? '', 10);
  if (!(asked > shownPage)) return undefined;
  if (shownPage > 1) address.searchParams.set(param, String(shownPage));
  else address.searchParams.delete(param);
  return `${address.pathname}${address.search}`;
}
