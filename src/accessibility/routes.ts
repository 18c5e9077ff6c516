// The accessibility statement (GOV.UK model statement), public and in both languages. Its "how we
// tested" names the browser journeys that check every page they visit with axe-core: the test of this
// page (test/accessibility/statement.test.ts) fails when a journey is added, renamed or removed and the
// statement is not.
import type { Route } from '../auth/web.ts';
import type { Deps } from '../deps.ts';

export const ACCESSIBILITY_PATH = '/accessibility';

/** Each browser journey (test/e2e/FILE.test.ts) and the catalogue key of what it covers. */
export const BROWSER_JOURNEYS: { file: string; key: string }[] = [
  { file: 'sign-in', key: 'accessibility.tested.journey.sign-in' },
  { file: 'two-factor', key: 'accessibility.tested.journey.two-factor' },
  { file: 'session-timeout', key: 'accessibility.tested.journey.session-timeout' },
  { file: 'single-sign-on', key: 'accessibility.tested.journey.single-sign-on' },
  { file: 'welsh', key: 'accessibility.tested.journey.welsh' },
  { file: 'every-page', key: 'accessibility.tested.journey.every-page' },
  { file: 'keyboard', key: 'accessibility.tested.journey.keyboard' },
  { file: 'dba', key: 'accessibility.tested.journey.dba' },
  { file: 'transfers', key: 'accessibility.tested.journey.transfers' },
  { file: 'lost-pupils', key: 'accessibility.tested.journey.lost-pupils' },
  { file: 'messaging', key: 'accessibility.tested.journey.messaging' },
  { file: 'reports', key: 'accessibility.tested.journey.reports' },
  { file: 'collect', key: 'accessibility.tested.journey.collect' },
  { file: 'api-tokens', key: 'accessibility.tested.journey.api-tokens' },
];

export function accessibilityRoutes(deps: Pick<Deps, 'config'>): Route[] {
  return [
    {
      method: 'GET',
      url: ACCESSIBILITY_PATH,
      access: 'public',
      handler: async (request, reply) =>
        reply.page('accessibility/views/accessibility.njk', {
          title: request.t('accessibility.title'),
          serviceDesk: deps.config.serviceDesk,
          journeys: BROWSER_JOURNEYS.map((journey) => request.t(journey.key)),
        }),
    },
  ];
}
