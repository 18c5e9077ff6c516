// A list shown a page at a time, once it has been read and sorted in full.

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
