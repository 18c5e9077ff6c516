// Matrix cases of the Reports operations: each report's CSV with no criteria (From the start, To
// today), which every role that may run the report may ask for. A report addresses no one thing, so
// there is no other-organisation case here: test/api/reports.test.ts shows an LA naming another LA
// still gets its own.
import { API_OPERATIONS } from '../../../src/api/catalogue.ts';
import { api } from '../support.ts';
import type { MatrixCase } from './cases.ts';

export const REPORTS_CASES: Record<string, MatrixCase> = Object.fromEntries(
  API_OPERATIONS.filter((op) => op.tag === 'Reports').map((op) => [
    op.operationId,
    { own: async () => (t, token) => api(t.app, { url: op.url, token }) },
  ]),
);
