// Being built.
import type { Route } from '../auth/web.ts';
import type { Deps } from '../deps.ts';

export function fileMovementReportRoutes(_deps: Pick<Deps, 'db' | 'clock'>): Route[] {
  return [];
}
