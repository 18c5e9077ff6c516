// The monthly review of the Lost Pupils Database (LA notes §1.3: the LA removes its schools' records
// "once a pupil reaches statutory school leaving age"): on the 1st of each month at 6am, each LA with
// records that fell due for removal in the month before is sent one email ('lost-pupils-to-review')
// saying how many, how many wait in all, and where to review them (review-routes.ts). The job never
// changes or deletes a record: people remove them, on that page.
//
// Why monthly, on the 1st: pupils reach school-leaving age together, on the last Friday in June, so
// nearly every record falls due on one day a year, and the 1 July run always follows it by a few days.
// The rest fall due the day they are uploaded (a file sent for a pupil already past the age): a month's
// worth of those make one email, not a trickle of weekly ones. The home page counts the records due
// every day, for those who look sooner.
//
// The month, not "since the last run": a record is due from the later of its pupil's leaving day and
// its upload, and each record is counted in the month that day falls in (London dates), so months
// follow one another without a gap or an overlap however often, and whenever in the month, the job
// runs; a run that finds the month's email already written (the dedupe key names the LA and month)
// writes nothing. Records already removed, or with no date of birth, are never counted. Records that
// were due before the first run are not emailed about: the page and the home page list them.
//
// No pupil data: the LA's name, counts, the month and a path.

import { laName } from '../directory/organisation-names.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { laNames } from '../notifications/reminder-repository.ts';
import { WRITE_BATCH } from '../notifications/reminders.ts';
import type { Payload } from '../notifications/templates.ts';
import { londonDate, startOfLondonDay } from '../platform/dates.ts';
import type { Db } from '../platform/db/schema.ts';
import { message, monthParam } from '../platform/i18n/catalogue.ts';
import type { JobDefinition } from '../platform/jobs/scheduler.ts';
import { countDueForReview, newlyDueByLa, type ReviewWindow } from './review-repository.ts';
import { REVIEW_PATH } from './review-service.ts';

export const REVIEW_JOB_NAME = 'lost-pupil-review';
export const REVIEW_TEMPLATE = 'lost-pupils-to-review';

const MONTH_NAME = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });

export interface ReviewPeriod {
  /** The month reviewed: "2027-06". */
  month: string;
  /** In words: "June 2027". */
  label: string;
  window: ReviewWindow;
}

/** The month a run at `now` reviews: the London month before the one holding `now`. */
export function reviewPeriod(now: Date): ReviewPeriod {
  const today = londonDate(now);
  const [year, month] = today.split('-').map(Number) as [number, number];
  const start = new Date(Date.UTC(year, month - 2, 1));
  const fromDate = start.toISOString().slice(0, 10);
  const toDate = `${today.slice(0, 7)}-01`;
  return {
    month: fromDate.slice(0, 7),
    label: MONTH_NAME.format(start),
    window: {
      fromDate,
      fromInstant: startOfLondonDay(fromDate).toISOString(),
      toDate,
      toInstant: startOfLondonDay(toDate).toISOString(),
    },
  };
}

export interface ReviewNoticeResult {
  /** Emails written in this run, one per LA. */
  las: number;
  /** Records they say fell due in the month. */
  records: number;
  /** LAs whose email for the month had been written already, by an earlier run. */
  alreadyNotified: number;
}

/**
 * Writes the month's emails: one to each LA with records that fell due for removal in it. The month is
 * the one before `reviewing`'s (the run's scheduled time; `now` unless told).
 */
export async function sendReviewNotices(db: Db, now: Date, reviewing = now): Promise<ReviewNoticeResult> {
  const period = reviewPeriod(reviewing);
  const today = londonDate(now);
  const due = await newlyDueByLa(db, period.window);
  const names = await laNames(
    db,
    due.map((la) => la.laNumber),
  );
  const result: ReviewNoticeResult = { las: 0, records: 0, alreadyNotified: 0 };
  for (let start = 0; start < due.length; start += WRITE_BATCH) {
    const chunk = due.slice(start, start + WRITE_BATCH);
    const totals = new Map<string, number>();
    for (const { laNumber } of chunk) totals.set(laNumber, await countDueForReview(db, laNumber, today));
    await db.transaction().execute(async (tx) => {
      for (const { laNumber, count } of chunk) {
        const payload: Payload<'lost-pupils-to-review'> = {
          laName: names.get(laNumber) ?? laName(laNumber, null),
          count,
          // Never fewer than fell due in the month: those still in the database are due today.
          total: Math.max(totals.get(laNumber) ?? 0, count),
          period: period.label,
          path: REVIEW_PATH,
        };
        const written = await enqueueNotification(tx, {
          at: now,
          template: REVIEW_TEMPLATE,
          recipientKind: 'la',
          recipient: laNumber,
          payload,
          dedupeKey: `${REVIEW_TEMPLATE}:${period.month}:${laNumber}`,
        });
        if (!written) {
          result.alreadyNotified += 1;
          continue;
        }
        result.las += 1;
        result.records += count;
      }
    });
  }
  return result;
}

export function lostPupilReviewJob(deps: { db: Db }): JobDefinition {
  return {
    name: REVIEW_JOB_NAME,
    description: message('jobs.lost-pupil-review.description'),
    schedule: '0 6 1 * *',
    scheduleText: message('jobs.lost-pupil-review.schedule'),
    exclusive: true,
    // No later run emails this month's records: a service down over the 1st emails them when it is back.
    catchUp: 'until-the-next-run',
    run: async ({ now, scheduledFor }) => {
      // The month before the one of the scheduled 1st: a run caught up after midnight on the next 1st
      // still reviews its own month, which the run of that 1st then does not.
      const r = await sendReviewNotices(deps.db, now, scheduledFor ?? now);
      const told = {
        las: message('jobs.count.la', { count: r.las }),
        records: message('jobs.count.lost-pupil-record', { count: r.records }),
        month: monthParam(reviewPeriod(scheduledFor ?? now).window.fromDate),
      };
      return {
        ok: true,
        summary:
          r.alreadyNotified > 0
            ? message('jobs.lost-pupil-review.summary-earlier', {
                ...told,
                earlier: message('jobs.lost-pupil-review.earlier', { count: r.alreadyNotified }),
              })
            : message('jobs.lost-pupil-review.summary', told),
        counts: { ...r },
      };
    },
  };
}
