// Being built.
import type { Route } from '../auth/web.ts';
import type { Deps } from '../deps.ts';

export function clusterReportRoutes(_deps: Pick<Deps, 'db' | 'clock'>): Route[] {
  return [];
}
