// Helpers for the API tests: tokens made through the service, requests with a bearer token, and
// multipart bodies as an MIS would send them (no CSRF field: the files come first).
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { ApiTokenService, type Scope } from '../../src/api/token-service.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import { actorOf } from '../support/transfers.ts';

export async function makeToken(
  db: Db,
  user: UserRow,
  scope: Scope = 'transfer',
  clock: { now(): Date } = { now: () => new Date() },
): Promise<string> {
  const service = new ApiTokenService({ db, clock });
  const { token } = await service.create(actorOf(user), { name: `MIS ${scope}`, scope, expiry: '90' });
  return token;
}

export interface ApiRequest {
  method?: 'GET' | 'POST' | 'DELETE';
  url: string;
  token?: string;
  json?: unknown;
  headers?: Record<string, string>;
}

export function api(app: FastifyInstance, request: ApiRequest): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  if (request.json !== undefined) headers['content-type'] = 'application/json';
  return app.inject({
    method: request.method ?? 'GET',
    url: request.url,
    headers,
    ...(request.json !== undefined ? { payload: JSON.stringify(request.json) } : {}),
  });
}

/** Files as an MIS sends them, each a part of a multipart body: `inject` options for it. */
export function multipartFiles(
  files: { filename: string; content: Buffer | string; field?: string }[],
  field: string,
): { contentType: string; payload: Buffer } {
  const boundary = `----s2sApiBoundary${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const file of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? field}"; filename="${file.filename}"\r\n` +
          'Content-Type: application/xml\r\n\r\n',
      ),
      typeof file.content === 'string' ? Buffer.from(file.content) : file.content,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, payload: Buffer.concat(chunks) };
}

export function uploadFiles(
  app: FastifyInstance,
  token: string | undefined,
  files: { filename: string; content: Buffer | string }[],
  query = '',
  extraHeaders: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const body = multipartFiles(files, 'files');
  return app.inject({
    method: 'POST',
    url: `/api/v1/files${query}`,
    headers: {
      ...extraHeaders,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      'content-type': body.contentType,
    },
    payload: body.payload,
  });
}
