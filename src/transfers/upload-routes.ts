// The web edge of Upload (handbook §3, LA notes §4.2, §5.1, §5.6): the Upload section page, and for
// each Upload menu item a form taking several files at once and a confirmation listing each file's
// outcome. Each menu item has its own two routes (/upload/ctf...), so each names its own capability
// and the permission matrix checks them exactly. The confirmation is the POST's own response: it is
// shown only to the person who uploaded, and never again.
//
// The form is multipart: its CSRF token is its first field, checked before any file is read
// (platform/web/http.ts). Files are read one after another as they arrive and handed to the upload
// service, which refuses each file past the uploader's size limit as soon as it is exceeded.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { menuLabelKey, menuSection } from '../auth/menu.ts';
import { scopeOf } from '../auth/permissions.ts';
import type { SignedInUser } from '../auth/service.ts';
import { type Route, signedInUser } from '../auth/web.ts';
import type { Deps } from '../deps.ts';
import { IncompleteFile, settleFile } from '../platform/bounded-read.ts';
import { type FieldError, Forbidden } from '../platform/errors.ts';
import { keyedError, type Message, message, translateMessage } from '../platform/i18n/catalogue.ts';
import { stopAtLimit } from '../platform/web/http.ts';
import { PoolBusy } from '../platform/workers/pool.ts';
import { CATEGORIES, type Category, uploadCapability } from './categories.ts';
import { uploadDescriptionKey } from './category-words.ts';
import { ALLOWED_EXTENSIONS } from './file-types.ts';
import { printableFilename } from './filenames.ts';
import { actorParty } from './parties.ts';
import { uploadExamples } from './upload-examples.ts';
import {
  ACCEPTED_TEXTS,
  MAX_UPLOAD_LIMIT,
  REFUSAL_TEXTS,
  reasonIn,
  type UploadOutcome,
  UploadService,
  uploadLimit,
  withoutFolder,
} from './upload-service.ts';
import { sectionItems } from './web.ts';

/** Files in one upload at most; the form says so. The others are named on the result, not checked. */
export const MAX_FILES_PER_UPLOAD = 20;
/**
 * File parts the multipart parser reads in one request (the pages' and the API's): past the first
 * MAX_FILES_PER_UPLOAD, each is only named (its content drained, as the rest of a body is anyway), so the
 * uploader knows which files to send again; past this many, the rest of the request is not read.
 */
export const MAX_FILE_PARTS_READ = 100;

/** The form's file input, and the API's parts: files in parts of any other name are not read. */
export const FILES_FIELD = 'files';

/** Kinds that are XML by their name's rules: the file chooser offers .xml files. */
const XML_ONLY: readonly Category[] = ['ctf', 'plasc', 'admissions'];

function acceptFor(category: Category): string {
  return XML_ONLY.includes(category)
    ? '.xml,.XML'
    : ALLOWED_EXTENSIONS.map((e) => `.${e.toLowerCase()}`).join(',');
}

function megabytes(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}

/** A file that could not be handled because of a fault in s2s, not in the file; or s2s was too busy. */
interface FailedUpload {
  status: 'failed';
  filename: string;
  /** Turned away: too many files were already waiting to be read (to be sent again shortly). */
  busy?: true;
}

type FileResult = UploadOutcome | FailedUpload;

/** Whether the multipart parser stopped at MAX_FILE_PARTS_READ files. */
export function isFilesLimit(error: unknown): boolean {
  return (error as { code?: string }).code === 'FST_FILES_LIMIT';
}

/** The message for a multipart limit, or undefined when the error is something else. */
function limitProblem(error: unknown): Message | undefined {
  const code = (error as { code?: string }).code;
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return message('transfer.upload.too-many-parts');
  }
  return undefined;
}

/** A form that stopped arriving, or could not be read, part of the way through. */
const INCOMPLETE = message('transfer.upload.incomplete');

/** A file so far past every limit that the rest of the upload was not read. */
function tooLargeProblem(filename: string): Message {
  return message('transfer.upload.far-too-large', { filename, limit: megabytes(MAX_UPLOAD_LIMIT) });
}

/**
 * A refusal's reasons and what to do, or an accepted file's warnings, in the reader's language (the
 * outcome itself keeps the English).
 */
function inLanguage(result: FileResult, request: FastifyRequest): FileResult {
  const { language } = request;
  if (result.status === 'accepted') {
    const texts = result[ACCEPTED_TEXTS];
    if (!texts) return result;
    return {
      ...result,
      warnings: texts.warnings.map((warning) => translateMessage(language, warning)),
      ...(texts.loadInto ? { loadInto: texts.loadInto } : {}),
    };
  }
  const texts = result.status === 'refused' ? result[REFUSAL_TEXTS] : undefined;
  if (result.status !== 'refused' || !texts) return result;
  return {
    ...result,
    reasons: texts.reasons.map((reason) => reasonIn(language, reason)),
    whatToDo: translateMessage(language, texts.whatToDo),
  };
}

export function uploadRoutes(
  deps: Pick<Deps, 'db' | 'files' | 'clock' | 'logger' | 'scanner' | 'metrics'>,
): Route[] {
  const service = new UploadService(deps);

  const formPage = (reply: FastifyReply, user: SignedInUser, category: Category, errors?: FieldError[]) => {
    const party = actorParty(user);
    const examples = party ? uploadExamples(party, category, deps.clock.now()) : [];
    return reply.page('transfers/views/upload-form.njk', {
      title: reply.request.t(menuLabelKey(`/upload/${category}`)),
      category,
      action: `/upload/${category}`,
      description: reply.request.t(uploadDescriptionKey(category)),
      examples,
      // Only census returns have no name an LA could send: each school uploads its own.
      noExamples:
        examples.length === 0 ? reply.request.t('transfer.upload-form.examples.from-schools') : null,
      accept: acceptFor(category),
      limit: megabytes(uploadLimit(user)),
      limitBytes: uploadLimit(user),
      schoolLimit: scopeOf(user.role) === 'school',
      maxFiles: MAX_FILES_PER_UPLOAD,
      fieldName: FILES_FIELD,
      errors,
      backLink: {
        href: '/upload',
        text: reply.request.t('transfer.back-to', { page: reply.request.t('menu.upload') }),
      },
    });
  };

  const noFiles = (reply: FastifyReply, user: SignedInUser, category: Category) =>
    formPage(reply.code(400), user, category, [keyedError(FILES_FIELD, 'transfer.upload.select-files')]);

  async function receive(request: FastifyRequest, reply: FastifyReply, category: Category) {
    const user = signedInUser(request);
    const parts = request.multipartParts;
    // Not a multipart form (or an empty one): nothing to upload.
    if (!parts) return noFiles(reply, user, category);

    const results: FileResult[] = [];
    let problem: Message | undefined;
    /** The files past the first MAX_FILES_PER_UPLOAD: named, not checked. */
    const notChecked: string[] = [];
    /** Files after the last one named were not read (the request stopped there). */
    let notRead = false;
    let checked = 0;
    try {
      for await (const part of parts) {
        if (part.type !== 'file') continue;
        stopAtLimit(request, part.file);
        // Another field's file, or a file input left empty (a part with no name and no content).
        let outcome: FileResult | undefined;
        const chosen = part.fieldname === FILES_FIELD && Boolean(part.filename);
        const leftOut = chosen && checked >= MAX_FILES_PER_UPLOAD;
        if (leftOut) {
          notChecked.push(printableFilename(withoutFolder(part.filename)));
        } else if (chosen) {
          checked += 1;
          try {
            outcome = await service.upload(user, category, part.filename, part.file);
          } catch (error) {
            if (error instanceof Forbidden) throw error;
            const filename = printableFilename(withoutFolder(part.filename));
            if (error instanceof PoolBusy) {
              request.log.warn(
                { category },
                'an upload was turned away: too many files are waiting to be read',
              );
              outcome = { status: 'failed', filename, busy: true };
            } else if (!(error instanceof IncompleteFile)) {
              request.log.error({ err: error, category }, 'an upload failed');
              outcome = { status: 'failed', filename };
            }
          }
        }
        const end = await settleFile(part.file);
        if (outcome) results.push(outcome);
        if (end === 'incomplete') {
          problem = INCOMPLETE;
          break;
        }
        if (end === 'too-large') {
          // A file not checked anyway is already named: only the files after it go unread.
          if (leftOut) notRead = true;
          else problem = tooLargeProblem(printableFilename(withoutFolder(part.filename ?? '')));
          break;
        }
      }
    } catch (error) {
      if (error instanceof Forbidden) throw error;
      // Anything else from reading the form is the form's: a limit passed, or a body that broke off.
      if (isFilesLimit(error)) notRead = true;
      else problem = limitProblem(error) ?? INCOMPLETE;
    }

    if (results.length === 0) {
      if (problem === undefined) return noFiles(reply, user, category);
      return formPage(reply.code(problem === INCOMPLETE ? 400 : 413), user, category, [
        keyedError(FILES_FIELD, problem.key, problem.params),
      ]);
    }
    const accepted = results.filter((r) => r.status === 'accepted').length;
    const label = request.t(menuLabelKey(`/upload/${category}`));
    return reply.page('transfers/views/upload-result.njk', {
      title: request.t('transfer.upload-result.title', { item: label }),
      label,
      results: results.map((result) => inLanguage(result, request)),
      accepted,
      notAccepted: results.length - accepted,
      refused: results.filter((r) => r.status === 'refused').length,
      problem: problem && translateMessage(request.language, problem),
      notChecked: notChecked.length > 0 ? { max: MAX_FILES_PER_UPLOAD, names: notChecked, notRead } : null,
      againHref: `/upload/${category}`,
    });
  }

  const routes: Route[] = [
    {
      method: 'GET',
      url: '/upload',
      // Every role that sends files (the same roles as View / Remove Files); each item's own routes
      // need that item's upload capability.
      access: 'transfers.sent',
      handler: async (request, reply) => {
        const user = signedInUser(request);
        return reply.page('transfers/views/upload-section.njk', {
          title: request.t('menu.upload'),
          items: sectionItems(request, menuSection(user.role, '/upload')?.children ?? []),
          backLink: { href: '/' },
        });
      },
    },
  ];
  for (const category of CATEGORIES) {
    routes.push(
      {
        method: 'GET',
        url: `/upload/${category}`,
        access: uploadCapability(category),
        handler: async (request, reply) => formPage(reply, signedInUser(request), category),
      },
      {
        method: 'POST',
        url: `/upload/${category}`,
        access: uploadCapability(category),
        handler: async (request, reply) => receive(request, reply, category),
      },
    );
  }
  return routes;
}
