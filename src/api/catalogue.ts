// Every feature of the REST API, in the order of the reference. The routes, the OpenAPI document,
// the reference page and the permission matrix all read this list.
import { collectApi } from '../collect/api.ts';
import { lostPupilsApi } from '../lost-pupils/api.ts';
import { messagesApi } from '../messaging/api.ts';
import { reportsApi } from '../reports/api.ts';
import { filesApi } from '../transfers/api.ts';
import type { ApiDeps, ApiFeature, ApiOperation, ApiOperationInfo } from './operation.ts';

export const API_FEATURES: readonly ApiFeature[] = [
  filesApi,
  lostPupilsApi,
  messagesApi,
  reportsApi,
  collectApi,
];

export const API_OPERATIONS: readonly ApiOperationInfo[] = API_FEATURES.flatMap((f) => f.operations);

/** The operations with their handlers, built once with the app's adapters. */
export function apiOperations(deps: ApiDeps): ApiOperation[] {
  return API_FEATURES.flatMap((feature) => {
    const handlers = feature.handlers(deps);
    return feature.operations.map((op) => {
      const handler = handlers[op.operationId];
      if (!handler) throw new Error(`no handler for ${op.operationId}`);
      return { ...op, handler };
    });
  });
}
