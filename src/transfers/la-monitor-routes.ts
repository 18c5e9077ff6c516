// The web edge of the LA's CTF views (LA notes §5.3, §4.2; la-monitor-service.ts), under the Download
// menu as in the LA notes, each behind transfers.la-monitor:
//
//   GET  /download/ctf/monitor?tab=within|incoming|outgoing&show=collection|collected
//                                       Files Within LEA | Incoming Files | Outgoing Files, sortable
//   GET  /download/ctf/uncollected      Delete Files Not Collected by Schools: each waiting CTF with its
//                                       pupils, and Forward / Delete
//   GET  /download/ctf/uncollected/:laTransferId            one of them
//   GET|POST /download/ctf/uncollected/:laTransferId/delete  "Are you sure?", then removed
//   GET|POST /download/ctf/uncollected/:laTransferId/forward the school's number, then the new name to
//                                       confirm (a second post with confirm=yes), then forwarded
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SignedInUser } from '../auth/service.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { type FieldError, invalidErrors } from '../platform/errors.ts';
import { readSort, type SortKey, sortHeadings } from './download-listing.ts';
import { SCHOOL_FIELD } from './forward-service.ts';
import {
  isLaShow,
  isLaTab,
  LA_SHOW_INFO,
  LA_SHOWS,
  LA_TAB_INFO,
  LA_TABS,
  type LaCtfTab,
  LaMonitorService,
  type LaPage,
  type LaShow,
} from './la-monitor-service.ts';

export const MONITOR_PATH = '/download/ctf/monitor';
export const UNCOLLECTED_PATH = '/download/ctf/uncollected';
export const MONITOR_LABEL = 'Monitor CTF Files';
export const UNCOLLECTED_LABEL = 'Delete Files Not Collected by Schools';

const monitorQuery = z.object({
  tab: z.string().optional(),
  show: z.string().optional(),
  sort: z.string().optional(),
  order: z.string().optional(),
  page: z.string().optional(),
});
const pageQuery = z.object({ page: z.string().optional() });
const fileParams = z.object({ laTransferId: z.string() });
const forwardForm = z.object({ school: z.string().default(''), confirm: z.string().optional() });

/** The columns of the LA notes' screenshot, in its order. */
const COLUMNS: { key: SortKey; text: string }[] = [
  { key: 'destination', text: 'Destination School' },
  { key: 'file', text: 'Filename' },
  { key: 'source', text: 'Source School' },
  { key: 'uploaded', text: 'Date Uploaded' },
];
const OFFERED = COLUMNS.map((column) => column.key);

function pageNumber(value: string | undefined): number {
  const n = Number.parseInt(value ?? '1', 10);
  return Number.isFinite(n) && n > 0 ? n : 1;
}

/** GOV.UK pagination links for a page of a list, keeping the rest of the query. */
function pagination<T>(base: string, page: LaPage<T>, query: Record<string, string>) {
  const href = (n: number) => `${base}?${new URLSearchParams({ ...query, page: String(n) }).toString()}`;
  return {
    previous: page.page > 1 ? { href: href(page.page - 1) } : undefined,
    next: page.page < page.pageCount ? { href: href(page.page + 1) } : undefined,
  };
}

export function laMonitorRoutes(deps: Pick<Deps, 'db' | 'files' | 'clock' | 'logger'>): Route[] {
  const service = new LaMonitorService(deps);
  const fileHref = (id: string) => `${UNCOLLECTED_PATH}/${id}`;

  const filePage = async (reply: FastifyReply, user: SignedInUser, id: string, errors?: FieldError[]) => {
    const found = await service.file(user, id);
    return reply.page('transfers/views/la-file.njk', {
      title: found.file.filename,
      ...found,
      base: UNCOLLECTED_PATH,
      errors,
      backLink: { href: UNCOLLECTED_PATH, text: `Back to ${UNCOLLECTED_LABEL}` },
    });
  };

  const deletePage = async (reply: FastifyReply, user: SignedInUser, id: string, errors?: FieldError[]) => {
    const found = await service.file(user, id);
    if (!found.file.actionable && !errors) return reply.redirect(fileHref(found.file.id));
    return reply.page('transfers/views/la-delete.njk', {
      title: `Delete ${found.file.filename}`,
      ...found,
      base: UNCOLLECTED_PATH,
      errors,
      backLink: { href: fileHref(found.file.id), text: 'Back' },
    });
  };

  const forwardPage = async (
    reply: FastifyReply,
    user: SignedInUser,
    id: string,
    data: { school?: string; errors?: FieldError[] } = {},
  ) => {
    const found = await service.file(user, id);
    if (!found.file.actionable && !data.errors) return reply.redirect(fileHref(found.file.id));
    return reply.page('transfers/views/la-forward.njk', {
      title: `Forward ${found.file.filename}`,
      file: found.file,
      base: UNCOLLECTED_PATH,
      values: { school: data.school ?? '' },
      errors: data.errors,
      backLink: { href: fileHref(found.file.id), text: 'Back' },
    });
  };

  return [
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
        const page = await service.monitor(user, tab, show, sort, pageNumber(query.page));
        const link = (t: LaCtfTab, s: LaShow) =>
          `${MONITOR_PATH}?${new URLSearchParams({ tab: t, show: s }).toString()}`;
        const sortQuery = { tab, show, sort: sort.key, order: sort.order };
        return reply.page('transfers/views/la-monitor.njk', {
          title: `${LA_TAB_INFO[tab].label}: ${LA_SHOW_INFO[show].label}`,
          heading: MONITOR_LABEL,
          tab,
          show,
          tabInfo: LA_TAB_INFO[tab],
          showInfo: LA_SHOW_INFO[show],
          tabs: LA_TABS.map((key) => ({
            key,
            label: LA_TAB_INFO[key].label,
            href: link(key, show),
            current: key === tab,
          })),
          shows: LA_SHOWS.map((key) => ({
            key,
            label: LA_SHOW_INFO[key].label,
            href: link(tab, key),
            current: key === show,
          })),
          page,
          files: page.items,
          headings: sortHeadings(MONITOR_PATH, sort, COLUMNS, { tab, show }),
          ...pagination(MONITOR_PATH, page, sortQuery),
          uncollectedHref: UNCOLLECTED_PATH,
          uncollectedLabel: UNCOLLECTED_LABEL,
          backLink: { href: '/download', text: 'Back to Download' },
        });
      },
    },
    {
      method: 'GET',
      url: UNCOLLECTED_PATH,
      access: 'transfers.la-monitor',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = pageQuery.parse(request.query ?? {});
        const page = await service.awaiting(user, pageNumber(query.page));
        return reply.page('transfers/views/la-uncollected.njk', {
          title: UNCOLLECTED_LABEL,
          page,
          entries: page.items,
          base: UNCOLLECTED_PATH,
          monitorHref: MONITOR_PATH,
          monitorLabel: MONITOR_LABEL,
          ...pagination(UNCOLLECTED_PATH, page, {}),
          backLink: { href: '/download', text: 'Back to Download' },
        });
      },
    },
    {
      method: 'GET',
      url: `${UNCOLLECTED_PATH}/:laTransferId`,
      access: 'transfers.la-monitor',
      handler: async (request, reply) => {
        const { laTransferId } = fileParams.parse(request.params ?? {});
        return filePage(reply, signedInUser(request), laTransferId);
      },
    },
    {
      method: 'GET',
      url: `${UNCOLLECTED_PATH}/:laTransferId/delete`,
      access: 'transfers.la-monitor',
      handler: async (request, reply) => {
        const { laTransferId } = fileParams.parse(request.params ?? {});
        return deletePage(reply, signedInUser(request), laTransferId);
      },
    },
    {
      method: 'POST',
      url: `${UNCOLLECTED_PATH}/:laTransferId/delete`,
      access: 'transfers.la-monitor',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { laTransferId } = fileParams.parse(request.params ?? {});
        try {
          const file = await service.remove(user, laTransferId);
          return reply
            .flash(
              `${file.filename} has been deleted. ${file.destination.name} can no longer see or download it, and ${file.source.name} will be sent an email.`,
            )
            .redirect(UNCOLLECTED_PATH, 303);
        } catch (error) {
          return deletePage(reply.code(400), user, laTransferId, invalidErrors(error));
        }
      },
    },
    {
      method: 'GET',
      url: `${UNCOLLECTED_PATH}/:laTransferId/forward`,
      access: 'transfers.la-monitor',
      handler: async (request, reply) => {
        const { laTransferId } = fileParams.parse(request.params ?? {});
        return forwardPage(reply, signedInUser(request), laTransferId);
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
        try {
          if (form.confirm !== 'yes') {
            const plan = await service.forwardPlan(user, laTransferId, form.school);
            const found = await service.file(user, laTransferId);
            return reply.page('transfers/views/la-forward-check.njk', {
              title: `Forward ${found.file.filename} as ${plan.filename}?`,
              file: found.file,
              plan,
              school: plan.destination.code,
              base: UNCOLLECTED_PATH,
              backLink: { href: `${fileHref(found.file.id)}/forward`, text: 'Back' },
            });
          }
          const result = await service.forward(user, laTransferId, form.school);
          return reply
            .flash(
              `${result.original.filename} has been forwarded to ${result.plan.destination.name} as ${result.forwarded.filename}. The school will be sent an email.`,
            )
            .redirect(UNCOLLECTED_PATH, 303);
        } catch (error) {
          const errors = invalidErrors(error);
          if (!errors.some((e) => e.field === SCHOOL_FIELD)) throw error;
          return forwardPage(reply.code(400), user, laTransferId, { school: form.school, errors });
        }
      },
    },
  ];
}
