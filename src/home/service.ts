// What the home page shows as waiting for the signed-in user's organisation.

import { can } from '../auth/permissions.ts';
import type { SignedInUser } from '../auth/service.ts';
import type { Executor } from '../platform/db/schema.ts';

export interface Attention {
  /** Something to do, in a sentence, and where to do it. */
  text: string;
  href: string;
  linkText: string;
}

export async function whatNeedsAttention(db: Executor, user: SignedInUser): Promise<Attention[]> {
  const items: Attention[] = [];
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
  return items;
}
