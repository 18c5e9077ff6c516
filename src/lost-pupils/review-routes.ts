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
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SignedInUser } from '../auth/service.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { type FieldError, invalidErrors } from '../platform/errors.ts';
import { textIn } from '../platform/i18n/catalogue.ts';
import { manyValues } from '../platform/web/form-values.ts';
import {
  LostPupilReviewService,
  REVIEW_LIMIT,
  REVIEW_PATH,
  type RemovalReason,
  type RemovedAlready,
  type RemovedBy,
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

/** How a record chosen was removed already, by whom: one sentence for each remover. */
const REMOVED_BEFORE_KEYS: Record<RemovedBy, string> = {
  you: 'lost-pupils.review.removed-before.you',
  colleague: 'lost-pupils.review.removed-before.colleague',
  sender: 'lost-pupils.review.removed-before.sender',
  'someone-else': 'lost-pupils.review.removed-before.someone-else',
};
/** Names given in each of those sentences at most (a notice is kept short: the rest are counted). */
const NAMES_SAID = 10;

/**
 * Which of the records chosen were removed already, and by whom: a sentence per remover (the user, each
 * colleague, the schools that sent them, anyone else), naming the records.
 */
function removedBeforeSaid(request: FastifyRequest, removedAlready: readonly RemovedAlready[]): string[] {
  const groups = new Map<string, { by: RemovedBy; colleague: string | null; names: string[] }>();
  for (const { record, by, colleague } of removedAlready) {
    const key = `${by}:${colleague ?? ''}`;
    const group = groups.get(key) ?? { by, colleague, names: [] };
    // A record whose file gives no name is said so in the reader's language (its name is a message).
    group.names.push(textIn(request.language, record.name));
    groups.set(key, group);
  }
  const order: RemovedBy[] = ['you', 'colleague', 'sender', 'someone-else'];
  return [...groups.values()]
    .sort((a, b) => order.indexOf(a.by) - order.indexOf(b.by))
    .map(({ by, colleague, names }) => {
      const said = names.slice(0, NAMES_SAID);
      if (names.length > NAMES_SAID) {
        said.push(request.t('lost-pupils.review.removed-before.more', { count: names.length - NAMES_SAID }));
      }
      return request.t(REMOVED_BEFORE_KEYS[by], { names: said.join('; '), colleague: colleague ?? '' });
    });
}

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

  /** Every record chosen was removed already: the list, with a notice saying by whom. */
  const nothingToRemove = (reply: FastifyReply, removedAlready: readonly RemovedAlready[]) => {
    const { request } = reply;
    const said = [
      request.t('lost-pupils.review.nothing-to-remove'),
      ...removedBeforeSaid(request, removedAlready),
    ];
    return reply.flash(said.join(' '), 'important').redirect(REVIEW_PATH, 303);
  };

  const confirmPage = (
    reply: FastifyReply,
    records: ReviewRecord[],
    options: { reason?: string; errors?: FieldError[]; removedAlready?: readonly RemovedAlready[] } = {},
  ) => {
    const query = new URLSearchParams();
    for (const record of records) query.append('record', record.id);
    return reply.page('lost-pupils/views/review-confirm.njk', {
      title: reply.request.t('lost-pupils.review.confirm.title', { count: records.length }),
      records,
      // Chosen, but removed already (Back to an earlier list, a colleague meanwhile): not in the form.
      removedBefore: removedBeforeSaid(reply.request, options.removedAlready ?? []),
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
          const selection = await service.selection(user, query.record);
          if (selection.records.length === 0) return nothingToRemove(reply, selection.removedAlready);
          return confirmPage(reply, selection.records, { removedAlready: selection.removedAlready });
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
          const removedBefore = removedBeforeSaid(request, outcome.removedAlready);
          if (outcome.removed.length === 0 && outcome.leftAlone.length === 0) {
            // The same form posted again: said as before. Others removed some: which, and by whom.
            const said = outcome.removedAlready.every((r) => r.by === 'you')
              ? [request.t('lost-pupils.review.removed-already')]
              : [request.t('lost-pupils.review.nothing-more'), ...removedBefore];
            return reply.flash(said.join(' '), 'important').redirect(REVIEW_PATH, 303);
          }
          const said = [request.t('lost-pupils.review.removed', { count: outcome.removed.length })];
          if (outcome.leftAlone.length > 0) {
            said.push(request.t('lost-pupils.review.left-alone', { count: outcome.leftAlone.length }));
          }
          return reply.flash([...said, ...removedBefore].join(' ')).redirect(REVIEW_PATH, 303);
        } catch (error) {
          const errors = invalidErrors(error);
          // A problem with the records chosen: the list again, to choose afresh. Only the reason
          // missing: the same confirmation, with the error.
          if (errors.some((e) => e.field === 'record')) {
            return listPage(reply.code(400), user, { selected: form.record, errors });
          }
          let selection: Awaited<ReturnType<typeof service.selection>>;
          try {
            selection = await service.selection(user, form.record);
          } catch (selectionError) {
            const stale = invalidErrors(selectionError);
            return listPage(reply.code(400), user, { selected: form.record, errors: stale });
          }
          if (selection.records.length === 0) return nothingToRemove(reply, selection.removedAlready);
          return confirmPage(reply.code(400), selection.records, {
            reason: form.reason,
            errors,
            removedAlready: selection.removedAlready,
          });
        }
      },
    },
  ];
}
