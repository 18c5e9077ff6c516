// The web edge of Lost Pupils Past Leaving Age (review-service.ts), behind lost-pupils.review:
//
//   GET  /lost-pupils/review[?select=all]       the LA's records past school-leaving age, with checkboxes
//                                              (select=all ticks every one listed), and those with no
//                                              date of birth apart
//   GET  /lost-pupils/review/confirm?record=ID&record=ID...&action=remove
//                                              the records chosen, and why they are being removed
//   POST /lost-pupils/review/remove            record=ID... and reason: removed, then back to the list
//
// No URL parameters: the records chosen travel in the query and the form, and the service checks each.
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SignedInUser } from '../auth/service.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { type FieldError, invalidErrors } from '../platform/errors.ts';
import { manyValues } from '../platform/web/form-values.ts';
import {
  LostPupilReviewService,
  REVIEW_LIMIT,
  REVIEW_PATH,
  type RemovalReason,
  type ReviewRecord,
} from './review-service.ts';

const listQuery = z.object({ select: z.string().optional(), record: manyValues });
const confirmQuery = z.object({ record: manyValues, action: z.string().optional() });
const removeForm = z.object({ record: manyValues, reason: z.string().optional() });

/** Why a record is removed, each reason's text as its key. */
const REASON_KEYS: Record<RemovalReason, string> = {
  'past-leaving-age': 'lost-pupils.review.reason.past-leaving-age',
  'destination-known': 'lost-pupils.review.reason.destination-known',
};
const REVIEW_LABEL_KEY = 'menu.lost-pupils.review';

export function reviewRoutes(deps: Pick<Deps, 'db' | 'files' | 'clock' | 'logger'>): Route[] {
  const service = new LostPupilReviewService(deps);

  const listPage = async (
    reply: FastifyReply,
    user: SignedInUser,
    options: { selected?: readonly string[]; selectAll?: boolean; errors?: FieldError[] } = {},
  ) => {
    const list = await service.due(user);
    // A record whose forwarded file waits at the school has no checkbox (review-service.ts).
    const selectable = list.records.filter((r) => !r.copyWaiting);
    const selected = options.selectAll ? selectable.map((r) => r.id) : [...(options.selected ?? [])];
    return reply.page('lost-pupils/views/review-list.njk', {
      title: reply.request.t(REVIEW_LABEL_KEY),
      ...list,
      selectable: selectable.length,
      selected,
      limit: REVIEW_LIMIT,
      base: REVIEW_PATH,
      errors: options.errors,
    });
  };

  const confirmPage = (
    reply: FastifyReply,
    records: ReviewRecord[],
    options: { reason?: string; errors?: FieldError[] } = {},
  ) => {
    const query = new URLSearchParams();
    for (const record of records) query.append('record', record.id);
    return reply.page('lost-pupils/views/review-confirm.njk', {
      title: reply.request.t('lost-pupils.review.confirm.title', { count: records.length }),
      records,
      reasons: Object.entries(REASON_KEYS).map(([value, key]) => ({
        value,
        text: reply.request.t(key),
        checked: value === options.reason,
      })),
      base: REVIEW_PATH,
      errors: options.errors,
      backLink: {
        href: `${REVIEW_PATH}?${query.toString()}`,
        text: reply.request.t('lost-pupils.back-to', { page: reply.request.t(REVIEW_LABEL_KEY) }),
      },
    });
  };

  return [
    {
      method: 'GET',
      url: REVIEW_PATH,
      access: 'lost-pupils.review',
      handler: async (request, reply) => {
        const query = listQuery.parse(request.query ?? {});
        return listPage(reply, signedInUser(request), {
          selectAll: query.select === 'all',
          selected: query.record,
        });
      },
    },
    {
      method: 'GET',
      url: `${REVIEW_PATH}/confirm`,
      access: 'lost-pupils.review',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const query = confirmQuery.parse(request.query ?? {});
        // The list's button sends action=remove; the bare address (a bookmark) is the list itself.
        if (query.record.length === 0 && query.action === undefined) return reply.redirect(REVIEW_PATH);
        try {
          return confirmPage(reply, await service.selection(user, query.record));
        } catch (error) {
          const errors = invalidErrors(error);
          return listPage(reply.code(400), user, { selected: query.record, errors });
        }
      },
    },
    {
      method: 'POST',
      url: `${REVIEW_PATH}/remove`,
      access: 'lost-pupils.review',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const form = removeForm.parse(request.body ?? {});
        try {
          const outcome = await service.remove(user, form.record, form.reason);
          if (outcome.removed.length === 0 && outcome.leftAlone.length === 0) {
            return reply
              .flash(request.t('lost-pupils.review.removed-already'), 'important')
              .redirect(REVIEW_PATH, 303);
          }
          const removed = request.t('lost-pupils.review.removed', { count: outcome.removed.length });
          const leftAlone =
            outcome.leftAlone.length > 0
              ? ` ${request.t('lost-pupils.review.left-alone', { count: outcome.leftAlone.length })}`
              : '';
          return reply.flash(`${removed}${leftAlone}`).redirect(REVIEW_PATH, 303);
        } catch (error) {
          const errors = invalidErrors(error);
          // A problem with the records chosen: the list again, to choose afresh. Only the reason
          // missing: the same confirmation, with the error.
          if (errors.some((e) => e.field === 'record')) {
            return listPage(reply.code(400), user, { selected: form.record, errors });
          }
          let records: ReviewRecord[];
          try {
            records = await service.selection(user, form.record);
          } catch (selectionError) {
            const stale = invalidErrors(selectionError);
            return listPage(reply.code(400), user, { selected: form.record, errors: stale });
          }
          return confirmPage(reply.code(400), records, { reason: form.reason, errors });
        }
      },
    },
  ];
}
