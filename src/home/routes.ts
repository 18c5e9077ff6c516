import { menuOf } from '../auth/menu.ts';
import type { Route } from '../auth/web.ts';
import { signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { getEstablishment, getLocalAuthority } from '../directory/repository.ts';
import { NotFound } from '../platform/errors.ts';
import { message, translateMessage } from '../platform/i18n/catalogue.ts';
import { whatNeedsAttention } from './service.ts';

export function homeRoutes(deps: Pick<Deps, 'db' | 'config' | 'clock'>): Route[] {
  return [
    {
      method: 'GET',
      url: '/',
      access: 'home.view',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const attention = await whatNeedsAttention(deps.db, user, deps.clock.now());
        return reply.page('home/views/home.njk', {
          title: request.t('menu.home'),
          attention: attention.map((item) => ({
            text: translateMessage(request.language, item.text),
            href: item.href,
            linkText: translateMessage(request.language, item.link),
          })),
          sections: menuOf(user.role, request.language).slice(1, -1),
        });
      },
    },
    {
      method: 'GET',
      url: '/contacts',
      access: 'contacts.view',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const la = user.laNumber ? await getLocalAuthority(deps.db, user.laNumber) : undefined;
        return reply.page('home/views/contacts.njk', {
          title: request.t('menu.contacts'),
          la,
          serviceDesk: deps.config.serviceDesk,
        });
      },
    },
    {
      method: 'GET',
      url: '/school-details',
      access: 'school-details.view',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const school = user.establishmentNumber
          ? await getEstablishment(deps.db, user.establishmentNumber)
          : undefined;
        if (!school) throw new NotFound(message('home.not-found.your-school'));
        return reply.page('home/views/school-details.njk', {
          title: request.t('menu.school-details'),
          school,
        });
      },
    },
  ];
}
