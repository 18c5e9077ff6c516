// A list shown a page at a time: read and sorted in full (paged), or read a window at a time (windowPage).

export interface Page<T> {
  items: T[];
  total: number;
  /** From 1: the one asked for, or the nearest that exists (the last, for one past the end). */
  page: number;
  pageCount: number;
}

/** Page `page` of `all`, `size` to a page; a page before the first is the first, one past the last the last. */
export function paged<T>(all: readonly T[], page: number, size: number): Page<T> {
  const pageCount = Math.max(1, Math.ceil(all.length / size));
  const current = Math.min(Math.max(1, Math.trunc(page) || 1), pageCount);
  return {
    items: all.slice((current - 1) * size, current * size),
    total: all.length,
    page: current,
    pageCount,
  };
}

/** A window of a list, as a query reads it (LIMIT and OFFSET). */
export interface Window {
  limit: number;
  offset: number;
}

/** A page of a list read a window at a time: its rows and how many there are in all. */
export interface WindowPage<T> {
  rows: T[];
  total: number;
  pages: number;
  /** From 1: the one asked for, or the nearest that exists (the last, for one past the end). */
  page: number;
}

/**
 * Page `page` of a list that `list` reads a window at a time, `size` to a page, kept within the list:
 * one query for a page that exists (most of them), a second only when the page asked for is past the end.
 */
export async function windowPage<T>(
  page: number,
  size: number,
  list: (window: Window) => Promise<{ rows: T[]; total: number }>,
): Promise<WindowPage<T>> {
  const windowOf = (n: number) => ({ limit: size, offset: (n - 1) * size });
  // A page far past any list's end still asks for an offset the databases take (a 64-bit integer:
  // beyond it SQLite says "datatype mismatch" and PostgreSQL "bigint out of range"), and is shown the last.
  const furthest = Math.floor(Number.MAX_SAFE_INTEGER / size);
  const asked = Math.min(Math.max(1, Math.trunc(page) || 1), furthest);
  let result = await list(windowOf(asked));
  const pages = Math.max(1, Math.ceil(result.total / size));
  if (asked > pages) result = await list(windowOf(pages));
  return { ...result, pages, page: Math.min(asked, pages) };
}
