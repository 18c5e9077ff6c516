// The web edge of Download, Previously Downloaded Files and Re-Download (schools handbook §4, §6; LA
// notes §5.2, §5.7). One set of pages per category, each behind its own download.<type> capability:
//
//   GET  /download                          the Download menu's page ("Please select an item")
//   GET  /download/ctf                      Download CTF Files: sortable, selectable, Accept / Reject
//   GET  /download/ctf/files/:transferId    one file and its pupils ("Pupil Details for selected file")
//   GET  /download/ctf/confirm?file=..      Accept: "Do you want to download ...?" Yes / No
//   POST /download/ctf/confirm              Yes: a download ticket, then the question page
//   GET  /download/ctf/check?file=..&ticket=  "Was the file downloaded correctly?", which starts the
//                                           download itself (a meta refresh to /file, and a link)
//   GET  /download/ctf/file?file=..&ticket=   the file itself (several: one zip)
//   POST /download/ctf/check                Yes: collected; No: it stays in the list
//   GET|POST /download/ctf/files/:transferId/reject   the reason, then rejected
//   GET  /download/ctf/previous             Previously Downloaded CTF Files; POST downloads again
//   GET  /previously-downloaded             every re-download list the role has, on one page, each sortable
//                                           on its own (?ctf-sort=file&ctf-order=descending#previously-ctf)
//
// Downloads are sent by hand (reply.hijack): the headers go first, then the bytes as they are
// decrypted and checked; if a stored file fails its check the connection is cut, so the browser shows
// a failed download instead of saving a wrong or shortened file.

import { pipeline } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { menuLabelKey, menuSection } from '../auth/menu.ts';
import type { SignedInUser } from '../auth/service.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { keyedError, translateMessage } from '../platform/i18n/catalogue.ts';
import { manyValues } from '../platform/web/form-values.ts';
import { CATEGORIES, type Category, downloadCapability } from './categories.ts';
import { FILES_WORD_KEYS } from './category-words.ts';
import {
  type FileListing,
  readSort,
  type Sort,
  type SortKey,
  sortHeadings,
  sortQuery,
} from './download-listing.ts';
import { allowsSeveral, type Download, DownloadService, MAX_FILES_PER_DOWNLOAD } from './download-service.ts';
import { DownloadTickets } from './download-tickets.ts';
import { columnsIn, pupilPageOf, pupilPages, sectionItems } from './web.ts';

const text = z.string().default('');

const PREVIOUSLY_PATH = '/previously-downloaded';
/** Previously Downloaded Files: every list's order, each under its own names (sortQuery). */
const severalListsQuery = z.record(z.string(), z.unknown());
/** A list's order: from its column headings' links, or carried by a form about it (sortFields). */
const listOrder = z.object({ sort: z.string().optional(), order: z.string().optional() });
/** Accept or Reject from the list: the files, and the list's order, to show it again as it was. */
const confirmQuery = listOrder.extend({ file: manyValues, action: z.string().optional() });
const ticketQuery = z.object({ file: manyValues, ticket: text });
/** Yes on the confirm page, or Download again: the files, and the list's order should it show again. */
const filesForm = listOrder.extend({ file: manyValues });
/** The question's answer, with the download's ticket so the page asked again (no answer) still links to it. */
const checkForm = z.object({ file: manyValues, answer: text, ticket: z.string().optional() });
const rejectForm = z.object({ reason: text });
const transferParams = z.object({ transferId: z.string() });

const LIST_COLUMNS: { key: SortKey; textKey: string }[] = [
  { key: 'file', textKey: 'transfer.column.file' },
  { key: 'uploaded', textKey: 'transfer.column.uploaded' },
  { key: 'source', textKey: 'transfer.column.source' },
];
const OFFERED = LIST_COLUMNS.map((column) => column.key);
/** How the re-download lists open: the newest upload first. */
const NEWEST_FIRST: Sort = { key: 'uploaded', order: 'descending' };

/** The order a list was asked for among its columns, or `fallback` (the default) for none or nonsense. */
function listSort(asked: z.infer<typeof listOrder>, fallback?: Sort): Sort {
  return readSort(asked.sort, asked.order, OFFERED, fallback);
}

/** What a list's heading calls the files: "Common Transfer Files ready for download" (handbook §4). */
function filesWordKey(category: Category): string {
  return category === 'ctf' ? 'transfer.files-word.ctf-long' : FILES_WORD_KEYS[category];
}

/** "Back to Download CTF Files": the address's page, named by the menu. */
function backTo(request: FastifyRequest, href: string): { href: string; text: string } {
  return { href, text: request.t('transfer.back-to', { page: request.t(menuLabelKey(href)) }) };
}

function rethrowUnlessInvalid(error: unknown): FieldError[] {
  if (error instanceof Invalid) return error.errors;
  throw error;
}

function fileQuery(fileIds: readonly string[], extra: Record<string, string> = {}): string {
  const query = new URLSearchParams();
  for (const id of fileIds) query.append('file', id);
  for (const [key, value] of Object.entries(extra)) query.append(key, value);
  return query.toString();
}

/** RFC 6266: a plain quoted name for every browser, and the exact name in UTF-8 for those that read it. */
export function contentDisposition(filename: string): string {
  const plain = filename.replace(/[^A-Za-z0-9._() -]/g, '_') || 'download';
  const exact = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${plain}"; filename*=UTF-8''${exact}`;
}

function sendDownload(request: FastifyRequest, reply: FastifyReply, download: Download): void {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (typeof value === 'string' || typeof value === 'number') headers[name] = String(value);
  }
  Object.assign(headers, {
    'content-type': download.contentType,
    'content-disposition': contentDisposition(download.filename),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  if (download.size !== null) headers['content-length'] = String(download.size);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, headers);
  pipeline(download.stream, res, (error) => {
    if (!error) return;
    // pipeline has destroyed the response: the browser sees a failed download. Ids only in the log.
    request.log.error(
      { transferIds: download.transferIds, error: error.name, message: error.message },
      'download broken off',
    );
    if (!res.destroyed) res.destroy(error);
  });
}

export function downloadRoutes(
  deps: Pick<Deps, 'db' | 'files' | 'clock' | 'logger' | 'cookieSecret'>,
): Route[] {
  const service = new DownloadService(deps);
  const tickets = new DownloadTickets(deps.cookieSecret);

  const listPage = async (
    reply: FastifyReply,
    user: SignedInUser,
    category: Category,
    sort: Sort,
    data: { errors?: FieldError[]; selected?: string[] } = {},
  ) => {
    const base = `/download/${category}`;
    const files = await service.available(user, category, sort);
    const t: FastifyRequest['t'] = (key, params) => reply.request.t(key, params);
    return reply.page('transfers/views/download-list.njk', {
      title: t('transfer.download-list.title', { files: t(filesWordKey(category)) }),
      heading: t(menuLabelKey(base)),
      filesWord: t(FILES_WORD_KEYS[category]),
      category,
      base,
      files,
      headings: sortHeadings(base, sort, columnsIn(reply.request, LIST_COLUMNS)),
      sort,
      several: allowsSeveral(category),
      showPupils: category === 'ctf',
      maxFiles: MAX_FILES_PER_DOWNLOAD,
      selected: data.selected ?? [],
      errors: data.errors,
      backLink: backTo(reply.request, '/download'),
    });
  };

  const previousPage = async (
    reply: FastifyReply,
    user: SignedInUser,
    category: Category,
    sort: Sort,
    data: { errors?: FieldError[]; selected?: string[] } = {},
  ) => {
    const base = `/download/${category}/previous`;
    const files = await service.previouslyDownloaded(user, category, sort);
    return reply.page('transfers/views/download-previous.njk', {
      title: reply.request.t(menuLabelKey(base)),
      category,
      base,
      files,
      headings: sortHeadings(base, sort, columnsIn(reply.request, LIST_COLUMNS)),
      sort,
      several: allowsSeveral(category),
      errors: data.errors,
      selected: data.selected ?? [],
      backLink: backTo(reply.request, '/download'),
    });
  };

  const checkPage = async (
    reply: FastifyReply,
    user: SignedInUser,
    category: Category,
    files: FileListing[],
    data: { ticket?: string; errors?: FieldError[] } = {},
  ) => {
    // Asked again for want of an answer (errors), the download is offered by its link, not started again.
    const fileIds = files.map((file) => file.id);
    const base = `/download/${category}`;
    const ticketValid =
      data.ticket !== undefined &&
      tickets.isValid(data.ticket, user.userId, category, fileIds, deps.clock.now());
    return reply.page('transfers/views/download-check.njk', {
      title: reply.request.t(
        files.length === 1 ? 'transfer.check.title.one' : 'transfer.check.title.several',
      ),
      category,
      base,
      files,
      downloadHref: ticketValid
        ? `${base}/file?${fileQuery(fileIds, { ticket: data.ticket ?? '' })}`
        : undefined,
      ticket: ticketValid ? data.ticket : undefined,
      startDownload: ticketValid && !data.errors,
      confirmHref: `${base}/confirm?${fileQuery(fileIds, { action: 'accept' })}`,
      notifies: category === 'ctf',
      errors: data.errors,
    });
  };

  const routes: Route[] = [
    {
      method: 'GET',
      url: '/download',
      access: 'transfers.received',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        return reply.page('transfers/views/download-section.njk', {
          title: request.t('menu.download'),
          items: sectionItems(request, menuSection(user.role, '/download')?.children ?? []),
          backLink: { href: '/' },
        });
      },
    },
    {
      method: 'GET',
      url: PREVIOUSLY_PATH,
      access: 'transfers.received',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = severalListsQuery.parse(request.query ?? {});
        // Each list its own order ({category}-sort, {category}-order): sorting one leaves the others be.
        const lists = service.categoriesFor(user).map((category) => {
          const list = { prefix: `${category}-`, anchor: `previously-${category}` };
          const sort = readSort(
            query[`${list.prefix}sort`],
            query[`${list.prefix}order`],
            OFFERED,
            NEWEST_FIRST,
          );
          return { category, list, sort };
        });
        const sorted = lists
          .filter(({ sort }) => sort.key !== NEWEST_FIRST.key || sort.order !== NEWEST_FIRST.order)
          .map(({ list, sort }) => sortQuery(sort, list.prefix));
        const sections = [];
        for (const { category, list, sort } of lists) {
          sections.push({
            category,
            id: list.anchor,
            label: request.t(menuLabelKey(`/download/${category}/previous`)),
            several: allowsSeveral(category),
            files: await service.previouslyDownloaded(user, category, sort),
            headings: sortHeadings(
              PREVIOUSLY_PATH,
              sort,
              columnsIn(request, LIST_COLUMNS),
              Object.assign({}, ...sorted),
              list,
            ),
            sort,
          });
        }
        return reply.page('transfers/views/download-previously.njk', {
          title: request.t('menu.previously-downloaded'),
          sections,
          anyFiles: sections.some((section) => section.files.length > 0),
          backLink: { href: '/' },
        });
      },
    },
  ];

  for (const category of CATEGORIES) {
    const access = downloadCapability(category);
    const base = `/download/${category}`;
    routes.push(
      {
        method: 'GET',
        url: base,
        access,
        handler: async (request, reply) => {
          const query = listOrder.parse(request.query ?? {});
          return listPage(reply, signedInUser(request), category, listSort(query));
        },
      },
      {
        method: 'GET',
        url: `${base}/files/:transferId`,
        access,
        handler: async (request, reply) => {
          const user = signedInUser(request);
          const { transferId } = transferParams.parse(request.params ?? {});
          const found = await service.file(user, transferId, pupilPageOf(request));
          // The address names the category: a file reached under another one is sent to its own page.
          if (found.file.category !== category) {
            return reply.redirect(`/download/${found.file.category}/files/${found.file.id}`);
          }
          const pages = pupilPages(request, `${base}/files/${found.file.id}`, found.pupilPaging);
          if (pages.pastLastPupils) return reply.redirect(pages.pastLastPupils, 303);
          return reply.page('transfers/views/download-file.njk', {
            title: found.file.filename,
            category,
            base,
            listLabel: request.t(menuLabelKey(base)),
            ...found,
            ...pages,
            backLink: backTo(request, found.file.status === 'collected' ? `${base}/previous` : base),
          });
        },
      },
      {
        method: 'GET',
        url: `${base}/confirm`,
        access,
        handler: async (request, reply) => {
          const user = signedInUser(request);
          const query = confirmQuery.parse(request.query ?? {});
          const sort = listSort(query);
          if (query.file.length === 0 && query.action === undefined) return reply.redirect(base);
          if (query.action === 'reject') {
            const [only] = query.file;
            if (query.file.length !== 1 || !only) {
              return listPage(reply.code(400), user, category, sort, {
                selected: query.file,
                errors: [keyedError('file', 'transfer.download.select-one-to-reject')],
              });
            }
            await service.chosen(user, category, [only]);
            return reply.redirect(`${base}/files/${only}/reject`);
          }
          try {
            const { files } = await service.selection(user, category, query.file, 'download');
            return reply.page('transfers/views/download-confirm.njk', {
              title: request.t('transfer.confirm.title', { count: files.length }),
              category,
              base,
              files,
              sort,
              backLink: backTo(request, base),
            });
          } catch (error) {
            const errors = rethrowUnlessInvalid(error);
            return listPage(reply.code(400), user, category, sort, { selected: query.file, errors });
          }
        },
      },
      {
        method: 'POST',
        url: `${base}/confirm`,
        access,
        handler: async (request, reply) => {
          const user = signedInUser(request);
          const form = filesForm.parse(request.body ?? {});
          try {
            const { files } = await service.selection(user, category, form.file, 'download');
            const fileIds = files.map((file) => file.id);
            const ticket = tickets.issue(user.userId, category, fileIds, deps.clock.now());
            return reply.redirect(`${base}/check?${fileQuery(fileIds, { ticket })}`, 303);
          } catch (error) {
            const errors = rethrowUnlessInvalid(error);
            return listPage(reply.code(400), user, category, listSort(form), { selected: form.file, errors });
          }
        },
      },
      {
        method: 'GET',
        url: `${base}/check`,
        access,
        handler: async (request, reply) => {
          const user = signedInUser(request);
          const query = ticketQuery.parse(request.query ?? {});
          if (query.file.length === 0) return reply.redirect(base);
          const files = await service.chosen(user, category, query.file);
          return checkPage(reply, user, category, files, { ticket: query.ticket });
        },
      },
      {
        method: 'GET',
        url: `${base}/file`,
        access,
        handler: async (request, reply) => {
          const user = signedInUser(request);
          const query = ticketQuery.parse(request.query ?? {});
          if (query.file.length === 0) return reply.redirect(base);
          if (!tickets.isValid(query.ticket, user.userId, category, query.file, deps.clock.now())) {
            // An old or copied link: ask again (which re-checks everything) rather than download.
            return reply.redirect(`${base}/confirm?${fileQuery(query.file, { action: 'accept' })}`);
          }
          // Fastify answers HEAD with this handler too: a HEAD is not a download, so nothing is recorded.
          if (request.method === 'HEAD') return reply.header('cache-control', 'no-store').send();
          try {
            sendDownload(request, reply, await service.download(user, category, query.file, 'download'));
            return reply;
          } catch (error) {
            const errors = rethrowUnlessInvalid(error);
            return listPage(reply.code(400), user, category, readSort(undefined, undefined, OFFERED), {
              errors,
            });
          }
        },
      },
      {
        method: 'POST',
        url: `${base}/check`,
        access,
        handler: async (request, reply) => {
          const user = signedInUser(request);
          const form = checkForm.parse(request.body ?? {});
          if (form.answer !== 'yes' && form.answer !== 'no') {
            const files = await service.chosen(user, category, form.file);
            if (files.length === 0) return reply.redirect(base);
            return checkPage(reply.code(400), user, category, files, {
              ticket: form.ticket,
              errors: [
                keyedError(
                  'answer',
                  files.length === 1 ? 'transfer.check.select-yes.one' : 'transfer.check.select-yes.several',
                ),
              ],
            });
          }
          if (form.answer === 'no') {
            const { waiting, changed } = await service.answeredNo(user, category, form.file);
            if (waiting.length + changed.length === 0) return reply.redirect(base);
            const said: string[] = [];
            if (waiting.length > 0) {
              said.push(
                waiting.length === 1
                  ? request.t('transfer.check.still-waiting.one', { filename: waiting[0]?.filename ?? '' })
                  : request.t('transfer.check.still-waiting.several'),
              );
            }
            // No after Yes (Back in between), or a file changed meanwhile: each as it is, not "still waiting".
            for (const { state } of changed) said.push(`${translateMessage(request.language, state)}.`);
            const collected = changed.filter(({ file }) => file.status === 'collected').length;
            if (collected > 0) {
              said.push(
                request.t(collected === 1 ? 'transfer.check.again.one' : 'transfer.check.again.several', {
                  list: request.t(menuLabelKey(`${base}/previous`)),
                }),
              );
            }
            // Nothing was done: a notice to read, not a success.
            return reply.flash(said.join(' '), 'important').redirect(base);
          }
          try {
            const outcome = await service.collect(user, category, form.file);
            const notDone = outcome.notCollected.map(
              (item) => ` ${translateMessage(request.language, item.state)}.`,
            );
            // None collected (each was removed, rejected or forwarded meanwhile, by its sender or its
            // LA): only what happened to them, as a notice, with no offer to download them again.
            if (outcome.collected.length === 0) {
              return reply.flash(notDone.join('').trim(), 'important').redirect(base);
            }
            const done =
              outcome.collected.length === 1
                ? request.t('transfer.check.collected.one', {
                    filename: outcome.collected[0]?.filename ?? '',
                  })
                : request.t('transfer.check.collected.several', { count: outcome.collected.length });
            const again = request.t(
              outcome.collected.length === 1 ? 'transfer.check.again.one' : 'transfer.check.again.several',
              { list: request.t(menuLabelKey(`${base}/previous`)) },
            );
            return reply.flash(`${done}${notDone.join('')} ${again}`).redirect(base);
          } catch (error) {
            const errors = rethrowUnlessInvalid(error);
            return checkPage(
              reply.code(400),
              user,
              category,
              await service.chosen(user, category, form.file),
              {
                errors,
              },
            );
          }
        },
      },
      {
        method: 'GET',
        url: `${base}/files/:transferId/reject`,
        access,
        handler: async (request, reply) => {
          const user = signedInUser(request);
          const { transferId } = transferParams.parse(request.params ?? {});
          // The file alone: its pupils are not on this page (one page of them read, not all).
          const found = await service.file(user, transferId, 1);
          if (found.file.category !== category) {
            return reply.redirect(`/download/${found.file.category}/files/${found.file.id}/reject`);
          }
          if (found.file.status !== 'available') return reply.redirect(`${base}/files/${found.file.id}`);
          return reply.page('transfers/views/download-reject.njk', {
            title: request.t('transfer.reject.title', { filename: found.file.filename }),
            base,
            file: found.file,
            forwardingLa: await service.forwardingLaTold(user, transferId),
            values: { reason: '' },
            backLink: { href: `${base}/files/${found.file.id}` },
          });
        },
      },
      {
        method: 'POST',
        url: `${base}/files/:transferId/reject`,
        access,
        handler: async (request, reply) => {
          const user = signedInUser(request);
          const { transferId } = transferParams.parse(request.params ?? {});
          const form = rejectForm.parse(request.body ?? {});
          try {
            const file = await service.reject(user, category, transferId, form.reason);
            // Posted again (Back and Reject file, a double click): done once, and said so.
            const done = file.already ? 'transfer.reject.done-already' : 'transfer.reject.done';
            return reply
              .flash(request.t(done, { filename: file.filename, party: file.party.name }))
              .redirect(base);
          } catch (error) {
            const errors = rethrowUnlessInvalid(error);
            const [file] = await service.chosen(user, category, [transferId]);
            // Rejected by a colleague meanwhile (rejected by this user is answered above): there is nothing
            // left to reject, so the list says so, as a colleague's removal does (decision 49).
            if (file?.status === 'rejected') {
              return reply
                .flash(
                  request.t('transfer.reject.by-colleague', {
                    filename: file.filename,
                    party: file.party.name,
                  }),
                  'important',
                )
                .redirect(base);
            }
            return reply.code(400).page('transfers/views/download-reject.njk', {
              title: request.t('transfer.reject.title', { filename: file?.filename ?? '' }),
              base,
              file,
              forwardingLa:
                file?.status === 'available' ? await service.forwardingLaTold(user, transferId) : null,
              values: form,
              errors,
              backLink: { href: `${base}/files/${transferId}` },
            });
          }
        },
      },
      {
        method: 'GET',
        url: `${base}/previous`,
        access,
        handler: async (request, reply) => {
          const query = listOrder.parse(request.query ?? {});
          return previousPage(reply, signedInUser(request), category, listSort(query, NEWEST_FIRST));
        },
      },
      {
        method: 'POST',
        url: `${base}/previous`,
        access,
        handler: async (request, reply) => {
          const user = signedInUser(request);
          const form = filesForm.parse(request.body ?? {});
          try {
            sendDownload(request, reply, await service.download(user, category, form.file, 'again'));
            return reply;
          } catch (error) {
            const errors = rethrowUnlessInvalid(error);
            // The files ticked stay ticked, and the list keeps its order, as on the Download list.
            return previousPage(reply.code(400), user, category, listSort(form, NEWEST_FIRST), {
              errors,
              selected: form.file,
            });
          }
        },
      },
    );
  }
  return routes;
}
