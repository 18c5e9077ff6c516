// What the home page shows as waiting for the signed-in user's organisation: files to download (per
// Download list the user's role has), files it sent that were rejected lately, and the LA
// administrator's loose ends (schools and users to follow up, organisations emails could not reach).

import { can } from '../auth/permissions.ts';
import type { SignedInUser } from '../auth/service.ts';
import { countDueForReview } from '../lost-pupils/review-repository.ts';
import { REVIEW_LABEL, REVIEW_PATH } from '../lost-pupils/review-service.ts';
import { organisationsWithoutAddress } from '../notifications/reminder-repository.ts';
import { londonDate } from '../platform/dates.ts';
import type { Executor } from '../platform/db/schema.ts';
import { CATEGORIES, CATEGORY_INFO, downloadCapability, uploadCapability } from '../transfers/categories.ts';
import { daysBefore } from '../transfers/download-listing.ts';
import { countIncoming, countRejectedOutgoing } from '../transfers/download-repository.ts';
import { actorParty } from '../transfers/parties.ts';

/** Files rejected this many days ago or less are pointed out to their sender. */
export const REJECTED_NOTICE_DAYS = 14;

/** Emails that found no address this many days ago or less are pointed out to the LA administrator. */
export const NO_ADDRESS_NOTICE_DAYS = 31;

export interface Attention {
  /** Something to do, in a sentence, and where to do it. */
  text: string;
  href: string;
  linkText: string;
}

/** "CTF", "PLASC", "generic"...: the kind of file a Download list holds, as a sentence names it. */
function kindOf(downloadLabel: string): string {
  const kind = downloadLabel.replace(/^Download /, '').replace(/ Files$/, '');
  return kind === kind.toUpperCase() ? kind : kind.toLowerCase();
}

/** Files waiting for the user's organisation, per Download list the user may use, in menu order. */
async function filesWaiting(db: Executor, user: SignedInUser): Promise<Attention[]> {
  const party = actorParty(user);
  const categories = CATEGORIES.filter((category) => can(user.role, downloadCapability(category)));
  if (!party || categories.length === 0) return [];
  const counts = await countIncoming(db, party, { categories, status: 'available' });
  return categories.flatMap((category) => {
    const count = counts.get(category) ?? 0;
    if (count === 0) return [];
    const label = CATEGORY_INFO[category].downloadLabel;
    return [
      {
        text: `${count} ${kindOf(label)} ${count === 1 ? 'file is' : 'files are'} waiting for you to download.`,
        href: `/download/${category}`,
        linkText: `Go to ${label}`,
      },
    ];
  });
}

/** Files the user's organisation sent that were rejected in the last 14 days (View / Remove Files). */
async function filesRejected(db: Executor, user: SignedInUser, now: Date): Promise<Attention[]> {
  const party = actorParty(user);
  if (!party || !can(user.role, 'transfers.sent')) return [];
  // The categories View / Remove Files shows the user (SentService.categoriesFor).
  const categories = CATEGORIES.filter((category) => can(user.role, uploadCapability(category)));
  const count = await countRejectedOutgoing(db, party, {
    categories,
    rejectedAfter: daysBefore(now, REJECTED_NOTICE_DAYS),
  });
  if (count === 0) return [];
  return [
    {
      text: `${count} ${count === 1 ? 'file you sent has' : 'files you sent have'} been rejected in the last ${REJECTED_NOTICE_DAYS} days: see why, and send ${count === 1 ? 'it' : 'them'} to the right place.`,
      href: '/sent?show=rejected',
      linkText: 'Go to Rejected Files',
    },
  ];
}

export async function whatNeedsAttention(db: Executor, user: SignedInUser, now: Date): Promise<Attention[]> {
  const items: Attention[] = [...(await filesWaiting(db, user)), ...(await filesRejected(db, user, now))];
  if (user.role === 'school' && user.establishmentNumber) {
    const school = await db
      .selectFrom('establishments')
      .select('email')
      .where('number', '=', user.establishmentNumber)
      .executeTakeFirst();
    if (school && !school.email) {
      items.push({
        text: 'No email address is held for your school, so s2s cannot tell you when files arrive. Ask your LA s2s administrator to add one.',
        href: '/school-details',
        linkText: 'See your school details',
      });
    }
  }
  if (user.laNumber && can(user.role, 'schools.view')) {
    const row = await db
      .selectFrom('establishments')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('la_number', '=', user.laNumber)
      .where('status', '=', 'open')
      .where('uses_s2s', '=', 1)
      .where('email', 'is', null)
      .executeTakeFirst();
    const count = Number(row?.n ?? 0);
    if (count > 0) {
      items.push({
        text: `${count} open ${count === 1 ? 'school has' : 'schools have'} no email address, so ${count === 1 ? 'it is' : 'they are'} not told when files arrive.`,
        href: '/dba/schools',
        linkText: 'Go to School Maintenance',
      });
    }
  }
  if (user.laNumber && can(user.role, 'schools.manage')) {
    // Organisations (the LA's schools, the LA itself) that missed emails lately and still have no
    // address: they drop off the list as soon as an address is added.
    // The LA's own address is kept under Maintain LEA Details, its schools' under School Maintenance.
    const missed = await organisationsWithoutAddress(db, {
      laNumber: user.laNumber,
      since: daysBefore(now, NO_ADDRESS_NOTICE_DAYS),
    });
    if (missed.some((o) => o.kind === 'la')) {
      items.push({
        text: 'No email address is held for your LA, so emails to it could not be sent.',
        href: '/dba/la',
        linkText: 'Go to Maintain LEA Details',
      });
    }
    const schools = missed.filter((o) => o.kind === 'school').length;
    if (schools > 0) {
      items.push({
        text: `Emails to ${schools} ${schools === 1 ? 'school' : 'schools'} in your LA could not be sent for want of an email address.`,
        href: '/dba/schools',
        linkText: 'Go to School Maintenance',
      });
    }
  }
  if (user.laNumber && can(user.role, 'users.view')) {
    const row = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('la_number', '=', user.laNumber)
      .where('must_change_password', '=', 1)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    const count = Number(row?.n ?? 0);
    if (count > 0) {
      items.push({
        text: `${count} ${count === 1 ? 'user has' : 'users have'} not yet signed in to replace the password you issued.`,
        href: '/dba/users',
        linkText: 'Go to User Maintenance',
      });
    }
  }
  if (user.laNumber && can(user.role, 'lost-pupils.review')) {
    // LA notes §1.3: the LA removes its schools' Lost Pupils Database records once the pupils reach
    // statutory school-leaving age (lost-pupils/review-service.ts). Today is the London date.
    const count = await countDueForReview(db, user.laNumber, londonDate(now));
    if (count > 0) {
      items.push({
        text: `${count} lost pupil ${count === 1 ? 'record' : 'records'} uploaded by your LA's schools ${count === 1 ? 'is' : 'are'} past school-leaving age: review ${count === 1 ? 'it' : 'them'} and remove ${count === 1 ? 'it' : 'them'} from the Lost Pupils Database.`,
        href: REVIEW_PATH,
        linkText: `Go to ${REVIEW_LABEL}`,
      });
    }
  }
  return items;
}
