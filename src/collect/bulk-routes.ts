// The web edge of the LA's bulk upload (bulk-load.ts):
//
//   GET  /collect/collections/:collectionId/bulk-upload   the form: the zip of the schools' returns, and
//                                                         the box confirming that they replace current ones
//   POST /collect/collections/:collectionId/bulk-upload   load them; the answer lists each file's outcome
//
// The form is multipart: its CSRF token is its first field, checked before any file is read
// (platform/web/http.ts). The zip is read into memory up to the LA's upload limit, so the box may come
// before or after it. The results are the POST's own response, shown only to the person who uploaded.
import type { Multipart } from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Route, signedInUser } from '../auth/web.ts';
import { type BoundedRead, IncompleteFile, readBounded, settleFile } from '../platform/bounded-read.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { keyedError } from '../platform/i18n/catalogue.ts';
import { stopAtLimit } from '../platform/web/http.ts';
import { BULK_ZIP_LIMIT, BulkReturnsLoader, MAX_BULK_FILES, ZIP_FIELD } from './bulk-load.ts';
import type { CollectionDetails } from './collections-service.ts';
import { outcomeIn } from './returns-routes.ts';
import { RETURN_SIZE_LIMIT, type ReturnsDeps } from './returns-service.ts';

const REPLACE_FIELD = 'replace';
const collectionParams = z.object({ collectionId: z.string() });

/** A form that broke off, or could not be read, before the zip arrived whole. */
const INCOMPLETE_ZIP = 'collect.bulk.incomplete';

const megabytes = (bytes: number) => `${bytes / 1024 / 1024} MB`;

export function bulkLoadRoutes(deps: ReturnsDeps): Route[] {
  const loader = new BulkReturnsLoader(deps);
  const path = (collectionId: string) => `/collect/collections/${collectionId}/bulk-upload`;

  const formPage = (
    reply: FastifyReply,
    details: CollectionDetails,
    options: { errors?: FieldError[]; replace?: boolean } = {},
  ) =>
    reply.page('collect/views/bulk-form.njk', {
      title: reply.request.t('collect.bulk.page-title', { name: details.collection.name }),
      details,
      action: path(details.collection.id),
      zipField: ZIP_FIELD,
      replaceField: REPLACE_FIELD,
      replace: options.replace ?? false,
      zipLimit: megabytes(BULK_ZIP_LIMIT),
      returnLimit: megabytes(RETURN_SIZE_LIMIT),
      maxFiles: MAX_BULK_FILES,
      errors: options.errors,
      backLink: {
        href: `/collect/collections/${details.collection.id}`,
        text: reply.request.t('collect.back-to', { name: details.collection.name }),
      },
    });

  /**
   * The zip and the box from the form, whatever their order; other parts are let through unread.
   * `problem` says why the form could not be read whole. A file far past the limit ends the form: the
   * rest of the body is left unread (stopAtLimit), and a zip that large is refused as too large.
   */
  async function readForm(request: FastifyRequest, parts: AsyncIterableIterator<Multipart>) {
    let zip: BoundedRead | undefined;
    let replace = false;
    let problem: string | undefined;
    try {
      for await (const part of parts) {
        if (part.type === 'field') {
          if (part.fieldname === REPLACE_FIELD) replace = part.value === 'yes';
          continue;
        }
        stopAtLimit(request, part.file);
        if (part.fieldname === ZIP_FIELD && part.filename && zip === undefined) {
          // One byte past the limit is enough to know the zip is too large; the rest is drained.
          zip = await readBounded(part.file, BULK_ZIP_LIMIT).catch((error: unknown) => {
            if (error instanceof IncompleteFile) return undefined;
            throw error;
          });
        }
        // A file input left empty still sends a part, with no name and no content.
        const end = await settleFile(part.file);
        if (end === 'incomplete') {
          problem = INCOMPLETE_ZIP;
          break;
        }
        if (end === 'too-large') break;
      }
    } catch {
      // What the form's parts throw is the form's: it broke off, or could not be read.
      problem = INCOMPLETE_ZIP;
    }
    return { zip: problem === undefined ? zip : undefined, replace, problem };
  }

  async function receive(request: FastifyRequest, reply: FastifyReply) {
    const user = signedInUser(request);
    const { collectionId } = collectionParams.parse(request.params ?? {});
    // Forbidden or NotFound before anything is read.
    const details = await loader.open(user, collectionId);
    const { zip, replace, problem } = request.multipartParts
      ? await readForm(request, request.multipartParts)
      : { zip: undefined, replace: false, problem: undefined };
    if (zip === undefined) {
      return formPage(reply.code(400), details, {
        replace,
        errors: [keyedError(ZIP_FIELD, problem ?? 'collect.bulk.select-zip')],
      });
    }
    try {
      const result = await loader.load(user, collectionId, zip.ok ? zip.data : null, replace);
      return reply.page('collect/views/bulk-result.njk', {
        title: request.t('collect.bulk.result-page-title', { name: details.collection.name }),
        result: {
          ...result,
          entries: result.entries.map((entry) => ({
            ...entry,
            outcome: outcomeIn(request.language, entry.outcome),
          })),
        },
        againHref: path(collectionId),
        collectionHref: `/collect/collections/${collectionId}`,
      });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      return formPage(reply.code(400), details, { replace, errors: error.errors });
    }
  }

  return [
    {
      method: 'GET',
      url: path(':collectionId'),
      access: 'collect.agent',
      handler: async (request, reply) => {
        const { collectionId } = collectionParams.parse(request.params ?? {});
        return formPage(reply, await loader.open(signedInUser(request), collectionId));
      },
    },
    {
      method: 'POST',
      url: path(':collectionId'),
      access: 'collect.agent',
      handler: receive,
    },
  ];
}
