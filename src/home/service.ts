// What the home page shows as waiting for the signed-in user's organisation: files to download (per
// Download list the user's role has), files it sent that were rejected lately, and the LA
// administrator's loose ends (schools and users to follow up, organisations emails could not reach), and
// census returns waiting for the LA's decision or, returned, for the school's correction.

import { menuLabelKey } from '../auth/menu.ts';
import { can, scopeOf } from '../auth/permissions.ts';
import type { SignedInUser } from '../auth/service.ts';
import { countReturnsByCollection } from '../collect/returns-repository.ts';
import { countOpenMatches, MATCHES_PATH } from '../lost-pupils/matches-service.ts';
import { countForwardedByOthers, countFoundByOthers } from '../lost-pupils/repository.ts';
import { countDueForReview } from '../lost-pupils/review-repository.ts';
import { REVIEW_PATH } from '../lost-pupils/review-service.ts';
import { organisationsWithoutAddress } from '../notifications/reminder-repository.ts';
import { daysBefore, londonDate } from '../platform/dates.ts';
import type { Executor } from '../platform/db/schema.ts';
import { type Message, message } from '../platform/i18n/catalogue.ts';
import { CATEGORIES, type Category, downloadCapability, uploadCapability } from '../transfers/categories.ts';
import { countIncoming, countRejectedOutgoing } from '../transfers/download-repository.ts';
import { actorParty } from '../transfers/parties.ts';

/** Files rejected this many days ago or less are pointed out to their sender. */
export const REJECTED_NOTICE_DAYS = 14;

/** Emails that found no address this many days ago or less are pointed out to the LA administrator. */
export const NO_ADDRESS_NOTICE_DAYS = 31;

export interface Attention {
  /** Something to do, in a sentence, and where to do it (the link's text). */
  text: Message;
  href: string;
  link: Message;
}

/** "Go to" the menu item at `href`. */
function goTo(href: string): { href: string; link: Message } {
  return { href, link: message('home.attention.go-to', { place: message(menuLabelKey(href)) }) };
}

/** "3 CTF files are waiting for you to download", per kind of file (the kind changes the Welsh). */
const FILES_WAITING: Record<Category, (count: number) => Message> = {
  ctf: (count) => message('home.attention.files-waiting.ctf', { count }),
  plasc: (count) => message('home.attention.files-waiting.plasc', { count }),
  cfr: (count) => message('home.attention.files-waiting.cfr', { count }),
  generic: (count) => message('home.attention.files-waiting.generic', { count }),
  exclusion: (count) => message('home.attention.files-waiting.exclusion', { count }),
  admissions: (count) => message('home.attention.files-waiting.admissions', { count }),
};

/** Files waiting for the user's organisation, per Download list the user may use, in menu order. */
async function filesWaiting(db: Executor, user: SignedInUser): Promise<Attention[]> {
  const party = actorParty(user);
  const categories = CATEGORIES.filter((category) => can(user.role, downloadCapability(category)));
  if (!party || categories.length === 0) return [];
  const counts = await countIncoming(db, party, { categories, status: 'available' });
  return categories.flatMap((category) => {
    const count = counts.get(category) ?? 0;
    if (count === 0) return [];
    return [{ text: FILES_WAITING[category](count), ...goTo(`/download/${category}`) }];
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
      text: message('home.attention.files-rejected', { count, days: REJECTED_NOTICE_DAYS }),
      href: '/sent?show=rejected',
      link: message('home.attention.go-to-rejected'),
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
        text: message('home.attention.school-without-email'),
        href: '/school-details',
        link: message('home.attention.see-school-details'),
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
        text: message('home.attention.schools-without-email', { count }),
        ...goTo('/dba/schools'),
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
      items.push({ text: message('home.attention.la-without-email'), ...goTo('/dba/la') });
    }
    const schools = missed.filter((o) => o.kind === 'school').length;
    if (schools > 0) {
      items.push({
        text: message('home.attention.schools-missed-emails', { count: schools }),
        ...goTo('/dba/schools'),
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
        text: message('home.attention.users-with-issued-password', { count }),
        ...goTo('/dba/users'),
      });
    }
  }
  if (user.laNumber && can(user.role, 'lost-pupils.review')) {
    // LA notes §1.3: the LA removes its schools' Lost Pupils Database records once the pupils reach
    // statutory school-leaving age (lost-pupils/review-service.ts). Today is the London date.
    const count = await countDueForReview(db, user.laNumber, londonDate(now));
    if (count > 0) {
      items.push({
        text: message('home.attention.lost-pupils-past-leaving-age', { count }),
        ...goTo(REVIEW_PATH),
      });
    }
    // Records of the LA's schools another LA forwarded to a school: kept for the LA to close its case
    // and remove (decision 36).
    const forwarded = await countForwardedByOthers(db, user.laNumber);
    if (forwarded > 0) {
      items.push({
        text: message('home.attention.lost-pupils-forwarded-by-others', { count: forwarded }),
        ...goTo(REVIEW_PATH),
      });
    }
    // Records of the LA's schools another LA found by downloading the file: likewise (decision 71).
    const found = await countFoundByOthers(db, user.laNumber);
    if (found > 0) {
      items.push({
        text: message('home.attention.lost-pupils-found-by-others', { count: found }),
        ...goTo(REVIEW_PATH),
      });
    }
  }
  if (user.laNumber && can(user.role, 'lost-pupils.search')) {
    // Pupils the LA's schools sent to the Lost Pupils Database, seen since in a file or census return
    // (lost-pupils/matching.ts): each case to check, so that a child missing education is found sooner.
    const count = await countOpenMatches(db, user.laNumber);
    if (count > 0) {
      items.push({ text: message('home.attention.lost-pupil-matches', { count }), ...goTo(MATCHES_PATH) });
    }
  }
  items.push(...(await censusReturns(db, user)));
  return items;
}

/**
 * COLLECT: an LA's returns submitted by its schools, waiting for its decision; a school's return its LA
 * returned to it, to correct in its MIS. A submitted or returned version is always its school's latest
 * (a later upload replaces it). One item for each collection, with a link to it.
 */
async function censusReturns(db: Executor, user: SignedInUser): Promise<Attention[]> {
  const toCollection = (collectionId: string, name: string) => ({
    href: `/collect/collections/${collectionId}`,
    link: message('home.attention.open-collection', { name }),
  });
  if (user.laNumber && can(user.role, 'collect.agent')) {
    const waiting = await countReturnsByCollection(db, { laNumber: user.laNumber, status: 'submitted' });
    return waiting.map(({ collectionId, name, count }) => ({
      text: message('home.attention.census-returns-to-decide', { count, name }),
      ...toCollection(collectionId, name),
    }));
  }
  if (user.establishmentNumber && scopeOf(user.role) === 'school' && can(user.role, 'collect.return')) {
    const returned = await countReturnsByCollection(db, {
      establishment: user.establishmentNumber,
      status: 'returned',
    });
    return returned.map(({ collectionId, name }) => ({
      text: message('home.attention.census-return-returned', { name }),
      ...toCollection(collectionId, name),
    }));
  }
  return [];
}
