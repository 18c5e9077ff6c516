// The web edge of the LA's bulk upload (bulk-load.ts):
//
//   GET  /collect/collections/:collectionId/bulk-upload   the form: the zip of the schools' returns, and
//                                                         the box confirming that they replace current ones
//   POST /collect/collections/:collectionId/bulk-upload   load them; the answer lists each file's outcome
//
// The form is multipart: its CSRF token is its first field, checked before any file is read
// (platform/web/http.ts). The form is read whole, the zip into memory up to the LA's upload limit, before
// anything is loaded (collect/web.ts). The results are the POST's own response, shown only to the person
// who uploaded.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { keyedError } from '../platform/i18n/catalogue.ts';
import { BULK_ZIP_LIMIT, BulkReturnsLoader, MAX_BULK_FILES, ZIP_FIELD } from './bulk-load.ts';
import { censusReturnExample } from './census-filename.ts';
import type { CollectionDetails } from './collections-service.ts';
import { outcomeIn } from './returns-routes.ts';
import { exampleSchool, RETURN_SIZE_LIMIT, type ReturnsDeps } from './returns-service.ts';
import { REPLACE_FIELD, readUploadForm } from './web.ts';

const collectionParams = z.object({ collectionId: z.string() });

/** A form that broke off, or could not be read: nothing is loaded, even if the zip came whole. */
const INCOMPLETE_ZIP = 'collect.bulk.incomplete';

const megabytes = (bytes: number) => `${bytes / 1024 / 1024} MB`;

export function bulkLoadRoutes(deps: ReturnsDeps): Route[] {
  const loader = new BulkReturnsLoader(deps);
  const path = (collectionId: string) => `/collect/collections/${collectionId}/bulk-upload`;

  const formPage = (
    reply: FastifyReply,
    user: Actor,
    details: CollectionDetails,
    options: { errors?: FieldError[]; replace?: boolean } = {},
  ) =>
    reply.page('collect/views/bulk-form.njk', {
      title: reply.request.t('collect.bulk.page-title', { name: details.collection.name }),
      details,
      example: censusReturnExample(exampleSchool(user), details.collection),
      action: path(details.collection.id),
      zipField: ZIP_FIELD,
      replaceField: REPLACE_FIELD,
      replace: options.replace ?? false,
      // However often the form is posted, each file of its zip is loaded once (collect/web.ts).
      formId: randomUUID(),
      zipLimit: megabytes(BULK_ZIP_LIMIT),
      zipLimitBytes: BULK_ZIP_LIMIT,
      returnLimit: megabytes(RETURN_SIZE_LIMIT),
      maxFiles: MAX_BULK_FILES,
      errors: options.errors,
      backLink: {
        href: `/collect/collections/${details.collection.id}`,
        text: reply.request.t('collect.back-to', { name: details.collection.name }),
      },
    });

  async function receive(request: FastifyRequest, reply: FastifyReply) {
    const user = signedInUser(request);
    const { collectionId } = collectionParams.parse(request.params ?? {});
    // Forbidden or NotFound before anything is read.
    const details = await loader.open(user, collectionId);
    const { file, replace, formId, problem } = await readUploadForm(request, ZIP_FIELD, BULK_ZIP_LIMIT);
    if (problem !== undefined || file === undefined) {
      const error =
        problem?.kind === 'several-files'
          ? keyedError(ZIP_FIELD, 'collect.bulk.several-files', { files: problem.files })
          : keyedError(ZIP_FIELD, problem ? INCOMPLETE_ZIP : 'collect.bulk.select-zip');
      return formPage(reply.code(400), user, details, { replace, errors: [error] });
    }
    try {
      const zip = file.read.ok ? file.read.data : null;
      const result = await loader.load(user, collectionId, zip, replace, formId);
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
      return formPage(reply.code(400), user, details, { replace, errors: error.errors });
    }
  }

  return [
    {
      method: 'GET',
      url: path(':collectionId'),
      access: 'collect.agent',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        const { collectionId } = collectionParams.parse(request.params ?? {});
        return formPage(reply, user, await loader.open(user, collectionId));
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
