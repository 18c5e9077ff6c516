// The web edge of Lost Pupil Matches (matches-service.ts):
//
//   GET  /lost-pupils/matches?page=N           the open cases of the LA's lost pupils, a page at a time
//   POST /lost-pupils/matches/:matchId/close   closed, with its outcome
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import type { WindowPage } from '../platform/paging.ts';
import { lastPageHref, pageQuery, pagination } from '../platform/web/pagination.ts';
import {
  MATCHES_PATH,
  MATCHES_PER_PAGE,
  type MatchCase,
  MatchesService,
  type MatchOutcome,
} from './matches-service.ts';

/** What a match was made on, as its text's key. */
const MATCHED_ON = {
  upn: 'lost-pupils.field.upn',
  'former-upn': 'lost-pupils.field.former-upn',
  'name-dob': 'lost-pupils.matches.on-name-dob',
};

/** Each outcome's text, as its key. */
const OUTCOME_KEYS: Record<MatchOutcome, string> = {
  found: 'lost-pupils.matches.outcome.found',
  'not-the-pupil': 'lost-pupils.matches.outcome.not-the-pupil',
};

const closeParams = z.object({ matchId: z.string() });
const closeBody = z.object({ outcome: z.string().optional() });

export function lostPupilMatchRoutes(deps: Pick<Deps, 'db' | 'clock'>): Route[] {
  const service = new MatchesService(deps);

  const page = (
    reply: FastifyReply,
    cases: WindowPage<MatchCase>,
    failed?: { matchId: string; errors: FieldError[] },
  ) =>
    reply.page('lost-pupils/views/matches.njk', {
      title: reply.request.t('menu.lost-pupils.matches'),
      cases,
      perPage: MATCHES_PER_PAGE,
      pagination: pagination(MATCHES_PATH, cases, reply.request.t('lost-pupils.matches.pages')),
      matchedOn: MATCHED_ON,
      outcomes: Object.entries(OUTCOME_KEYS).map(([value, key]) => ({ value, text: reply.request.t(key) })),
      errors: failed?.errors.map((e) => ({ ...e, field: `outcome-${failed.matchId}` })),
      errorCase: failed?.matchId,
    });

  return [
    {
      method: 'GET',
      url: MATCHES_PATH,
      access: 'lost-pupils.search',
      handler: async (request, reply) => {
        const cases = await service.open(signedInUser(request), pageQuery.parse(request.query ?? {}).page);
        const lastPage = lastPageHref(request.url, cases.page);
        if (lastPage) return reply.redirect(lastPage, 303);
        return page(reply, cases);
      },
    },
    {
      method: 'POST',
      url: `${MATCHES_PATH}/:matchId/close`,
      access: 'lost-pupils.search',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { matchId } = closeParams.parse(request.params ?? {});
        const { outcome } = closeBody.parse(request.body ?? {});
        // The page the case was on: shown again, with the error or the next cases.
        const { page: shown } = pageQuery.parse(request.body ?? {});
        try {
          const { closed, already } = await service.close(user, matchId, outcome);
          const next = shown > 1 ? `${MATCHES_PATH}?page=${shown}` : MATCHES_PATH;
          if (already) {
            return reply.flash(request.t('lost-pupils.matches.closed-already'), 'important').redirect(next);
          }
          const name =
            [closed.record.forename, closed.record.surname].filter(Boolean).join(' ') ||
            request.t('lost-pupils.matches.the-pupil');
          return reply
            .flash(
              outcome === 'found'
                ? request.t('lost-pupils.matches.closed-found', { name })
                : request.t('lost-pupils.matches.closed-not', { name, filename: closed.seenInFilename }),
            )
            .redirect(next);
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return page(reply.code(400), await service.open(user, shown), { matchId, errors: error.errors });
        }
      },
    },
  ];
}
