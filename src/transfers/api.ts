// The Files part of the REST API (/api/v1/files): the Upload, Download and View / Remove Files pages
// for a program. Each operation names the capability of the page it stands for and calls the same
// service the page calls. No rule about files is decided here: the services check who may see and
// change each file (another organisation's file is "not found"), and their reasons come back as
// problems.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { fileContentResponse, sendFileContent } from '../api/file-content.ts';
import {
  API_PREFIX,
  type ApiDeps,
  type ApiFeature,
  type ApiHandler,
  type ApiOperationInfo,
  jsonResponse,
  nullableDateTime,
  paged,
  pageParameters,
  pageQuery,
  pageSchema,
  pathParam,
  pathParameter,
  problemResponse,
  ref,
} from '../api/operation.ts';
import { ProblemError, problem } from '../api/problems.ts';
import type { Actor } from '../auth/actor.ts';
import { can } from '../auth/permissions.ts';
import { IncompleteFile, settleFile } from '../platform/bounded-read.ts';
import { Forbidden, NotFound } from '../platform/errors.ts';
import { textIn } from '../platform/i18n/catalogue.ts';
import { multipartParts, stopAtLimit } from '../platform/web/http.ts';
import { BUSY_RETRY_SECONDS, PoolBusy } from '../platform/workers/pool.ts';
import { CATEGORIES, CATEGORY_INFO, type Category, isCategory, uploadCapability } from './categories.ts';
import type { FileListing, PupilDetails, Sort, SortKey } from './download-listing.ts';
import { DownloadService } from './download-service.ts';
import { classifyFilename, type FileKind, printableFilename } from './filenames.ts';
import { getTransfer } from './repository.ts';
import {
  SENT_FILTER_INFO,
  SENT_FILTERS,
  type SentFilter,
  type SentRemoval,
  SentService,
} from './sent-service.ts';
import { FILES_FIELD, isFilesLimit, MAX_FILES_PER_UPLOAD } from './upload-routes.ts';
import { MAX_UPLOAD_LIMIT, type UploadOutcome, UploadService, withoutFolder } from './upload-service.ts';

const fileId = pathParameter('id', 'The file’s id, as the lists give it', { type: 'string', format: 'uuid' });

const OPERATIONS: readonly ApiOperationInfo[] = [
  {
    operationId: 'uploadFiles',
    method: 'POST',
    url: `${API_PREFIX}/files`,
    summary: 'Upload one or more files',
    capability: 'transfers.sent',
    scope: 'transfer',
    tag: 'Files',
    multipartBody: `Send the files as multipart/form-data, each in a part named "${FILES_FIELD}".`,
    doc: {
      description:
        'The same checks and outcomes as the Upload pages: the name decides where each file goes and must start with your organisation’s number; size limits of 4 MB (schools) and 10 MB (LAs) per file; the content must agree with the name. The body is multipart/form-data with each file in a part named `files`, and nothing else: a file in a part of another name is not read, and a text part is refused (400). Up to 20 files at once: any more are not checked. A file not checked is not accepted: `notChecked` names each, `warning` says why, and the answer is never 201. Each file is accepted or refused on its own, with the reasons and what to do. `category` (in the query string) chooses the Upload menu item; without it the name decides: CTF, census, admissions, otherwise generic (a role that cannot send generic files is told which `category` to use).',
      parameters: [
        {
          name: 'category',
          in: 'query',
          required: false,
          description:
            'The Upload menu item: needed only for CFR and exclusion files. In the query string: a text part in the body is refused',
          schema: { type: 'string', enum: [...CATEGORIES] },
        },
      ],
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              properties: {
                files: {
                  type: 'array',
                  items: { type: 'string', contentMediaType: 'application/octet-stream' },
                },
              },
              required: ['files'],
            },
          },
        },
      },
      responses: {
        '201': jsonResponse('Every file sent was accepted', ref('UploadResults')),
        '200': jsonResponse(
          'Some files were accepted and some were not: see each result, `notChecked` and `warning`',
          ref('UploadResults'),
        ),
        '400': problemResponse(
          'The body has a text part (put `category` in the query string), or could not be read. With `results` when files before the text part were already checked',
        ),
        '413': problemResponse(
          'Too large a request, before any file could be checked: a file far past every size limit, or more parts than s2s reads (past the 100th file, the rest are not read and `warning` says so, with the answer of the files before them)',
        ),
        '422': problemResponse(
          'No file was accepted (type upload-refused, with `results`), or no file was sent',
        ),
        '500': problemResponse(
          's2s failed to store every file, by a fault of its own (type server-error, with `results`): send them again later',
        ),
        '503': problemResponse(
          's2s was too busy checking other files to take any of these (type busy, with `results`): send them again after the seconds in Retry-After',
        ),
      },
    },
  },
  {
    operationId: 'listIncomingFiles',
    method: 'GET',
    url: `${API_PREFIX}/files/incoming`,
    summary: 'Files sent to your organisation',
    capability: 'transfers.received',
    scope: 'read',
    tag: 'Files',
    doc: {
      description:
        'Download CTF Files and the other Download lists of your role in one: files waiting for your organisation (`available`), or collected files you can still download again for 7 days (`collected`). Oldest first unless told otherwise.',
      parameters: [
        {
          name: 'status',
          in: 'query',
          schema: { type: 'string', enum: ['available', 'collected'], default: 'available' },
        },
        {
          name: 'sort',
          in: 'query',
          schema: { type: 'string', enum: ['file', 'uploaded', 'source'], default: 'uploaded' },
        },
        ...pageParameters,
      ],
      responses: { '200': jsonResponse('A page of files', ref('FilePage')) },
    },
  },
  {
    operationId: 'listOutgoingFiles',
    method: 'GET',
    url: `${API_PREFIX}/files/outgoing`,
    summary: 'Files your organisation sent',
    capability: 'transfers.sent',
    scope: 'read',
    tag: 'Files',
    doc: {
      description:
        'View / Remove Files: the files your organisation sent, waiting, waiting for their virus scan (`pending-scan`), rejected (with the reason), collected, or quarantined because the virus scan found malware (`quarantined`, with `scan.signature`).',
      parameters: [
        {
          name: 'status',
          in: 'query',
          schema: {
            type: 'string',
            enum: ['available', 'pending-scan', 'rejected', 'collected', 'quarantined'],
          },
        },
        {
          name: 'sort',
          in: 'query',
          schema: { type: 'string', enum: ['file', 'uploaded', 'destination'], default: 'uploaded' },
        },
        ...pageParameters,
      ],
      responses: { '200': jsonResponse('A page of files', ref('FilePage')) },
    },
  },
  {
    operationId: 'getFile',
    method: 'GET',
    url: `${API_PREFIX}/files/:id`,
    summary: 'One file, with its pupils',
    capability: 'api.use',
    scope: 'read',
    tag: 'Files',
    doc: {
      description:
        'A file sent to or by your organisation, with its pupils (UPN, date of birth, name) for a CTF, as the download page shows them before you accept or reject.',
      parameters: [fileId],
      responses: { '200': jsonResponse('The file', ref('FileDetails')) },
      notFound: 'No such file for your organisation',
    },
  },
  {
    operationId: 'downloadFile',
    method: 'GET',
    url: `${API_PREFIX}/files/:id/content`,
    summary: 'Download a file sent to you',
    capability: 'transfers.received',
    scope: 'read',
    tag: 'Files',
    doc: {
      description:
        'The file’s content, byte for byte as it was uploaded. The download is recorded as on the Download pages (who, when); the file stays waiting until you accept it. A collected file can be downloaded again for 7 days. `X-Content-SHA256` (hex) and `Repr-Digest` give its SHA-256: compare it with what you received.',
      parameters: [fileId],
      responses: {
        '200': fileContentResponse('The content'),
        '422': problemResponse('The file cannot be downloaded now (rejected, or past its 7 days)'),
      },
      notFound: 'No such file for your organisation',
    },
  },
  {
    operationId: 'acceptFile',
    method: 'POST',
    url: `${API_PREFIX}/files/:id/accept`,
    summary: 'Accept a downloaded file (collected)',
    capability: 'transfers.received',
    scope: 'transfer',
    tag: 'Files',
    doc: {
      description:
        '“Was the file downloaded correctly?” Yes: the file is collected and leaves the list; for a CTF its sender is emailed. Download it first.',
      parameters: [fileId],
      responses: {
        '200': jsonResponse('The collected file', ref('File')),
        '409': problemResponse('The file changed meanwhile (rejected or removed)'),
        '422': problemResponse('The file has not been downloaded yet'),
      },
      notFound: 'No such file for your organisation',
    },
  },
  {
    operationId: 'rejectFile',
    method: 'POST',
    url: `${API_PREFIX}/files/:id/reject`,
    summary: 'Reject a file sent to you, with a reason',
    capability: 'transfers.received',
    scope: 'transfer',
    tag: 'Files',
    doc: {
      description:
        'Reject a file waiting for you. The reason (500 characters at most) is emailed to the sender. Rejecting again a file you rejected (the request sent again) answers the same, and changes nothing: the first reason stays, and the sender is emailed once.',
      parameters: [fileId],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: { reason: { type: 'string', maxLength: 500 } },
              required: ['reason'],
            },
          },
        },
      },
      responses: {
        '200': jsonResponse('The rejected file', ref('File')),
        '422': problemResponse('No reason, too long a reason, or the file is no longer waiting'),
      },
      notFound: 'No such file for your organisation',
    },
  },
  {
    operationId: 'removeFile',
    method: 'DELETE',
    url: `${API_PREFIX}/files/:id`,
    summary: 'Remove a file your organisation sent',
    capability: 'transfers.sent',
    scope: 'transfer',
    tag: 'Files',
    doc: {
      description:
        "View / Remove Files: remove a file your organisation sent in error, while it has not been collected. Its content is deleted. The answer says who was emailed of it, as the page does (`told`): the destination of a CTF that was waiting for it to collect (not one it rejected), the LA that forwarded the file, and, when the removal made a lost pupil's record lost again (`lostAgain`), the LA that sent the pupil to the Lost Pupils Database, when another. Removing again a file you removed (the request sent again) answers the same (who was emailed), and changes nothing: nobody is emailed again.",
      parameters: [fileId],
      responses: {
        '200': jsonResponse('The removed file, and who its removal emailed', ref('Removal')),
        '422': problemResponse(
          'The file has been collected: it cannot be removed; or someone else (a colleague, its LA) has removed it',
        ),
      },
      notFound: 'No such file for your organisation',
    },
  },
];

const incomingQuery = z.object({
  ...pageQuery,
  status: z.enum(['available', 'collected']).default('available'),
  sort: z.enum(['file', 'uploaded', 'source']).default('uploaded'),
});
const outgoingQuery = z.object({
  ...pageQuery,
  status: z.enum(['available', 'pending-scan', 'rejected', 'collected', 'quarantined']).optional(),
  sort: z.enum(['file', 'uploaded', 'destination']).default('uploaded'),
});
const uploadQuery = z.object({ category: z.string().optional() });
/** A multipart body that broke off, or could not be read, part of the way through. */
const INCOMPLETE_REQUEST =
  'The request did not arrive whole, or its multipart body could not be read: the files not listed were not kept. Send them again as multipart/form-data, each in a part named "files".';
// No reason is an empty one: the service says what to enter, as the page does.
const rejectBody = z.object({ reason: z.string().max(10_000).default('') });

/** A file as the API gives it: the page's listing, the other party named by its side. */
function fileJson(file: FileListing, direction: 'incoming' | 'outgoing') {
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
    scan: { status: file.scanStatus, signature: file.scanSignature },
  };
}

/**
 * A removal as the API gives it: the file, and who the removal emailed (or, sent again, had emailed), from
 * the values View / Remove Files says it by (SentService's told and lostAgain; decisions 53, 56, 58 and
 * 60): the destination the file waited for, the LA that forwarded the copy, and the LA that uploaded the
 * lost pupil's record it made lost again.
 */
function removalJson(removal: SentRemoval) {
  const told = [
    ...(removal.told.destination ? [{ organisation: removal.told.destination, as: 'destination' }] : []),
    ...(removal.told.forwarder ? [{ organisation: removal.told.forwarder, as: 'forwarder' }] : []),
    ...(removal.told.uploader ? [{ organisation: removal.told.uploader, as: 'lost-pupil-uploader' }] : []),
  ];
  return { ...fileJson(removal, 'outgoing'), told, lostAgain: removal.lostAgain };
}

function pupilJson(pupil: PupilDetails) {
  return { upn: pupil.upn, dateOfBirth: pupil.dateOfBirth, name: pupil.name };
}

function merge(lists: FileListing[][], sort: Sort): FileListing[] {
  const direction = sort.order === 'ascending' ? 1 : -1;
  const key = (f: FileListing) =>
    sort.key === 'file'
      ? f.filename.toUpperCase()
      : sort.key === 'uploaded'
        ? f.uploadedAt
        : textIn('en', f.party.name);
  return lists
    .flat()
    .sort((a, b) => direction * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) || (a.id < b.id ? -1 : 1));
}

/**
 * The Upload menu item a file's name belongs to when the client names none, as the reference says:
 * never CFR or exclusion, which take generic-style names too (only `category` chooses them).
 */
const NAMED_CATEGORY: Record<FileKind, Category> = {
  ctf: 'ctf',
  census: 'plasc',
  admissions: 'admissions',
  generic: 'generic',
  other: 'generic',
};

function categoryFor(actor: Actor, filename: string): Category {
  const classified = classifyFilename(withoutFolder(filename));
  // A name the rules refuse goes to any item the actor may use: the service refuses it with the reasons.
  if (!classified.ok) return CATEGORIES.find((c) => can(actor.role, uploadCapability(c))) ?? 'generic';
  return NAMED_CATEGORY[classified.file.kind];
}

/**
 * A file whose name sends it with an Upload menu item the actor may not use (an LEA Administrator's
 * generic file): refused, saying which other items take such a name, as `category`, as the Upload page
 * names the menu items to use.
 */
function notYourItem(actor: Actor, category: Category): { reasons: string[]; whatToDo: string } {
  const kinds = CATEGORY_INFO[category].kinds;
  const others = CATEGORIES.filter(
    (c) =>
      c !== category &&
      CATEGORY_INFO[c].kinds.some((kind) => kinds.includes(kind)) &&
      can(actor.role, uploadCapability(c)),
  );
  return {
    reasons: [
      `Without ?category, a file named like this is sent with ${CATEGORY_INFO[category].uploadLabel}, which your role cannot use.`,
    ],
    whatToDo:
      others.length > 0
        ? `If it should go with another Upload menu item, send it again with ${others.map((c) => `?category=${c} (${CATEGORY_INFO[c].uploadLabel})`).join(' or ')}.`
        : 'Your account cannot send this kind of file. If you should, ask your LEA administrator.',
  };
}

type FileResult = UploadOutcome | { status: 'failed'; filename: string; reasons: string[]; whatToDo: string };

function handlers(deps: ApiDeps): Record<string, ApiHandler> {
  const uploads = new UploadService(deps);
  const downloads = new DownloadService(deps);
  const sent = new SentService(deps);
  const idOf = (request: FastifyRequest) => pathParam(request);

  /** The file addressed to the actor's organisation, or undefined when it is not (the sender's side). */
  const incomingFile = async (actor: Actor, id: string) => {
    try {
      return await downloads.file(actor, id);
    } catch (error) {
      if (error instanceof NotFound) return undefined;
      throw error;
    }
  };

  return {
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
      const results: FileResult[] = [];
      let limit: string | undefined;
      let incomplete = false;
      /** Files past the first MAX_FILES_PER_UPLOAD: named, not checked. */
      const tooMany: string[] = [];
      /** Files in parts not named "files": named, not read (the census upload does the same). */
      const otherParts: string[] = [];
      /** A text part, where reading stopped: `category` sent in the body rather than the query string. */
      let textPart: string | undefined;
      /** Files after the last one named were not read (the request stopped there). */
      let notRead = false;
      let checked = 0;
      /** Files turned away because too many were waiting to be read. */
      let busy = 0;
      try {
        for await (const part of multipartParts(request)) {
          if (part.type !== 'file') {
            textPart = printableFilename(part.fieldname);
            break;
          }
          stopAtLimit(request, part.file);
          let outcome: FileResult | undefined;
          const otherPart = Boolean(part.filename) && part.fieldname !== FILES_FIELD;
          const leftOut = !otherPart && Boolean(part.filename) && checked >= MAX_FILES_PER_UPLOAD;
          if (otherPart) {
            otherParts.push(printableFilename(withoutFolder(part.filename)));
          } else if (leftOut) {
            tooMany.push(printableFilename(withoutFolder(part.filename)));
          } else if (part.filename) {
            checked += 1;
            const filename = printableFilename(withoutFolder(part.filename));
            const category = fixed ?? categoryFor(actor, part.filename);
            try {
              outcome = await uploads.upload(actor, category, part.filename, part.file, {
                chosen: fixed !== undefined,
              });
            } catch (error) {
              if (error instanceof Forbidden) {
                // Only a category the name chose: one given in the query was checked above.
                outcome = { status: 'refused', filename, ...notYourItem(actor, category) };
              } else if (error instanceof PoolBusy) {
                request.log.warn(
                  { category },
                  'an API upload was turned away: too many files are waiting to be read',
                );
                busy += 1;
                outcome = {
                  status: 'failed',
                  filename,
                  reasons: ['s2s is busy checking other files just now, so it did not take this one.'],
                  whatToDo: `Send it again in a minute or two (Retry-After: ${BUSY_RETRY_SECONDS} seconds).`,
                };
              } else if (!(error instanceof IncompleteFile)) {
                request.log.error({ err: error, category }, 'an API upload failed');
                outcome = {
                  status: 'failed',
                  filename,
                  reasons: ['s2s could not store the file because of a fault of its own.'],
                  whatToDo: 'Send it again later. If it fails again, contact the service desk.',
                };
              }
            }
          }
          const end = await settleFile(part.file);
          if (outcome) results.push(outcome);
          if (end === 'incomplete') {
            incomplete = true;
            break;
          }
          if (end === 'too-large') {
            // A file not checked anyway is already named: only the files after it go unread.
            if (otherPart || leftOut) notRead = true;
            else
              limit = `${printableFilename(withoutFolder(part.filename ?? ''))} is larger than the most anyone can send (${MAX_UPLOAD_LIMIT / 1024 / 1024} MB), so s2s stopped reading the request there: any files after it in the same request were not read. Send them again without it.`;
            break;
          }
        }
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (isFilesLimit(error)) notRead = true;
        else if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT')
          limit = 'The request had more parts than s2s takes.';
        // Anything else from reading the body is the body's: it broke off or could not be read.
        else incomplete = true;
      }
      if (incomplete) limit = INCOMPLETE_REQUEST;
      const notChecked = [...tooMany, ...otherParts];
      const warning =
        [
          tooMany.length > 0 &&
            `More files were sent than s2s takes at once (${MAX_FILES_PER_UPLOAD}): only the first ${MAX_FILES_PER_UPLOAD} were checked. These were not, send them again: ${tooMany.join(', ')}.`,
          otherParts.length > 0 &&
            `Files are read only from parts named "${FILES_FIELD}": ${otherParts.join(', ')} ${otherParts.length === 1 ? 'was not read. Send it' : 'were not read. Send them'} again in a part named "${FILES_FIELD}".`,
          notRead && 'Any files after them were not read either: send them again too.',
          limit,
        ]
          .filter(Boolean)
          .join(' ') || undefined;
      /** The files not checked, and why: in every answer that lists what was done. */
      const unread = {
        ...(notChecked.length > 0 ? { notChecked } : {}),
        ...(warning ? { warning } : {}),
      };
      const accepted = results.filter((r) => r.status === 'accepted').length;
      const body = {
        accepted,
        // A file sent but not checked is not accepted either.
        notAccepted: results.length - accepted + notChecked.length,
        results,
        ...unread,
      };
      if (textPart !== undefined) {
        // Refused rather than read: a part after the files would come too late to decide where they go.
        const refusal = `The body has a text part named "${textPart}", which s2s does not read: an upload’s body holds only files, each in a part named "${FILES_FIELD}". Give the Upload menu item in the query string instead (POST /api/v1/files?category=cfr, say).`;
        if (results.length === 0) {
          throw new ProblemError(
            problem('bad-request', 400, `${refusal} No file was sent: send them again that way.`, unread),
          );
        }
        throw new ProblemError(
          problem(
            'bad-request',
            400,
            `${refusal} s2s stopped reading at the text part: the files before it were checked as their names decide, without it (see results), and the files after it were not read. Remove any file sent with the wrong Upload menu item (DELETE /api/v1/files/{id}) and send it again that way.`,
            body,
          ),
        );
      }
      if (results.length === 0) {
        if (incomplete) throw new ProblemError(problem('bad-request', 400, INCOMPLETE_REQUEST));
        if (limit) throw new ProblemError(problem('too-large', 413, limit, unread));
        throw new ProblemError(
          problem(
            'invalid',
            422,
            `No file was sent. Send one or more files in parts named "${FILES_FIELD}".`,
            { errors: [{ field: FILES_FIELD, message: 'Select the files to upload' }], ...unread },
          ),
        );
      }
      // 201 only when every file sent was accepted: none left unchecked or unread.
      if (accepted === results.length && !warning) return reply.code(201).send(body);
      if (accepted > 0) return reply.code(200).send(body);
      const shown = results.map((r) => ({
        field: r.filename,
        message: r.status === 'accepted' ? '' : `${r.reasons.join(' ')} ${r.whatToDo}`,
      }));
      if (busy === results.length) {
        // Nothing wrong with the files: a client should send them again after the pause.
        throw new ProblemError(
          problem(
            'busy',
            503,
            `s2s is busy checking other files just now and took none of these. Send them again after ${BUSY_RETRY_SECONDS} seconds.`,
            { errors: shown, ...body },
          ),
          { 'retry-after': String(BUSY_RETRY_SECONDS) },
        );
      }
      if (results.every((r) => r.status === 'failed')) {
        // Nothing wrong with the files either: s2s failed to store them (a full disk, say). A client
        // should send them again later rather than change them.
        throw new ProblemError(
          problem(
            'server-error',
            500,
            results.length === 1
              ? 's2s could not store the file because of a fault of its own. Send it again later; if it fails again, contact the service desk.'
              : `s2s could not store any of the ${results.length} files because of a fault of its own. Send them again later; if they fail again, contact the service desk.`,
            { errors: shown, ...body },
          ),
        );
      }
      const sent = results.length + notChecked.length;
      throw new ProblemError(
        problem(
          'upload-refused',
          422,
          sent === 1 ? 'The file was not accepted.' : `None of the ${sent} files was accepted.`,
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
      const status = query.status;
      const filters: SentFilter[] = status
        ? SENT_FILTERS.filter((f) => SENT_FILTER_INFO[f].statuses.includes(status))
        : [...SENT_FILTERS];
      const lists: FileListing[][] = [];
      for (const filter of filters) {
        const files = await sent.sent(actor, filter, sort);
        lists.push(status ? files.filter((f) => f.status === status) : files);
      }
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
      const { file } = await downloads.file(actor, id, 1);
      // Fastify answers HEAD with this handler too: a HEAD is not a download, so nothing is recorded.
      if (request.method === 'HEAD') return reply.header('cache-control', 'no-store').code(200).send();
      const download = await downloads.download(
        actor,
        file.category,
        [id],
        file.status === 'collected' ? 'again' : 'download',
      );
      const sha256 = (await getTransfer(deps.db, id))?.sha256 ?? '';
      return sendFileContent(reply, { ...download, sha256 });
    },

    acceptFile: async (actor, request) => {
      const id = idOf(request);
      const { file } = await downloads.file(actor, id, 1);
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
      const { file } = await downloads.file(actor, id, 1);
      return fileJson(await downloads.reject(actor, file.category, id, body.reason), 'incoming');
    },

    removeFile: async (actor, request) => removalJson(await sent.remove(actor, idOf(request))),
  };
}

const party = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    code: { type: 'string', description: 'As in file names: 9165402, 916LLLL...' },
  },
  required: ['name', 'code'],
};

const SCHEMAS = {
  Party: party,
  File: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      filename: { type: 'string' },
      category: { type: 'string', enum: [...CATEGORIES] },
      direction: { type: 'string', enum: ['incoming', 'outgoing'] },
      status: {
        type: 'string',
        enum: ['available', 'pending-scan', 'quarantined', 'collected', 'rejected', 'removed'],
        description:
          'pending-scan: waiting for its virus scan, offered to nobody yet; quarantined: the scan found malware, so it was never sent (outgoing files only)',
      },
      source: { ...party, description: 'Incoming files: who sent it' },
      destination: { ...party, description: 'Outgoing files: where it went' },
      uploadedAt: { type: 'string', format: 'date-time' },
      size: { type: 'integer' },
      pupilCount: { type: 'integer' },
      lastDownloadedAt: nullableDateTime,
      collectedAt: nullableDateTime,
      rejectedAt: nullableDateTime,
      rejectReason: { type: ['string', 'null'] },
      redownloadUntil: nullableDateTime,
      contentHeld: { type: 'boolean' },
      scan: {
        type: 'object',
        description: 'The virus scan (clamd): not-scanned when scanning was off as the file arrived',
        properties: {
          status: { type: 'string', enum: ['not-scanned', 'pending', 'clean', 'infected'] },
          signature: { type: ['string', 'null'], description: 'What the scan found' },
        },
        required: ['status', 'signature'],
      },
    },
    required: ['id', 'filename', 'category', 'direction', 'status', 'uploadedAt', 'size', 'pupilCount'],
  },
  Pupil: {
    type: 'object',
    properties: {
      upn: { type: ['string', 'null'] },
      dateOfBirth: { type: ['string', 'null'], format: 'date' },
      name: { type: 'string', description: 'Surname, Forename Middle names' },
    },
    required: ['upn', 'dateOfBirth', 'name'],
  },
  FileDetails: {
    allOf: [
      ref('File'),
      {
        type: 'object',
        properties: {
          pupils: {
            type: 'array',
            items: ref('Pupil'),
            description:
              "Empty once the file's content is deleted (contentHeld false): its pupils' details go with it; pupilCount stays",
          },
          canRemove: {
            type: 'boolean',
            description: 'Outgoing files: whether it can still be removed',
          },
        },
        required: ['pupils'],
      },
    ],
  },
  Removal: {
    allOf: [
      ref('File'),
      {
        type: 'object',
        properties: {
          told: {
            type: 'array',
            description:
              'Who the removal emailed beside you (the request sent again: who it had emailed), as View / Remove Files says; empty for nobody',
            items: {
              type: 'object',
              properties: {
                organisation: ref('Party'),
                as: {
                  type: 'string',
                  enum: ['destination', 'forwarder', 'lost-pupil-uploader'],
                  description:
                    "destination: the school or LA a CTF waited for, told it was removed before it was collected and need do nothing, or, when it downloaded the file without confirming the download, to delete its copy (not for a file it rejected, or that awaited its virus scan); for a file to the Lost Pupils Database, the LA that last downloaded it without the pupil being found, asked to delete its copy; forwarder: the LA that forwarded the file to its destination (email 'forwarded CTF removed', naming the file it forwarded and that file's sender); lost-pupil-uploader: the LA that sent the pupil to the Lost Pupils Database, whose record the removal made lost again (email 'lost again')",
                },
              },
              required: ['organisation', 'as'],
            },
          },
          lostAgain: {
            type: ['string', 'null'],
            format: 'uuid',
            description:
              "A lost pupil's copy removed by the LA that forwarded it: the lost pupil record (GET /api/v1/lost-pupils/{id}) the removal made lost again, its file kept to forward again; else null",
          },
        },
        required: ['told', 'lostAgain'],
      },
    ],
  },
  FilePage: pageSchema('File'),
  UploadResult: {
    type: 'object',
    properties: {
      status: { type: 'string', enum: ['accepted', 'refused', 'failed'] },
      filename: { type: 'string' },
      transferId: {
        type: 'string',
        format: 'uuid',
        description: 'Accepted files (already received: the file that was waiting)',
      },
      alreadyReceived: {
        type: 'boolean',
        description:
          'Accepted files: true when the same file (name and content) from you was already waiting, sent again (after an answer lost on the way, say). Nothing new was sent, recorded or emailed: `transferId` is the waiting file’s',
      },
      description: { type: 'string' },
      destination: { type: 'string' },
      pupils: { type: 'integer' },
      warnings: { type: 'array', items: { type: 'string' } },
      advice: {
        type: 'string',
        description:
          'Accepted files: what else to do. A school census return sent while its LA takes part in a live COLLECT collection of that term and year is not in COLLECT: this says where to load it (Upload Return from File)',
      },
      scan: {
        type: 'string',
        enum: ['clean', 'pending', 'not-scanned'],
        description:
          'Accepted files: the virus scan. pending: the scanner gave no verdict yet; the file is offered once it does',
      },
      quarantinedTransferId: {
        type: 'string',
        format: 'uuid',
        description:
          'Refused files quarantined by the virus scan: the file, as listed in your outgoing files',
      },
      waitingTransferId: {
        type: 'string',
        format: 'uuid',
        description:
          'Refused files whose name is held by a different file from you still waiting: that file, as listed in your outgoing files',
      },
      lostPupilTransferId: {
        type: 'string',
        format: 'uuid',
        description:
          'Refused files to the Lost Pupils Database whose pupil it already holds as lost from an earlier file of yours: that file, as listed in your outgoing files (remove it first if the new file should replace it)',
      },
      reasons: { type: 'array', items: { type: 'string' }, description: 'Refused files: why' },
      whatToDo: { type: 'string', description: 'Refused files: what to do next' },
    },
    required: ['status', 'filename'],
  },
  UploadResults: {
    type: 'object',
    properties: {
      accepted: { type: 'integer' },
      notAccepted: {
        type: 'integer',
        description: 'The files refused or failed in `results`, and those in `notChecked`',
      },
      results: {
        type: 'array',
        items: ref('UploadResult'),
        description: 'Each file checked, in the order sent',
      },
      notChecked: {
        type: 'array',
        items: { type: 'string' },
        description:
          'Files sent but not checked, so not accepted, by name: past the first 20, or in a part not named `files`. Send them again',
      },
      warning: {
        type: 'string',
        description:
          'What was not checked or not read, and why: more than 20 files, files in parts not named `files`, a request cut short (the files after a point were not read)',
      },
    },
    required: ['accepted', 'notAccepted', 'results'],
  },
};

export const filesApi: ApiFeature = {
  tag: {
    name: 'Files',
    description: 'Uploading, listing, downloading, accepting, rejecting and removing files',
  },
  operations: OPERATIONS,
  schemas: SCHEMAS,
  handlers,
};
