// The route helpers the transfers pages share (the web edge): the items of the Upload and Download
// sections in the reader's language (each item's label, the menu's, and what it is for: category-words.ts),
// and a list's column headings.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type MenuItem, menuLabelKey } from '../auth/menu.ts';
import { formatDateTime } from '../platform/dates.ts';
import { lastPageHref, pagination } from '../platform/web/pagination.ts';
import { descriptionKey } from './category-words.ts';
import type { PartyLabel, PupilPaging } from './download-listing.ts';

/** A section's items with their labels and descriptions in the request's language. */
export function sectionItems(request: FastifyRequest, items: MenuItem[]): MenuItem[] {
  return items.map((item) => {
    const key = descriptionKey(item.href);
    return {
      ...item,
      label: request.t(menuLabelKey(item.href)),
      ...(key ? { description: request.t(key) } : {}),
    };
  });
}

/** The page of a file's pupils asked for (`pupilPage`: `page` is the list's, on the LA's pages). */
export const pupilPageQuery = z.object({ pupilPage: z.coerce.number().int().catch(1) });

/** The page of a file's pupils asked for in the request's query: 1 when none. */
export function pupilPageOf(request: FastifyRequest): number {
  return pupilPageQuery.parse(request.query ?? {}).pupilPage;
}

/**
 * The pagination of a file's pupils on its page at `path` (undefined when they fit one page), keeping
 * `query`; and, for a page past the last, the address of the last, to redirect to.
 */
export function pupilPages(
  request: FastifyRequest,
  path: string,
  paging: PupilPaging | undefined,
  query: Record<string, string> = {},
) {
  if (!paging) return { pupilPagination: undefined, pastLastPupils: undefined };
  return {
    pupilPagination: pagination(path, paging, request.t('transfer.pupils.pages'), query, 'pupilPage'),
    pastLastPupils: lastPageHref(request.url, paging.page, 'pupilPage'),
  };
}

/** A list's column headings, named by their keys, in the request's language. */
export function columnsIn<K extends string>(
  request: FastifyRequest,
  columns: { key: K; textKey: string }[],
): { key: K; text: string }[] {
  return columns.map(({ key, textKey }) => ({ key, text: request.t(textKey) }));
}

/**
 * A removal of a lost pupil's file an LA forwarded that makes the record lost again: the LA that uploaded
 * the record, when another (uploaderTold), is emailed; said on its page (warning), its answer (done), and
 * its answer posted again (already). The LA's Delete (la-monitor-routes.ts) and View / Remove Files
 * (sent-routes.ts) remove the same copies.
 */
export const UPLOADER_TOLD_KEYS = {
  warning: 'transfer.la.delete.uploader-told',
  done: 'transfer.la.deleted.uploader-told',
  already: 'transfer.la.deleted.uploader-told',
} as const;

/**
 * A removal's destination that downloaded the file without confirming the download (Told's
 * destinationDownloadedAt): it may hold a copy, which its email asks it to delete. Said on View / Remove
 * Files' and the LA's Delete's pages and answers alike.
 */
export function downloadedCopySaid(
  request: FastifyRequest,
  destination: PartyLabel,
  downloadedAt: string,
): string {
  return request.t('transfer.remove.destination-downloaded', {
    destination: destination.name,
    date: formatDateTime(downloadedAt, request.language),
  });
}
