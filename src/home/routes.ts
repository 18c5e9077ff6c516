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
      // Open to everyone: someone who cannot sign in is sent here for the service desk (handbook §1:
      // "phone your local LEA s2s support number or the s2s service desk"). A signed-in user also sees
      // their LA's contact.
      access: 'public',
      handler: async (request, reply) => {
        const laNumber = request.user?.laNumber;
        const la = laNumber ? await getLocalAuthority(deps.db, laNumber) : undefined;
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
