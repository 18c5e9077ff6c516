// Helpers for the Census API tests: a live collection for chosen LAs, a school's return loaded (and
// submitted) through the service the pages use, and a census return sent as an MIS sends it (multipart,
// the file in a part named "file", no CSRF field).
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { CensusReturnsService } from '../../src/collect/returns-service.ts';
import type { Clock } from '../../src/platform/clock.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import type { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { censusFilename, censusReturnXml } from '../support/census.ts';
import { actorOf } from '../support/transfers.ts';
import { multipartFiles } from './support.ts';

/**
 * The school user's return (autumn 2026, 13 pupils, one query) loaded through the pages' service; with
 * `submit`, its query explained and the return submitted, so its LA can open it.
 */
export async function loadedReturn(
  deps: { db: Db; files: EncryptedFileStore; clock: Clock },
  schoolUser: UserRow,
  collectionId: string,
  options: { submit?: boolean } = {},
): Promise<{ returnId: string; queryId: string }> {
  const school = schoolUser.establishment_number ?? '';
  const service = new CensusReturnsService(deps);
  const actor = actorOf(schoolUser);
  const outcome = await service.load(
    actor,
    collectionId,
    censusFilename(school),
    Readable.from([Buffer.from(censusReturnXml({ school, year: 2026, withQuery: true }))]),
    false,
  );
  assert.equal(outcome.status, 'loaded', outcome.status === 'refused' ? outcome.reasons.join(' ') : '');
  const returnId = outcome.status === 'loaded' ? outcome.returnId : '';
  const query = (await service.view(actor, returnId)).findings.find((f) => f.kind === 'query');
  assert.ok(query, 'the return has a query');
  if (options.submit) {
    await service.answerQuery(actor, returnId, query.id, 'Parents declined to say.');
    await service.submit(actor, returnId, true);
  }
  return { returnId, queryId: query.id };
}

/** POST /api/v1/census/collections/:id/returns with the files given, each in a part named `field`. */
export function uploadReturn(
  app: FastifyInstance,
  token: string | undefined,
  collectionId: string,
  files: { filename: string; content: Buffer | string; field?: string }[],
  query = '',
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const body = multipartFiles(files, 'file');
  return app.inject({
    method: 'POST',
    url: `/api/v1/census/collections/${collectionId}/returns${query}`,
    headers: {
      ...headers,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      'content-type': body.contentType,
    },
    payload: body.payload,
  });
}
