// What an API feature declares: its operations (each with the capability of the page it stands for,
// the token scope it needs, and its OpenAPI description), the schemas its answers use, and its
// handlers. Each feature keeps its own in src/<feature>/api.ts; catalogue.ts lists them. The helpers
// below are the pieces every feature's description and handlers share.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import type { Capability } from '../auth/permissions.ts';
import type { ReturnsDeps } from '../collect/returns-service.ts';
import type { Deps } from '../deps.ts';
import type { WindowPage } from '../platform/paging.ts';
import type { UploadDeps } from '../transfers/upload-service.ts';
import type { Scope } from './token-service.ts';

export type Json = Record<string, unknown>;

export const API_PREFIX = '/api/v1';

export interface ApiOperationDoc {
  /** CommonMark: what it does, in the pages' words. */
  description: string;
  parameters?: Json[];
  requestBody?: Json;
  /** The successes and the errors particular to it; 401, 403, 404 and 429 are added for every one. */
  responses: Record<string, Json>;
  /** What a 404 means here, for operations with a path parameter. */
  notFound?: string;
}

export interface ApiOperationInfo {
  operationId: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify's form: /api/v1/files/:id */
  url: string;
  summary: string;
  /** The permission-table capability, as a page route names one. Every operation also needs api.use. */
  capability: Capability;
  scope: Scope;
  /** The feature's tag in the document. */
  tag: string;
  doc: ApiOperationDoc;
  /**
   * An operation whose body is files: what to send, said with 415 to a body of any other type (or none)
   * before it is read.
   */
  multipartBody?: string;
}

export type ApiHandler = (actor: Actor, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export interface ApiOperation extends ApiOperationInfo {
  handler: ApiHandler;
}

/** What API handlers are built with: the app's adapters (the same the pages' services get). */
export type ApiDeps = Pick<
  Deps,
  'db' | 'files' | 'clock' | 'logger' | 'config' | 'cookieSecret' | 'scanner' | 'metrics'
> &
  Pick<UploadDeps, 'contentChecks' | 'censusCollection'> &
  Pick<ReturnsDeps, 'censusChecks'>;

export interface ApiFeature {
  tag: { name: string; description: string };
  operations: readonly ApiOperationInfo[];
  /** components.schemas this feature adds (names unique across features). */
  schemas: Record<string, Json>;
  handlers: (deps: ApiDeps) => Record<string, ApiHandler>;
}

// ---- description pieces ----

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});

export const jsonResponse = (description: string, schema: Json) => ({
  description,
  content: { 'application/json': { schema } },
});

export const csvResponse = (description: string) => ({
  description,
  content: { 'text/csv': { schema: { type: 'string' } } },
});

export const jsonBody = (schema: Json) => ({ required: true, content: { 'application/json': { schema } } });

export const pathParameter = (name: string, description: string, schema: Json = { type: 'string' }) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema,
});

export const queryParameter = (name: string, schema: Json, description?: string, required = false) => ({
  name,
  in: 'query',
  required,
  ...(description ? { description } : {}),
  schema,
});

export const nullableDateTime = { type: ['string', 'null'], format: 'date-time' };

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/** page, pageSize and order, as every list takes them. */
export const pageParameters = [
  queryParameter('page', { type: 'integer', minimum: 1, default: 1 }),
  queryParameter('pageSize', {
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
  }),
  queryParameter('order', { type: 'string', enum: ['ascending', 'descending'], default: 'ascending' }),
];

/** A page of `items` (a schema name), as paged() answers. */
export function pageSchema(items: string): Json {
  return {
    type: 'object',
    properties: {
      items: { type: 'array', items: ref(items) },
      page: { type: 'integer' },
      pageSize: { type: 'integer' },
      total: { type: 'integer' },
      totalPages: { type: 'integer' },
    },
    required: ['items', 'page', 'pageSize', 'total', 'totalPages'],
  };
}

// ---- handler pieces ----

export const pageQuery = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  order: z.enum(['ascending', 'descending']).default('ascending'),
};

export function paged<T>(items: T[], page: number, pageSize: number) {
  const total = items.length;
  return {
    items: items.slice((page - 1) * pageSize, page * pageSize),
    page,
    pageSize,
    total,
    totalPages: Math.max(1, Math.ceil(total / pageSize)),
  };
}

/** A page read a window at a time (windowPage), as paged() answers: one past the end has no items. */
export function pagedWindow<T>(shown: WindowPage<T>, page: number, pageSize: number) {
  return {
    items: shown.page === page ? shown.rows : [],
    page,
    pageSize,
    total: shown.total,
    totalPages: shown.pages,
  };
}

/** The path parameter `name` of a request (Fastify has matched it, so it is there). */
export function pathParam(request: FastifyRequest, name = 'id'): string {
  return z.object({ [name]: z.string() }).parse(request.params ?? {})[name] as string;
}
