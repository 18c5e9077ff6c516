// The web edge of Lost Pupil Matches (matches-service.ts):
//
//   GET  /lost-pupils/matches                  the open cases of the LA's lost pupils
//   POST /lost-pupils/matches/:matchId/close   closed, with its outcome
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { MatchesService, type MatchOutcome } from './matches-service.ts';

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

  const page = async (
    reply: FastifyReply,
    actor: Actor,
    failed?: { matchId: string; errors: FieldError[] },
  ) =>
    reply.page('lost-pupils/views/matches.njk', {
      title: reply.request.t('menu.lost-pupils.matches'),
      cases: await service.open(actor),
      matchedOn: MATCHED_ON,
      outcomes: Object.entries(OUTCOME_KEYS).map(([value, key]) => ({ value, text: reply.request.t(key) })),
      errors: failed?.errors.map((e) => ({ ...e, field: `outcome-${failed.matchId}` })),
      errorCase: failed?.matchId,
    });

  return [
    {
      method: 'GET',
      url: '/lost-pupils/matches',
      access: 'lost-pupils.search',
      handler: async (request, reply) => page(reply, signedInUser(request)),
    },
    {
      method: 'POST',
      url: '/lost-pupils/matches/:matchId/close',
      access: 'lost-pupils.search',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { matchId } = closeParams.parse(request.params ?? {});
        const { outcome } = closeBody.parse(request.body ?? {});
        try {
          const closed = await service.close(user, matchId, outcome);
          const name =
            [closed.record.forename, closed.record.surname].filter(Boolean).join(' ') ||
            request.t('lost-pupils.matches.the-pupil');
          return reply
            .flash(
              outcome === 'found'
                ? request.t('lost-pupils.matches.closed-found', { name })
                : request.t('lost-pupils.matches.closed-not', { name, filename: closed.seenInFilename }),
            )
            .redirect('/lost-pupils/matches');
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          return page(reply.code(400), user, { matchId, errors: error.errors });
        }
      },
    },
  ];
}
