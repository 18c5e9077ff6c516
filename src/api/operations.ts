// The operations of the REST API (/api/v1): each names the capability of the page it stands for (the
// permission table, as every page route does) and the token scope it needs, and calls the same service
// the page calls. No rule about files is decided here: the services check who may see and change each
// file (another organisation's file is "not found"), and their reasons come back as problems.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { type Capability, can } from '../auth/permissions.ts';
import type { Deps } from '../deps.ts';
import { drain } from '../platform/bounded-read.ts';
import { Forbidden, NotFound } from '../platform/errors.ts';
import { CATEGORIES, type Category, isCategory, uploadCapability } from '../transfers/categories.ts';
import type { FileListing, PupilDetails, Sort, SortKey } from '../transfers/download-listing.ts';
import { contentDisposition } from '../transfers/download-routes.ts';
import { DownloadService } from '../transfers/download-service.ts';
import { classifyFilename, type FileKind } from '../transfers/filenames.ts';
import { getTransfer } from '../transfers/repository.ts';
import { SENT_FILTER_INFO, SENT_FILTERS, type SentFilter, SentService } from '../transfers/sent-service.ts';
import {
  type UploadDeps,
  type UploadOutcome,
  UploadService,
  withoutFolder,
} from '../transfers/upload-service.ts';
import { ProblemError, problem } from './problems.ts';
import type { Scope } from './token-service.ts';

export interface ApiOperationInfo {
  operationId: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify's form: /api/v1/files/:id */
  url: string;
  summary: string;
  /** The permission-table capability, as a page route names one. Every operation also needs api.use. */
  capability: Capability;
  scope: Scope;
}

export interface ApiOperation extends ApiOperationInfo {
  handler: (actor: Actor, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

export const API_PREFIX = '/api/v1';

/** Every operation, in the order of the reference. The permission matrix and the document use this. */
export const API_OPERATIONS: readonly ApiOperationInfo[] = [
  {
    operationId: 'uploadFiles',
    method: 'POST',
    url: `${API_PREFIX}/files`,
    summary: 'Upload one or more files',
    capability: 'transfers.sent',
    scope: 'transfer',
  },
  {
    operationId: 'listIncomingFiles',
    method: 'GET',
    url: `${API_PREFIX}/files/incoming`,
    summary: 'Files sent to your organisation',
    capability: 'transfers.received',
    scope: 'read',
  },
  {
    operationId: 'listOutgoingFiles',
    method: 'GET',
    url: `${API_PREFIX}/files/outgoing`,
    summary: 'Files your organisation sent',
    capability: 'transfers.sent',
    scope: 'read',
  },
  {
    operationId: 'getFile',
    method: 'GET',
    url: `${API_PREFIX}/files/:id`,
    summary: 'One file, with its pupils',
    capability: 'api.use',
    scope: 'read',
  },
  {
    operationId: 'downloadFile',
    method: 'GET',
    url: `${API_PREFIX}/files/:id/content`,
    summary: 'Download a file sent to you',
    capability: 'transfers.received',
    scope: 'read',
  },
  {
    operationId: 'acceptFile',
    method: 'POST',
    url: `${API_PREFIX}/files/:id/accept`,
    summary: 'Accept a downloaded file (collected)',
    capability: 'transfers.received',
    scope: 'transfer',
  },
  {
    operationId: 'rejectFile',
    method: 'POST',
    url: `${API_PREFIX}/files/:id/reject`,
    summary: 'Reject a file sent to you, with a reason',
    capability: 'transfers.received',
    scope: 'transfer',
  },
  {
    operationId: 'removeFile',
    method: 'DELETE',
    url: `${API_PREFIX}/files/:id`,
    summary: 'Remove a file your organisation sent',
    capability: 'transfers.sent',
    scope: 'transfer',
  },
];

export const MAX_PAGE_SIZE = 200;
const DEFAULT_PAGE_SIZE = 50;

const idParams = z.object({ id: z.string() });
const pageQuery = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  order: z.enum(['ascending', 'descending']).default('ascending'),
};
const incomingQuery = z.object({
  ...pageQuery,
  status: z.enum(['available', 'collected']).default('available'),
  sort: z.enum(['file', 'uploaded', 'source']).default('uploaded'),
});
const outgoingQuery = z.object({
  ...pageQuery,
  status: z.enum(['available', 'rejected', 'collected']).optional(),
  sort: z.enum(['file', 'uploaded', 'destination']).default('uploaded'),
});
const uploadQuery = z.object({ category: z.string().optional() });
const rejectBody = z.object({ reason: z.string().max(10_000) });

/** A file as the API gives it: the page's listing, the other party named by its side. */
export function fileJson(file: FileListing, direction: 'incoming' | 'outgoing') {
  return {
    id: file.id,
    filename: file.filename,
    category: file.category,
    direction,
    status: file.status,
    ...(direction === 'incoming' ? { source: file.party } : { destination: file.party }),
    uploadedAt: file.uploadedAt,
    size: file.size,
    pupilCount: file.pupilCount,
    lastDownloadedAt: file.lastDownloadedAt,
    collectedAt: file.collectedAt,
    rejectedAt: file.rejectedAt,
    rejectReason: file.rejectReason,
    redownloadUntil: file.redownloadUntil,
    contentHeld: file.contentHeld,
  };
}

function pupilJson(pupil: PupilDetails) {
  return { upn: pupil.upn, dateOfBirth: pupil.dateOfBirth, name: pupil.name };
}

function paged<T>(items: T[], page: number, pageSize: number) {
  const total = items.length;
  return {
    items: items.slice((page - 1) * pageSize, page * pageSize),
    page,
    pageSize,
    total,
    totalPages: Math.max(1, Math.ceil(total / pageSize)),
  };
}

function merge(lists: FileListing[][], sort: Sort): FileListing[] {
  const direction = sort.order === 'ascending' ? 1 : -1;
  const key = (f: FileListing) =>
    sort.key === 'file' ? f.filename.toUpperCase() : sort.key === 'uploaded' ? f.uploadedAt : f.party.name;
  return lists
    .flat()
    .sort((a, b) => direction * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) || (a.id < b.id ? -1 : 1));
}

/** The Upload menu item a file's name belongs to when the client names none. */
const DEFAULT_CATEGORY: Record<FileKind, readonly Category[]> = {
  ctf: ['ctf'],
  census: ['plasc'],
  admissions: ['admissions'],
  generic: ['generic', 'cfr', 'exclusion'],
  other: ['generic', 'cfr', 'exclusion'],
};

function categoryFor(actor: Actor, filename: string): Category {
  const mayUse = (c: Category) => can(actor.role, uploadCapability(c));
  const classified = classifyFilename(withoutFolder(filename));
  // A name the rules refuse goes to any item the actor may use: the service refuses it with the reasons.
  if (!classified.ok) return CATEGORIES.find(mayUse) ?? 'generic';
  const choices = DEFAULT_CATEGORY[classified.file.kind];
  return choices.find(mayUse) ?? choices[0] ?? 'generic';
}

type FileResult = UploadOutcome | { status: 'failed'; filename: string; reasons: string[]; whatToDo: string };

export function apiOperations(
  deps: Pick<Deps, 'db' | 'files' | 'clock' | 'logger'> & Pick<UploadDeps, 'contentChecks'>,
): ApiOperation[] {
  const uploads = new UploadService(deps);
  const downloads = new DownloadService(deps);
  const sent = new SentService(deps);
  const info = (operationId: string): ApiOperationInfo => {
    const found = API_OPERATIONS.find((op) => op.operationId === operationId);
    if (!found) throw new Error(`no operation ${operationId}`);
    return found;
  };
  const idOf = (request: FastifyRequest) => idParams.parse(request.params ?? {}).id;

  /** The file addressed to the actor's organisation, or undefined when it is not (the sender's side). */
  const incomingFile = async (actor: Actor, id: string) => {
    try {
      return await downloads.file(actor, id);
    } catch (error) {
      if (error instanceof NotFound) return undefined;
      throw error;
    }
  };

  const handlers: Record<string, ApiOperation['handler']> = {
    uploadFiles: async (actor, request, reply) => {
      const query = uploadQuery.parse(request.query ?? {});
      let fixed: Category | undefined;
      if (query.category !== undefined) {
        if (!isCategory(query.category)) {
          throw new ProblemError(
            problem('bad-request', 400, `category must be one of ${CATEGORIES.join(', ')}, or left out.`),
          );
        }
        if (!can(actor.role, uploadCapability(query.category)))
          throw new Forbidden(`Your role cannot send ${query.category} files`);
        fixed = query.category;
      }
      if (!request.isMultipart()) {
        throw new ProblemError(
          problem('bad-request', 400, 'Send the files as multipart/form-data, each in a part named "files".'),
        );
      }
      const results: FileResult[] = [];
      let limit: string | undefined;
      try {
        for await (const part of request.parts()) {
          if (part.type !== 'file') continue;
          if (!part.filename) {
            await drain(part.file);
            continue;
          }
          const category = fixed ?? categoryFor(actor, part.filename);
          try {
            results.push(await uploads.upload(actor, category, part.filename, part.file));
          } catch (error) {
            await drain(part.file);
            const filename = withoutFolder(part.filename).slice(0, 120);
            if (error instanceof Forbidden) {
              results.push({
                status: 'refused',
                filename,
                reasons: [`${error.message}.`],
                whatToDo:
                  'Your account cannot send this kind of file. If you should, ask your LEA administrator.',
              });
              continue;
            }
            request.log.error({ err: error, category }, 'an API upload failed');
            results.push({
              status: 'failed',
              filename,
              reasons: ['s2s could not store the file because of a fault of its own.'],
              whatToDo: 'Send it again later. If it fails again, contact the service desk.',
            });
          }
        }
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'FST_FILES_LIMIT')
          limit =
            'More files were sent than s2s takes at once: only the first were checked. Send the others again.';
        else if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT')
          limit = 'The request had more parts than s2s takes.';
        else throw error;
      }
      if (results.length === 0) {
        if (limit) throw new ProblemError(problem('too-large', 413, limit));
        throw new ProblemError(
          problem('invalid', 422, 'No file was sent. Send one or more files in parts named "files".', {
            errors: [{ field: 'files', message: 'Select the files to upload' }],
          }),
        );
      }
      const accepted = results.filter((r) => r.status === 'accepted').length;
      const body = {
        accepted,
        notAccepted: results.length - accepted,
        results,
        ...(limit ? { warning: limit } : {}),
      };
      if (accepted === results.length) return reply.code(201).send(body);
      if (accepted > 0) return reply.code(200).send(body);
      const shown = results.map((r) => ({
        field: r.filename,
        message: r.status === 'accepted' ? '' : `${r.reasons.join(' ')} ${r.whatToDo}`,
      }));
      throw new ProblemError(
        problem(
          'upload-refused',
          422,
          results.length === 1
            ? 'The file was not accepted.'
            : `None of the ${results.length} files was accepted.`,
          { errors: shown, ...body },
        ),
      );
    },

    listIncomingFiles: async (actor, request) => {
      const query = incomingQuery.parse(request.query ?? {});
      const sort: Sort = { key: query.sort as SortKey, order: query.order };
      const lists: FileListing[][] = [];
      for (const category of downloads.categoriesFor(actor)) {
        lists.push(
          query.status === 'available'
            ? await downloads.available(actor, category, sort)
            : await downloads.previouslyDownloaded(actor, category, sort),
        );
      }
      const page = paged(merge(lists, sort), query.page, query.pageSize);
      return { ...page, items: page.items.map((f) => fileJson(f, 'incoming')) };
    },

    listOutgoingFiles: async (actor, request) => {
      const query = outgoingQuery.parse(request.query ?? {});
      const sort: Sort = { key: query.sort as SortKey, order: query.order };
      const filters: SentFilter[] = query.status
        ? SENT_FILTERS.filter((f) => SENT_FILTER_INFO[f].status === query.status)
        : [...SENT_FILTERS];
      const lists: FileListing[][] = [];
      for (const filter of filters) lists.push(await sent.sent(actor, filter, sort));
      const page = paged(merge(lists, sort), query.page, query.pageSize);
      return { ...page, items: page.items.map((f) => fileJson(f, 'outgoing')) };
    },

    getFile: async (actor, request) => {
      const id = idOf(request);
      const incoming = await incomingFile(actor, id);
      if (incoming) {
        return { ...fileJson(incoming.file, 'incoming'), pupils: incoming.pupils.map(pupilJson) };
      }
      const outgoing = await sent.file(actor, id);
      return {
        ...fileJson(outgoing.file, 'outgoing'),
        canRemove: outgoing.canRemove,
        pupils: outgoing.pupils.map(pupilJson),
      };
    },

    downloadFile: async (actor, request, reply) => {
      const id = idOf(request);
      const { file } = await downloads.file(actor, id);
      // Fastify answers HEAD with this handler too: a HEAD is not a download, so nothing is recorded.
      if (request.method === 'HEAD') return reply.header('cache-control', 'no-store').code(200).send();
      const download = await downloads.download(
        actor,
        file.category,
        [id],
        file.status === 'collected' ? 'again' : 'download',
      );
      if (download.size !== null) reply.header('content-length', String(download.size));
      const row = await getTransfer(deps.db, id);
      const sha256 = row?.sha256 ?? '';
      return reply
        .header('content-type', download.contentType)
        .header('content-disposition', contentDisposition(download.filename))
        .header('cache-control', 'no-store')
        .header('x-content-sha256', sha256)
        .header('repr-digest', `sha-256=:${Buffer.from(sha256, 'hex').toString('base64')}:`)
        .send(download.stream);
    },

    acceptFile: async (actor, request) => {
      const id = idOf(request);
      const { file } = await downloads.file(actor, id);
      const outcome = await downloads.collect(actor, file.category, [id]);
      const [collected] = outcome.collected;
      if (!collected) {
        throw new ProblemError(
          problem('conflict', 409, `${outcome.notCollected.map((n) => n.reason).join('. ')}.`),
        );
      }
      return fileJson(collected, 'incoming');
    },

    rejectFile: async (actor, request) => {
      const id = idOf(request);
      const body = rejectBody.parse(request.body ?? {});
      const { file } = await downloads.file(actor, id);
      return fileJson(await downloads.reject(actor, file.category, id, body.reason), 'incoming');
    },

    removeFile: async (actor, request) => fileJson(await sent.remove(actor, idOf(request)), 'outgoing'),
  };

  return API_OPERATIONS.map((op) => {
    const handler = handlers[op.operationId];
    if (!handler) throw new Error(`no handler for ${op.operationId}`);
    return { ...info(op.operationId), handler };
  });
}
