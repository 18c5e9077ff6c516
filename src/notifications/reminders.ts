// The scheduled emails about things left undone:
//
// - The weekly reminder (schools handbook §6, LA notes §4.2 and §5.1: "A weekly email reminder is sent to
//   the relevant schools and to LAs with a list of files not downloaded"). Every Monday at 7am, each
//   school with files waiting gets the list of them; each LA gets the list of the files waiting at the
//   LA itself (LLLL), at its PLASC and admissions inboxes and at its schools, so that it can chase its
//   schools or deal with files nobody will collect (Delete files not collected by schools). Files sent to
//   the Lost Pupils Database are not listed: nobody downloads them, they wait there to be found.
//   A file downloaded whose recipient has not yet said it was downloaded correctly is still waiting (it
//   stays in its Download list), so it is listed too, but apart: "downloaded on DATE, not yet confirmed",
//   with what to do, never as not downloaded. Those come after the files not downloaded.
// - The report of missing email addresses: every morning, each LA is told which of its organisations
//   (its schools, the LA itself, and the users of either) missed emails the day before because the
//   directory holds no address for them.
//
// Both are exclusive jobs (one run per scheduled time, whichever process gets it), and both are safe to
// run again: each email is written with a dedupe key naming its week or day and its recipient, so a run
// taken over after a crash, a manual run, or two processes racing never write one twice (the unique
// index on the key decides, outbox.ts). Keys are written in one order (by LA, then school number), so
// two runs writing the same keys at once wait for each other rather than deadlock.
//
// No pupil data is written: file names, organisation names and codes, dates and counts.

import { laName, type OrganisationName, schoolName } from '../directory/organisation-names.ts';
import { addDays, londonDate, startOfLondonDay, weekOf } from '../platform/dates.ts';
import type { Db } from '../platform/db/schema.ts';
import { message } from '../platform/i18n/catalogue.ts';
import type { JobDefinition } from '../platform/jobs/scheduler.ts';
import { CATEGORY_INFO, isCategory } from '../transfers/categories.ts';
import { destinationLabel, sourceLabel } from '../transfers/download-listing.ts';
import { type OrganisationNames, organisationNames } from '../transfers/download-repository.ts';
import { enqueueNotification, type Notification } from './outbox.ts';
import {
  filesWaitingInLa,
  laNames,
  lasWithFilesWaiting,
  organisationsWithoutAddress,
} from './reminder-repository.ts';
import { type Payload, REMINDER_FILE_LIMIT } from './templates.ts';

const HOUR_MS = 60 * 60 * 1000;

/**
 * Files are listed once they have waited this long. Each file's recipient was emailed when it arrived
 * (ctf-uploaded): a file uploaded on Sunday evening is not "not downloaded" by Monday 7am, and listing it
 * would repeat that email hours later. It is listed the Monday after, if it is still waiting.
 */
export const REMINDER_MIN_WAIT_HOURS = 24;

/** Notifications are written at most this many to a transaction. */
export const WRITE_BATCH = 100;

// --- the weekly reminder -----------------------------------------------------------------------------

type ReminderFile = Payload<'weekly-reminder'>['files'][number];

export interface WeeklyReminderResult {
  /** Reminders written in this run. */
  schools: number;
  las: number;
  /** Files listed in them (each once, though a school's file is also on its LA's list). */
  files: number;
  /** Reminders for this week written already, by an earlier run. */
  alreadyReminded: number;
}

/** "CTF", "PLASC", "Generic"...: the kind of file, as the Download menu names its list. */
function kindOf(category: string): string {
  if (!isCategory(category)) return category;
  return CATEGORY_INFO[category].downloadLabel.replace(/^Download /, '').replace(/ Files$/, '');
}

/** A reminder waiting to be written, and the files it lists. */
interface Reminder {
  notification: Notification;
  kind: 'school' | 'la';
  fileIds: string[];
}

/** Where a school is sent: the Download list of its files when they are all of one kind. */
function schoolPath(categories: Set<string>): string {
  const [only] = categories;
  return categories.size === 1 && only && isCategory(only) ? `/download/${only}` : '/';
}

/**
 * Where an LA is sent. Its own Download list when every file is of one kind and for the LA or its inboxes.
 * CTFs waiting at its schools are not on any Download list of the LA's: they are on "Delete files not
 * collected by schools" (with the LA's own), so that page when all the files are CTFs. Otherwise Home.
 */
function laPath(categories: Set<string>, atSchools: boolean): string {
  const [only] = categories;
  if (categories.size !== 1 || !only || !isCategory(only)) return '/';
  if (only === 'ctf' && atSchools) return '/download/ctf/uncollected';
  return atSchools ? '/' : `/download/${only}`;
}

function remindersForLa(
  laNumber: string,
  rows: Awaited<ReturnType<typeof filesWaitingInLa>>,
  names: OrganisationNames,
  now: Date,
): Reminder[] {
  const week = weekOf(now);
  // The files not downloaded first (oldest upload first, as read), then those downloaded but not confirmed.
  const ordered = [
    ...rows.filter((row) => row.last_downloaded_at === null),
    ...rows.filter((row) => row.last_downloaded_at !== null),
  ];
  const listed = ordered.map((row) => {
    const from = sourceLabel(row, names);
    const to = destinationLabel(row, names);
    const file: ReminderFile = {
      filename: row.filename,
      kind: kindOf(row.category),
      from: from.name,
      fromCode: from.code,
      to: to.name,
      toCode: to.code,
      uploadedAt: row.uploaded_at,
      ...(row.last_downloaded_at === null ? {} : { downloadedAt: row.last_downloaded_at }),
    };
    return { row, file, to };
  });
  const reminder = (
    kind: 'school' | 'la',
    recipient: string,
    recipientName: OrganisationName,
    files: typeof listed,
    path: string,
  ): Reminder => {
    // An LA with hundreds of files waiting gets the first ones listed and the count of the rest.
    const payload: Payload<'weekly-reminder'> = {
      recipientName,
      files: files.slice(0, REMINDER_FILE_LIMIT).map((f) => f.file),
      total: files.length,
      unconfirmed: files.filter((f) => f.file.downloadedAt !== undefined).length,
      path,
    };
    return {
      kind,
      fileIds: files.map((f) => f.row.id),
      notification: {
        at: now,
        template: 'weekly-reminder',
        recipientKind: kind,
        recipient,
        payload,
        dedupeKey: `weekly-reminder:${week}:${kind}:${recipient}`,
      },
    };
  };

  const bySchool = new Map<string, typeof listed>();
  for (const item of listed) {
    if (item.row.dest_kind !== 'school' || !item.row.dest_school) continue;
    const files = bySchool.get(item.row.dest_school) ?? [];
    files.push(item);
    bySchool.set(item.row.dest_school, files);
  }
  const reminders: Reminder[] = [...bySchool.keys()].sort().map((school) => {
    const files = bySchool.get(school) ?? [];
    const name = files[0]?.to.name ?? schoolName(school, null);
    return reminder('school', school, name, files, schoolPath(new Set(files.map((f) => f.row.category))));
  });
  reminders.push(
    reminder(
      'la',
      laNumber,
      laName(laNumber, names.las.get(laNumber)),
      listed,
      laPath(new Set(rows.map((row) => row.category)), bySchool.size > 0),
    ),
  );
  return reminders;
}

/**
 * Writes this week's reminders: to each school with files that have waited more than
 * REMINDER_MIN_WAIT_HOURS, and to each LA with such files at itself, its inboxes or its schools.
 * The week is the one holding `now` (its Monday in London), whenever in the week it runs.
 */
export async function sendWeeklyReminders(db: Db, now: Date): Promise<WeeklyReminderResult> {
  const uploadedBefore = new Date(now.getTime() - REMINDER_MIN_WAIT_HOURS * HOUR_MS).toISOString();
  const result: WeeklyReminderResult = { schools: 0, las: 0, files: 0, alreadyReminded: 0 };
  const files = new Set<string>();
  let batch: Reminder[] = [];
  const flush = async () => {
    const writing = batch;
    batch = [];
    for (let start = 0; start < writing.length; start += WRITE_BATCH) {
      const chunk = writing.slice(start, start + WRITE_BATCH);
      const written = await db.transaction().execute(async (tx) => {
        const outcomes: boolean[] = [];
        for (const reminder of chunk) outcomes.push(await enqueueNotification(tx, reminder.notification));
        return outcomes;
      });
      chunk.forEach((reminder, i) => {
        if (!written[i]) {
          result.alreadyReminded += 1;
          return;
        }
        if (reminder.kind === 'school') result.schools += 1;
        else result.las += 1;
        for (const id of reminder.fileIds) files.add(id);
      });
    }
  };

  for (const laNumber of await lasWithFilesWaiting(db, uploadedBefore)) {
    const rows = await filesWaitingInLa(db, laNumber, uploadedBefore);
    if (rows.length === 0) continue; // collected since the LAs were listed
    const names = await organisationNames(db, rows);
    batch.push(...remindersForLa(laNumber, rows, names, now));
    if (batch.length >= WRITE_BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  result.files = files.size;
  return result;
}

// --- missing email addresses -------------------------------------------------------------------------

export interface MissingAddressesResult {
  /** Reports written in this run, one per LA. */
  las: number;
  /** The organisations they list, and the notifications those missed. */
  organisations: number;
  notifications: number;
  /** Reports for the day written already, by an earlier run. */
  alreadyReported: number;
}

/**
 * Writes, for each LA, the list of its organisations whose notifications found no email address on the
 * day before `now` (the London day), with how many each missed. The day, not "since the last run": a
 * day's report is the same however often, and whenever that day, the job runs, and the days follow one
 * another without a gap or an overlap. One report per LA per day (the dedupe key).
 *
 * The reports themselves are not counted: an LA with no address would otherwise be told so every day,
 * by an email it cannot receive. The home page tells its administrator instead.
 */
export async function reportMissingAddresses(db: Db, now: Date): Promise<MissingAddressesResult> {
  const today = londonDate(now);
  const organisations = await organisationsWithoutAddress(db, {
    since: startOfLondonDay(addDays(today, -1)).toISOString(),
    until: startOfLondonDay(today).toISOString(),
    excludeTemplates: ['addresses-missing'],
  });
  const byLa = new Map<string, typeof organisations>();
  for (const organisation of organisations) {
    const list = byLa.get(organisation.laNumber) ?? [];
    list.push(organisation);
    byLa.set(organisation.laNumber, list);
  }
  const numbers = [...byLa.keys()].sort();
  const names = await laNames(db, numbers);
  const result: MissingAddressesResult = { las: 0, organisations: 0, notifications: 0, alreadyReported: 0 };
  for (let start = 0; start < numbers.length; start += WRITE_BATCH) {
    const chunk = numbers.slice(start, start + WRITE_BATCH);
    await db.transaction().execute(async (tx) => {
      for (const laNumber of chunk) {
        const listed = byLa.get(laNumber) ?? [];
        const payload: Payload<'addresses-missing'> = {
          laName: names.get(laNumber) ?? laName(laNumber, null),
          organisations: listed.map((o) => ({
            code: o.kind === 'la' ? `${o.number}LLLL` : o.number,
            name: o.kind === 'la' ? laName(o.number, o.name) : o.name,
            notifications: o.notifications,
          })),
        };
        const written = await enqueueNotification(tx, {
          at: now,
          template: 'addresses-missing',
          recipientKind: 'la',
          recipient: laNumber,
          payload,
          dedupeKey: `addresses-missing:${today}:${laNumber}`,
        });
        if (!written) {
          result.alreadyReported += 1;
          continue;
        }
        result.las += 1;
        result.organisations += listed.length;
        result.notifications += listed.reduce((sum, o) => sum + o.notifications, 0);
      }
    });
  }
  return result;
}

// --- the jobs ----------------------------------------------------------------------------------------

export function weeklyReminderJob(deps: { db: Db }): JobDefinition {
  return {
    name: 'weekly-reminder',
    description: message('jobs.weekly-reminder.description', { hours: REMINDER_MIN_WAIT_HOURS }),
    schedule: '0 7 * * 1',
    scheduleText: message('jobs.weekly-reminder.schedule'),
    exclusive: true,
    run: async ({ now }) => {
      const r = await sendWeeklyReminders(deps.db, now);
      const reminded = {
        schools: message('jobs.count.school', { count: r.schools }),
        las: message('jobs.count.la', { count: r.las }),
        files: message('jobs.count.file', { count: r.files }),
      };
      return {
        ok: true,
        summary:
          r.alreadyReminded > 0
            ? message('jobs.weekly-reminder.summary-earlier', {
                ...reminded,
                earlier: message('jobs.weekly-reminder.earlier', { count: r.alreadyReminded }),
              })
            : message('jobs.weekly-reminder.summary', reminded),
        counts: { ...r },
      };
    },
  };
}

export function missingAddressesJob(deps: { db: Db }): JobDefinition {
  return {
    name: 'missing-addresses',
    description: message('jobs.missing-addresses.description'),
    schedule: '30 7 * * *',
    scheduleText: message('jobs.missing-addresses.schedule'),
    exclusive: true,
    run: async ({ now }) => {
      const r = await reportMissingAddresses(deps.db, now);
      const told = {
        las: message('jobs.count.la', { count: r.las }),
        organisations: message('jobs.count.organisation', { count: r.organisations }),
        emails: message('jobs.count.email', { count: r.notifications }),
      };
      return {
        ok: true,
        summary:
          r.alreadyReported > 0
            ? message('jobs.missing-addresses.summary-earlier', {
                ...told,
                earlier: message('jobs.missing-addresses.earlier', { count: r.alreadyReported }),
              })
            : message('jobs.missing-addresses.summary', told),
        counts: { ...r },
      };
    },
  };
}
