// Lost Pupil Matches: the possible sightings automatic matching found (matching.ts) of pupils the
// actor's LA (its schools or itself) sent to the Lost Pupils Database, for its lost-pupil users to
// follow up. Closing a case says what it was: the pupil found (the record becomes 'found', as after a
// download) or not the same pupil. Both are recorded in the audit log.
import { recordAudit } from '../audit/repository.ts';
import { type Actor, organisationOf } from '../auth/actor.ts';
import { can } from '../auth/permissions.ts';
import { laName, nameAndCode, type OrganisationName, schoolName } from '../directory/organisation-names.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Executor, LostPupilMatchRow, LostPupilRow } from '../platform/db/schema.ts';
import { Forbidden, Invalid, NotFound } from '../platform/errors.ts';
import { keyedError, message } from '../platform/i18n/catalogue.ts';
import { isId } from '../platform/ids.ts';
import { type WindowPage, windowPage } from '../platform/paging.ts';
import { markLostPupilFound } from './found-repository.ts';
import { IN_DATABASE } from './review-repository.ts';

export interface MatchesDeps {
  db: Db;
  clock: Clock;
}

export const MATCH_OUTCOMES = {
  found: 'It is the same pupil: the pupil is found',
  'not-the-pupil': 'It is not the same pupil',
} as const;
export type MatchOutcome = keyof typeof MATCH_OUTCOMES;

export function isMatchOutcome(value: unknown): value is MatchOutcome {
  return typeof value === 'string' && Object.hasOwn(MATCH_OUTCOMES, value);
}

export interface MatchCase {
  match: LostPupilMatchRow;
  record: LostPupilRow;
  /** The lost-pupil file, and the incoming file the pupil was seen in. */
  lostFilename: string;
  seenInFilename: string;
  seenAt: OrganisationName;
}

/** The Lost Pupil Matches page. */
export const MATCHES_PATH = '/lost-pupils/matches';

/** Open cases shown on a page of Lost Pupil Matches. */
export const MATCHES_PER_PAGE = 20;

/**
 * The open cases of an LA's records, by the LA each match carries (one range of an index); those written
 * by a version before migration 022 carry none and are found through their record. A record removed
 * from the database (past leaving age, sent in error, quarantined) is never shown, nor are its cases.
 */
function openMatchesOf(db: Executor, la: string) {
  return matchesOf(db, la, 'open');
}

/** The cases of an LA's records still in the database, open or closed, as openMatchesOf. */
function matchesOf(db: Executor, la: string, status: 'open' | 'closed') {
  return db
    .selectFrom('lost_pupil_matches as m')
    .where('m.status', '=', status)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('lost_pupils as kept')
          .select('kept.id')
          .whereRef('kept.id', '=', 'm.lost_pupil_id')
          .where('kept.status', 'in', IN_DATABASE),
      ),
    )
    .where((eb) =>
      eb.or([
        eb('m.lost_la', '=', la),
        eb.and([
          eb('m.lost_la', 'is', null),
          eb.exists(
            eb
              .selectFrom('lost_pupils as p')
              .select('p.id')
              .whereRef('p.id', '=', 'm.lost_pupil_id')
              .where('p.source_la', '=', la),
          ),
        ]),
      ]),
    );
}

/** How many cases of the LA's records are open (its lost-pupil users' home page). */
export async function countOpenMatches(db: Executor, la: string): Promise<number> {
  const row = await openMatchesOf(db, la)
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export class MatchesService {
  constructor(private readonly deps: MatchesDeps) {}

  private laOf(actor: Actor): string {
    if (!can(actor.role, 'lost-pupils.search') || !actor.laNumber) throw new Forbidden();
    return actor.laNumber;
  }

  /** A page of the open cases of the actor's LA's records, newest first. */
  async open(actor: Actor, page = 1, size = MATCHES_PER_PAGE): Promise<WindowPage<MatchCase>> {
    const la = this.laOf(actor);
    return windowPage(page, size, async (window) => {
      const [shown, count] = await Promise.all([
        openMatchesOf(this.deps.db, la)
          .select('m.id')
          .orderBy('m.matched_at', 'desc')
          .orderBy('m.id')
          .limit(window.limit)
          .offset(window.offset)
          .execute(),
        countOpenMatches(this.deps.db, la),
      ]);
      return {
        rows: await this.cases(
          la,
          shown.map((row) => row.id),
        ),
        total: count,
      };
    });
  }

  /** These open cases of the LA, with their files, places and records, newest first. */
  private async cases(
    la: string,
    ids: readonly string[],
    status: 'open' | 'closed' = 'open',
  ): Promise<MatchCase[]> {
    if (ids.length === 0) return [];
    const rows = await matchesOf(this.deps.db, la, status)
      .where('m.id', 'in', ids)
      .innerJoin('lost_pupils as record', 'record.id', 'm.lost_pupil_id')
      .innerJoin('transfers as lost', 'lost.id', 'record.transfer_id')
      // Seen in a file that arrived, or in a census return loaded into COLLECT (matching.ts).
      .leftJoin('transfers as seen', 'seen.id', 'm.transfer_id')
      .leftJoin('census_returns as census', 'census.id', 'm.census_return_id')
      .leftJoin('establishments as school', 'school.number', 'm.seen_at_school')
      .selectAll('m')
      .select([
        'lost.filename as lost_filename',
        'seen.filename as seen_filename',
        'census.filename as census_filename',
        'school.name as school_name',
      ])
      .orderBy('m.matched_at', 'desc')
      .orderBy('m.id')
      .execute();
    const records = new Map<string, LostPupilRow>();
    const recordIds = [...new Set(rows.map((row) => row.lost_pupil_id))];
    if (recordIds.length > 0) {
      for (const record of await this.deps.db
        .selectFrom('lost_pupils')
        .selectAll()
        .where('id', 'in', recordIds)
        .execute()) {
        records.set(record.id, record);
      }
    }
    return rows.flatMap((row) => {
      const record = records.get(row.lost_pupil_id);
      if (!record) return [];
      const { lost_filename, seen_filename, census_filename, school_name, ...match } = row;
      return [
        {
          match,
          record,
          lostFilename: lost_filename,
          seenInFilename: seen_filename ?? census_filename ?? '',
          seenAt: row.seen_at_school
            ? school_name
              ? nameAndCode(school_name, row.seen_at_school)
              : schoolName(row.seen_at_school, null)
            : laName(row.seen_at_la ?? '', null),
        },
      ];
    });
  }

  /**
   * Closes an open case of the actor's LA with its outcome. A case the actor closed before (the same form
   * posted again, or at once after the other) is `already` closed, as it was: nothing more is recorded.
   */
  async close(
    actor: Actor,
    matchId: string,
    outcome: unknown,
  ): Promise<{ closed: MatchCase; already: boolean }> {
    const la = this.laOf(actor);
    const [found] = isId(matchId) ? await this.cases(la, [matchId]) : [];
    if (!found) {
      const closed = isId(matchId) ? await this.closedBy(actor, la, matchId) : undefined;
      if (closed) return { closed, already: true };
      throw new NotFound(message('lost-pupils.not-found.match'));
    }
    if (!isMatchOutcome(outcome)) {
      throw new Invalid([keyedError('outcome', 'lost-pupils.matches.outcome-required')]);
    }
    const at = this.deps.clock.now().toISOString();
    const closedNow = await this.deps.db.transaction().execute(async (tx) => {
      const closed = await tx
        .updateTable('lost_pupil_matches')
        // The pupil as the file gave them was kept to check the match: the case closed, it goes
        // (decision 31: pupils' details do not outlive their use).
        .set({
          status: 'closed',
          closed_at: at,
          closed_by: actor.userId,
          outcome,
          seen_upn: null,
          seen_former_upn: null,
          seen_surname: null,
          seen_forename: null,
          seen_date_of_birth: null,
        })
        .where('id', '=', matchId)
        .where('status', '=', 'open')
        .executeTakeFirst();
      if (Number(closed.numUpdatedRows) !== 1) return false;
      if (outcome === 'found') {
        await markLostPupilFound(tx, found.record.id, { at, laNumber: la, userId: actor.userId });
      }
      await recordAudit(tx, {
        at: new Date(at),
        actorUserId: actor.userId,
        actorUsername: actor.username,
        organisation: organisationOf(actor),
        action: 'lost-pupil-match-closed',
        subjectType: 'lost-pupil',
        subjectId: found.record.id,
        detail: { matchId, outcome, matchedOn: found.match.matched_on, seenIn: found.seenInFilename },
      });
      return true;
    });
    if (closedNow) return { closed: found, already: false };
    // Closed since it was read: by the actor (the same form posted at once), or by a colleague.
    const closed = await this.closedBy(actor, la, matchId);
    if (closed) return { closed, already: true };
    throw new Invalid([keyedError('outcome', 'lost-pupils.matches.just-closed')]);
  }

  /** The case of the actor's LA with this id, if the actor closed it; undefined otherwise. */
  private async closedBy(actor: Actor, la: string, matchId: string): Promise<MatchCase | undefined> {
    const [closed] = await this.cases(la, [matchId], 'closed');
    return closed?.match.closed_by === actor.userId ? closed : undefined;
  }
}
