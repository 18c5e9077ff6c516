// The web edge of the LA's CTF views (LA notes §5.3, §4.2; la-monitor-service.ts), under the Download
// menu as in the LA notes, each behind transfers.la-monitor:
//
//   GET  /download/ctf/monitor?tab=within|incoming|outgoing&show=collection|collected
//                                       Files Within LEA | Incoming Files | Outgoing Files, sortable;
//                                       above them, the CTFs the LA forwarded that were rejected
//   GET  /download/ctf/uncollected      Delete files not collected by schools: each waiting CTF with its
//                                       pupils, and Forward / Delete
//   GET  /download/ctf/uncollected/:laTransferId            one of them
//   GET|POST /download/ctf/uncollected/:laTransferId/delete  "Are you sure?", then removed
//   GET|POST /download/ctf/uncollected/:laTransferId/forward the school's number, then the new name to
//                                       confirm (a second post with confirm=yes), then forwarded
//   GET  /download/ctf/monitor/rejected/:rejectedTransferId  a CTF the LA forwarded that its school
//                                       rejected (from the notice): the reason, the pupils, Forward
//   GET|POST /download/ctf/monitor/rejected/:rejectedTransferId/forward  forwarded on, as above
// A file the LA already forwarded (a second confirmation, the back button) shows where it went instead.
// A file's pages carry ?page=N, the page of the list they were opened from, so that a delete, a forward
// or a cancel returns the LA to that page (or, when that one is now empty, redirects to the last page left).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { menuLabelKey } from '../auth/menu.ts';
import type { SignedInUser } from '../auth/service.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { type FieldError, invalidErrors } from '../platform/errors.ts';
import { fieldErrorIn } from '../platform/i18n/catalogue.ts';
import type { Page } from '../platform/paging.ts';
import { lastPageHref, pageQuery } from '../platform/web/pagination.ts';
import { sentence } from '../platform/words.ts';
import { type PupilPaging, readSort, type SortKey, sortHeadings } from './download-listing.ts';
import { type ForwardPlan, type ForwardResult, SCHOOL_FIELD } from './forward-service.ts';
import {
  AlreadyForwarded,
  isLaShow,
  isLaTab,
  LA_SHOW_INFO,
  LA_SHOWS,
  LA_TABS,
  type LaCtfTab,
  type LaDeletable,
  LaMonitorService,
  type LaShow,
  REJECTED_FORWARD_DAYS,
} from './la-monitor-service.ts';
import { columnsIn, downloadedCopySaid, pupilPageOf, pupilPages, UPLOADER_TOLD_KEYS } from './web.ts';

export const MONITOR_PATH = '/download/ctf/monitor';
export const UNCOLLECTED_PATH = '/download/ctf/uncollected';
export const REJECTED_FORWARDS_PATH = `${MONITOR_PATH}/rejected`;

const monitorQuery = z.object({
  tab: z.string().optional(),
  show: z.string().optional(),
  sort: z.string().optional(),
  order: z.string().optional(),
});
const fileParams = z.object({ laTransferId: z.string() });
const rejectedParams = z.object({ rejectedTransferId: z.string() });
const forwardForm = z.object({ school: z.string().default(''), confirm: z.string().optional() });

/** The columns of the LA notes' screenshot, in its order. */
const COLUMNS: { key: SortKey; textKey: string }[] = [
  { key: 'destination', textKey: 'transfer.column.destination' },
  { key: 'file', textKey: 'transfer.column.filename' },
  { key: 'source', textKey: 'transfer.column.source' },
  { key: 'uploaded', textKey: 'transfer.column.uploaded' },
];

/** The tabs' and the switch's names, and what each shows. */
const TAB_KEYS: Record<LaCtfTab, { label: string; description: string }> = {
  within: { label: 'transfer.la.tab.within', description: 'transfer.la.tab.within.description' },
  incoming: { label: 'transfer.la.tab.incoming', description: 'transfer.la.tab.incoming.description' },
  outgoing: { label: 'transfer.la.tab.outgoing', description: 'transfer.la.tab.outgoing.description' },
};
const SHOW_KEYS: Record<LaShow, { label: string; intro: string }> = {
  collection: { label: 'transfer.la.show.collection', intro: 'transfer.la.show.collection.intro' },
  collected: { label: 'transfer.la.show.collected', intro: 'transfer.la.show.collected.intro' },
};
const OFFERED = COLUMNS.map((column) => column.key);

/** The query that takes the list's page along ("?page=2"); nothing for the first page. */
function listQuery(page: number): string {
  return page > 1 ? `?${new URLSearchParams({ page: String(page) }).toString()}` : '';
}

/** GOV.UK pagination links for a page of a list, keeping the rest of the query. */
function pagination<T>(base: string, page: Page<T>, query: Record<string, string>) {
  const href = (n: number) => `${base}?${new URLSearchParams({ ...query, page: String(n) }).toString()}`;
  return {
    previous: page.page > 1 ? { href: href(page.page - 1) } : undefined,
    next: page.page < page.pageCount ? { href: href(page.page + 1) } : undefined,
  };
}

/**
 * A Delete's words as what it does: the file waits for a school or for the LA itself, and its sender is
 * emailed or (the LA's own file) nobody is (la-monitor-service.ts remove). By [toLaItself][senderTold].
 */
const DELETION_KEYS = {
  warning: [
    ['transfer.la.delete.warning.own', 'transfer.la.delete.warning'],
    ['transfer.la.delete.warning.to-la.own', 'transfer.la.delete.warning.to-la'],
  ],
  done: [
    ['transfer.la.deleted.own', 'transfer.la.deleted'],
    ['transfer.la.deleted.to-la.own', 'transfer.la.deleted.to-la'],
  ],
  already: [
    ['transfer.la.deleted-already.own', 'transfer.la.deleted-already'],
    ['transfer.la.deleted-already.to-la.own', 'transfer.la.deleted-already.to-la'],
  ],
} as const;

/**
 * Another LA that forwarded the file (always to a school) is told too (forwarderTold): when the LA sent the
 * file itself, the only one told; else beside its sender.
 */
const FORWARDER_KEYS = {
  warning: { only: 'transfer.la.delete.warning.forwarder', too: 'transfer.la.delete.forwarder-too' },
  done: { only: 'transfer.la.deleted.forwarder', too: 'transfer.la.deleted.forwarder-too' },
  already: { only: 'transfer.la.deleted-already.forwarder', too: 'transfer.la.deleted.forwarder-too' },
} as const;

/**
 * The school the file waits for is told (destinationTold): when the LA sent the file itself, in the
 * deletion's sentence; else beside its sender.
 */
const DESTINATION_KEYS = {
  warning: { only: 'transfer.la.delete.warning.destination', too: 'transfer.la.delete.destination-too' },
  done: { only: 'transfer.la.deleted.destination', too: 'transfer.la.deleted.destination-too' },
  already: { only: 'transfer.la.deleted-already.destination', too: 'transfer.la.deleted.destination-too' },
} as const;

/** A lost pupil's record made lost again (lostPupilAgain): to happen, or done. */
const LOST_AGAIN_KEYS = {
  warning: 'transfer.la.delete.lost-again',
  done: 'transfer.la.deleted.lost-again',
  already: 'transfer.la.deleted.lost-again',
} as const;

/** What a Delete does, said by the rules that do it (LaDeletable): its page's warning, or its answer. */
function deletionSaid(
  request: FastifyRequest,
  words: keyof typeof DELETION_KEYS,
  file: Pick<
    LaDeletable,
    | 'filename'
    | 'destination'
    | 'source'
    | 'toLaItself'
    | 'senderTold'
    | 'destinationTold'
    | 'destinationDownloadedAt'
    | 'forwarderTold'
    | 'lostPupilAgain'
    | 'uploaderTold'
  >,
): string {
  const params = {
    filename: file.filename,
    destination: file.destination.name,
    source: file.source.name,
    forwarder: file.forwarderTold?.name ?? '',
  };
  // Nobody else told but the forwarder, or the school: it is named in the deletion's sentence.
  const destinationOnly = file.destinationTold !== null && !file.senderTold && !file.forwarderTold;
  const said =
    file.forwarderTold && !file.senderTold
      ? [request.t(FORWARDER_KEYS[words].only, params)]
      : destinationOnly
        ? [request.t(DESTINATION_KEYS[words].only, params)]
        : [request.t(DELETION_KEYS[words][file.toLaItself ? 1 : 0][file.senderTold ? 1 : 0], params)];
  if (file.forwarderTold && file.senderTold) said.push(request.t(FORWARDER_KEYS[words].too, params));
  if (file.destinationTold && !destinationOnly) said.push(request.t(DESTINATION_KEYS[words].too, params));
  if (file.destinationTold && file.destinationDownloadedAt) {
    said.push(downloadedCopySaid(request, file.destinationTold, file.destinationDownloadedAt));
  }
  if (file.lostPupilAgain) said.push(request.t(LOST_AGAIN_KEYS[words]));
  if (file.lostPupilAgain && file.uploaderTold) {
    said.push(request.t(UPLOADER_TOLD_KEYS[words], { uploader: file.uploaderTold.name }));
  }
  if (words === 'warning') said.push(request.t('transfer.la.delete.cannot-undo'));
  return said.join(' ');
}

export function laMonitorRoutes(deps: Pick<Deps, 'db' | 'files' | 'clock' | 'logger'>): Route[] {
  const service = new LaMonitorService(deps);
  const fileHref = (id: string, returnQuery: string) => `${UNCOLLECTED_PATH}/${id}${returnQuery}`;
  /** The list's page a file's page was opened from, as the query its links and forms carry on. */
  const returnQueryOf = (request: FastifyRequest) => listQuery(pageQuery.parse(request.query ?? {}).page);
  /** What a file's pages need to lead back to the list's page they were opened from. */
  const returnTo = (returnQuery: string) => ({ returnQuery, listHref: `${UNCOLLECTED_PATH}${returnQuery}` });

  /** A file's pupils' pages at `path`, keeping the list's page the file's page was opened from. */
  const pupilPagesOf = (request: FastifyRequest, path: string, paging: PupilPaging) => {
    const listPage = pageQuery.parse(request.query ?? {}).page;
    return pupilPages(request, path, paging, listPage > 1 ? { page: String(listPage) } : {});
  };

  const filePage = async (reply: FastifyReply, user: SignedInUser, id: string) => {
    const found = await service.file(user, id, pupilPageOf(reply.request));
    const pages = pupilPagesOf(reply.request, fileHref(found.file.id, ''), found.pupilPaging);
    if (pages.pastLastPupils) return reply.redirect(pages.pastLastPupils, 303);
    const back = returnTo(returnQueryOf(reply.request));
    return reply.page('transfers/views/la-file.njk', {
      title: found.file.filename,
      ...found,
      ...pages,
      base: UNCOLLECTED_PATH,
      ...back,
      backLink: {
        href: back.listHref,
        text: reply.request.t('transfer.back-to', { page: reply.request.t(menuLabelKey(UNCOLLECTED_PATH)) }),
      },
    });
  };

  const deletePage = async (reply: FastifyReply, user: SignedInUser, id: string, errors?: FieldError[]) => {
    const found = await service.file(user, id, pupilPageOf(reply.request));
    const returnQuery = returnQueryOf(reply.request);
    if (!found.file.actionable && !errors) return reply.redirect(fileHref(found.file.id, returnQuery));
    const pages = pupilPagesOf(reply.request, `${fileHref(found.file.id, '')}/delete`, found.pupilPaging);
    if (pages.pastLastPupils && !errors) return reply.redirect(pages.pastLastPupils, 303);
    return reply.page('transfers/views/la-delete.njk', {
      title: reply.request.t('transfer.la.delete.title', { filename: found.file.filename }),
      ...found,
      ...pages,
      warning: deletionSaid(reply.request, 'warning', found.file),
      base: UNCOLLECTED_PATH,
      ...returnTo(returnQuery),
      errors,
      backLink: { href: fileHref(found.file.id, returnQuery) },
    });
  };

  const forwardPage = async (
    reply: FastifyReply,
    user: SignedInUser,
    id: string,
    data: { school?: string; errors?: FieldError[] } = {},
  ) => {
    const found = await service.file(user, id);
    const returnQuery = returnQueryOf(reply.request);
    if (!found.file.actionable && !data.errors) return reply.redirect(fileHref(found.file.id, returnQuery));
    return reply.page('transfers/views/la-forward.njk', {
      title: reply.request.t('transfer.la.forward.title', { filename: found.file.filename }),
      file: found.file,
      base: UNCOLLECTED_PATH,
      ...returnTo(returnQuery),
      values: { school: data.school ?? '' },
      errors: data.errors,
      backLink: { href: fileHref(found.file.id, returnQuery) },
    });
  };

  /**
   * Back to the list of files not collected, saying `errors`: for a file rejected or removed by someone
   * else (a colleague, its school, its sender) since its page was shown, which has no page now.
   */
  const listSays = (reply: FastifyReply, errors: FieldError[]) => {
    const said = errors.map((e) => sentence(fieldErrorIn(reply.request.language, e))).join(' ');
    return reply.flash(said, 'important').redirect(`${UNCOLLECTED_PATH}${returnQueryOf(reply.request)}`, 303);
  };

  /** The page that says a file was forwarded already (nothing done again), in place of the one asked for. */
  const orAlreadyForwarded = async (reply: FastifyReply, page: () => Promise<FastifyReply>) => {
    try {
      return await page();
    } catch (error) {
      if (!(error instanceof AlreadyForwarded)) throw error;
      const t = (key: string, params?: Record<string, string>) => reply.request.t(key, params);
      return reply
        .code(reply.request.method === 'GET' ? 200 : 409)
        .page('transfers/views/la-forwarded-already.njk', {
          title: t('transfer.la.already-forwarded.title', { filename: error.earlier.filename }),
          earlier: error.earlier,
          rejectedHref: `${REJECTED_FORWARDS_PATH}/${error.earlier.copyId}`,
          monitorHref: MONITOR_PATH,
          monitorLabel: t(menuLabelKey(MONITOR_PATH)),
          uncollectedHref: `${UNCOLLECTED_PATH}${returnQueryOf(reply.request)}`,
          uncollectedLabel: t(menuLabelKey(UNCOLLECTED_PATH)),
        });
    }
  };

  /**
   * A forward's form posted: without confirm=yes, the new name to confirm; with it, forwarded, and back to
   * `done` with the news. A problem with the school number shows the form again, saying what it is.
   */
  const forwardPosted = (
    reply: FastifyReply,
    form: z.infer<typeof forwardForm>,
    steps: {
      plan: () => Promise<ForwardPlan>;
      file: () => Promise<{ file: { filename: string } }>;
      forward: () => Promise<ForwardResult>;
      checkPage: Record<string, unknown>;
      done: string;
      formAgain: (errors: FieldError[]) => Promise<FastifyReply>;
    },
  ) =>
    orAlreadyForwarded(reply, async () => {
      const t = reply.request.t.bind(reply.request);
      try {
        if (form.confirm !== 'yes') {
          const plan = await steps.plan();
          const { file } = await steps.file();
          return reply.page('transfers/views/la-forward-check.njk', {
            title: t('transfer.la.forward-check.title', { filename: file.filename, newName: plan.filename }),
            file,
            plan,
            school: plan.destination.code,
            ...steps.checkPage,
          });
        }
        const result = await steps.forward();
        const forwarded = t('transfer.la.forwarded', {
          filename: result.original.filename,
          destination: result.plan.destination.name,
          newName: result.forwarded.filename,
        });
        // The school the file was taken away from, as the forward told it (forward-service.ts).
        const told = result.originalTold
          ? t('transfer.la.forwarded.original-told', { destination: result.originalTold.name })
          : null;
        return reply.flash(told ? `${forwarded} ${told}` : forwarded).redirect(steps.done, 303);
      } catch (error) {
        const errors = invalidErrors(error);
        if (!errors.some((e) => e.field === SCHOOL_FIELD)) throw error;
        return steps.formAgain(errors);
      }
    });

  const backToMonitor = (reply: FastifyReply) => ({
    href: MONITOR_PATH,
    text: reply.request.t('transfer.back-to', { page: reply.request.t(menuLabelKey(MONITOR_PATH)) }),
  });

  const rejectedForwardPage = async (reply: FastifyReply, user: SignedInUser, id: string) => {
    const found = await service.rejectedForward(user, id, pupilPageOf(reply.request));
    const pages = pupilPages(reply.request, `${REJECTED_FORWARDS_PATH}/${id}`, found.pupilPaging);
    if (pages.pastLastPupils) return reply.redirect(pages.pastLastPupils, 303);
    return reply.page('transfers/views/la-rejected-forward.njk', {
      title: found.file.filename,
      ...found,
      ...pages,
      base: REJECTED_FORWARDS_PATH,
      backLink: backToMonitor(reply),
    });
  };

  const rejectedForwardForm = async (
    reply: FastifyReply,
    user: SignedInUser,
    id: string,
    data: { school?: string; errors?: FieldError[] } = {},
  ) => {
    const found = await service.rejectedForward(user, id);
    if (!found.file.actionable && !data.errors) return reply.redirect(`${REJECTED_FORWARDS_PATH}/${id}`);
    return reply.page('transfers/views/la-forward.njk', {
      title: reply.request.t('transfer.la.forward.title', { filename: found.file.filename }),
      file: found.file,
      base: REJECTED_FORWARDS_PATH,
      rejectedCopy: true,
      lostPupilRecord: found.lostPupilRecord,
      values: { school: data.school ?? '' },
      errors: data.errors,
      backLink: { href: `${REJECTED_FORWARDS_PATH}/${id}` },
    });
  };

  return [
    {
      method: 'GET',
      url: `${REJECTED_FORWARDS_PATH}/:rejectedTransferId`,
      access: 'transfers.la-monitor',
      handler: async (request, reply) => {
        const { rejectedTransferId } = rejectedParams.parse(request.params ?? {});
        return orAlreadyForwarded(reply, () =>
          rejectedForwardPage(reply, signedInUser(request), rejectedTransferId),
        );
      },
    },
    {
      method: 'GET',
      url: `${REJECTED_FORWARDS_PATH}/:rejectedTransferId/forward`,
      access: 'transfers.la-monitor',
      handler: async (request, reply) => {
        const { rejectedTransferId } = rejectedParams.parse(request.params ?? {});
        return orAlreadyForwarded(reply, () =>
          rejectedForwardForm(reply, signedInUser(request), rejectedTransferId),
        );
      },
    },
    {
      method: 'POST',
      url: `${REJECTED_FORWARDS_PATH}/:rejectedTransferId/forward`,
      access: 'transfers.la-monitor',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { rejectedTransferId: id } = rejectedParams.parse(request.params ?? {});
        const form = forwardForm.parse(request.body ?? {});
        return forwardPosted(reply, form, {
          plan: () => service.forwardRejectedPlan(user, id, form.school),
          file: () => service.rejectedForward(user, id),
          forward: () => service.forwardRejected(user, id, form.school),
          checkPage: {
            base: REJECTED_FORWARDS_PATH,
            rejectedCopy: true,
            backLink: { href: `${REJECTED_FORWARDS_PATH}/${id}/forward` },
          },
          done: MONITOR_PATH,
          formAgain: (errors) =>
            rejectedForwardForm(reply.code(400), user, id, { school: form.school, errors }),
        });
      },
    },
    {
      method: 'GET',
      url: MONITOR_PATH,
      access: 'transfers.la-monitor',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = monitorQuery.parse(request.query ?? {});
        const tab: LaCtfTab = isLaTab(query.tab) ? query.tab : 'within';
        const show: LaShow = isLaShow(query.show) ? query.show : 'collection';
        const sort = readSort(query.sort, query.order, OFFERED);
        const page = await service.monitor(user, tab, show, sort, pageQuery.parse(request.query ?? {}).page);
        const lastPage = lastPageHref(request.url, page.page);
        if (lastPage) return reply.redirect(lastPage, 303);
        const rejectedForwards = await service.rejectedForwards(user);
        const link = (t: LaCtfTab, s: LaShow) =>
          `${MONITOR_PATH}?${new URLSearchParams({ tab: t, show: s }).toString()}`;
        const sortQuery = { tab, show, sort: sort.key, order: sort.order };
        return reply.page('transfers/views/la-monitor.njk', {
          title: `${request.t(TAB_KEYS[tab].label)}: ${request.t(SHOW_KEYS[show].label)}`,
          heading: request.t(menuLabelKey(MONITOR_PATH)),
          tab,
          show,
          tabInfo: {
            label: request.t(TAB_KEYS[tab].label),
            description: request.t(TAB_KEYS[tab].description),
          },
          showInfo: { label: request.t(SHOW_KEYS[show].label), intro: request.t(SHOW_KEYS[show].intro) },
          // Only the outgoing tab could hold them: say where they went rather than leave the LA looking.
          lostPupilsLeftOut: tab === 'outgoing' && !LA_SHOW_INFO[show].lostPupils,
          tabs: LA_TABS.map((key) => ({
            key,
            label: request.t(TAB_KEYS[key].label),
            href: link(key, show),
            current: key === tab,
          })),
          shows: LA_SHOWS.map((key) => ({
            key,
            label: request.t(SHOW_KEYS[key].label),
            href: link(tab, key),
            current: key === show,
          })),
          page,
          files: page.items,
          rejectedForwards,
          rejectedForwardDays: REJECTED_FORWARD_DAYS,
          rejectedForwardsHref: REJECTED_FORWARDS_PATH,
          headings: sortHeadings(MONITOR_PATH, sort, columnsIn(request, COLUMNS), { tab, show }),
          ...pagination(MONITOR_PATH, page, sortQuery),
          uncollectedHref: UNCOLLECTED_PATH,
          uncollectedLabel: request.t(menuLabelKey(UNCOLLECTED_PATH)),
          backLink: {
            href: '/download',
            text: request.t('transfer.back-to', { page: request.t('menu.download') }),
          },
        });
      },
    },
    {
      method: 'GET',
      url: UNCOLLECTED_PATH,
      access: 'transfers.la-monitor',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const page = await service.awaiting(user, pageQuery.parse(request.query ?? {}).page);
        const lastPage = lastPageHref(request.url, page.page);
        if (lastPage) return reply.redirect(lastPage, 303);
        return reply.page('transfers/views/la-uncollected.njk', {
          title: request.t(menuLabelKey(UNCOLLECTED_PATH)),
          page,
          entries: page.items,
          base: UNCOLLECTED_PATH,
          returnQuery: listQuery(page.page),
          monitorHref: MONITOR_PATH,
          monitorLabel: request.t(menuLabelKey(MONITOR_PATH)),
          ...pagination(UNCOLLECTED_PATH, page, {}),
          backLink: {
            href: '/download',
            text: request.t('transfer.back-to', { page: request.t('menu.download') }),
          },
        });
      },
    },
    {
      method: 'GET',
      url: `${UNCOLLECTED_PATH}/:laTransferId`,
      access: 'transfers.la-monitor',
      handler: async (request, reply) => {
        const { laTransferId } = fileParams.parse(request.params ?? {});
        return orAlreadyForwarded(reply, () => filePage(reply, signedInUser(request), laTransferId));
      },
    },
    {
      method: 'GET',
      url: `${UNCOLLECTED_PATH}/:laTransferId/delete`,
      access: 'transfers.la-monitor',
      handler: async (request, reply) => {
        const { laTransferId } = fileParams.parse(request.params ?? {});
        return orAlreadyForwarded(reply, () => deletePage(reply, signedInUser(request), laTransferId));
      },
    },
    {
      method: 'POST',
      url: `${UNCOLLECTED_PATH}/:laTransferId/delete`,
      access: 'transfers.la-monitor',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { laTransferId } = fileParams.parse(request.params ?? {});
        return orAlreadyForwarded(reply, async () => {
          try {
            const file = await service.remove(user, laTransferId);
            // Posted again (Back and Delete, a double click): deleted once, and said so.
            return reply
              .flash(deletionSaid(request, file.already ? 'already' : 'done', file))
              .redirect(`${UNCOLLECTED_PATH}${returnQueryOf(request)}`, 303);
          } catch (error) {
            const errors = invalidErrors(error);
            if (!(await service.stillListed(user, laTransferId))) return listSays(reply, errors);
            return deletePage(reply.code(400), user, laTransferId, errors);
          }
        });
      },
    },
    {
      method: 'GET',
      url: `${UNCOLLECTED_PATH}/:laTransferId/forward`,
      access: 'transfers.la-monitor',
      handler: async (request, reply) => {
        const { laTransferId } = fileParams.parse(request.params ?? {});
        return orAlreadyForwarded(reply, () => forwardPage(reply, signedInUser(request), laTransferId));
      },
    },
    {
      method: 'POST',
      url: `${UNCOLLECTED_PATH}/:laTransferId/forward`,
      access: 'transfers.la-monitor',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { laTransferId } = fileParams.parse(request.params ?? {});
        const form = forwardForm.parse(request.body ?? {});
        const returnQuery = returnQueryOf(request);
        return forwardPosted(reply, form, {
          plan: () => service.forwardPlan(user, laTransferId, form.school),
          file: () => service.file(user, laTransferId),
          forward: () => service.forward(user, laTransferId, form.school),
          checkPage: {
            base: UNCOLLECTED_PATH,
            ...returnTo(returnQuery),
            backLink: { href: `${UNCOLLECTED_PATH}/${laTransferId}/forward${returnQuery}` },
          },
          done: `${UNCOLLECTED_PATH}${returnQuery}`,
          formAgain: async (errors) =>
            (await service.stillListed(user, laTransferId))
              ? forwardPage(reply.code(400), user, laTransferId, { school: form.school, errors })
              : listSays(reply, errors),
        });
      },
    },
  ];
}
