// The Census part of the REST API (/api/v1/census/...): COLLECT's My Data Collections, Upload Return
// from File, the return's page (its errors and queries), explaining a query and Submit Return, for a
// program. Each operation names the capability of the page it stands for and calls the same service
// (returns-service.ts): the checks, the refusals' reasons and what to do, the audit records and the
// emails are the pages'. Who may open what is the service's (policy.ts): a collection or a return the
// actor has no part in is "not found", as on the pages.
import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  API_PREFIX,
  type ApiDeps,
  type ApiFeature,
  type ApiHandler,
  type ApiOperationInfo,
  jsonResponse,
  nullableDateTime,
  pageQuery,
  pageSchema,
  pathParam,
  pathParameter,
  problemResponse,
  queryParameter,
  ref,
} from '../api/operation.ts';
import { ProblemError, problem } from '../api/problems.ts';
import type { Actor } from '../auth/actor.ts';
import { can, scopeOf } from '../auth/permissions.ts';
import { IncompleteFile, settleFile } from '../platform/bounded-read.ts';
import type { CensusReturnRow } from '../platform/db/schema.ts';
import { Invalid } from '../platform/errors.ts';
import { textIn } from '../platform/i18n/catalogue.ts';
import { formId } from '../platform/web/form-values.ts';
import { multipartParts, stopAtLimit } from '../platform/web/http.ts';
import { printableFilename } from '../transfers/filenames.ts';
import { withoutFolder } from '../transfers/upload-service.ts';
import { BulkReturnsLoader } from './bulk-load.ts';
import {
  COLLECTIONS_PER_PAGE,
  type CollectionDetails,
  DataCollectionsService,
} from './collections-service.ts';
import {
  ANSWER_MAX,
  CensusReturnsService,
  type FindingView,
  type LoadOutcome,
  RETURN_SIZE_LIMIT,
  type ReturnView,
  type SchoolReturnRow,
} from './returns-service.ts';

/** The request header that makes an upload sent again (a retry) load nothing more. */
const IDEMPOTENCY_KEY = 'Idempotency-Key';

const TAG = 'Census';
const FILE_FIELD = 'file';
const STATUSES = ['loaded', 'submitted', 'returned', 'approved', 'replaced'];

const collectionId = pathParameter(
  'collectionId',
  'The data collection’s id, as My Data Collections gives it',
  {
    type: 'string',
    format: 'uuid',
  },
);
const returnId = pathParameter(
  'returnId',
  'The return’s id (one version of it), as the upload or the collection gives it',
  {
    type: 'string',
    format: 'uuid',
  },
);

const OPERATIONS: readonly ApiOperationInfo[] = [
  {
    operationId: 'listDataCollections',
    method: 'GET',
    url: `${API_PREFIX}/census/collections`,
    summary: 'My Data Collections',
    capability: 'collect.use',
    scope: 'read',
    tag: TAG,
    doc: {
      description: `The data collections your school or LA takes part in, newest first, ${COLLECTIONS_PER_PAGE} a page, as My Data Collections lists them: your role in each (Source: a school; Agent: an LA), its status (Not yet open, Live, Closed), its due date and the days to it (negative when overdue).`,
      parameters: [queryParameter('page', { type: 'integer', minimum: 1, default: 1 })],
      responses: { '200': jsonResponse('A page of data collections', ref('DataCollectionPage')) },
    },
  },
  {
    operationId: 'getDataCollection',
    method: 'GET',
    url: `${API_PREFIX}/census/collections/:collectionId`,
    summary: 'A data collection, with your returns',
    capability: 'collect.use',
    scope: 'read',
    tag: TAG,
    doc: {
      description:
        'The collection as its page shows it to you: a school gets every version of its return (`returns`, the latest first); an LA the current return of each of its schools (`schools`), with `returnId` once it may open it (the school has submitted it, or the LA loaded it).',
      parameters: [collectionId],
      responses: { '200': jsonResponse('The collection', ref('DataCollectionDetails')) },
      notFound: 'No such collection, or your school or LA takes no part in it',
    },
  },
  {
    operationId: 'uploadCensusReturn',
    method: 'POST',
    url: `${API_PREFIX}/census/collections/:collectionId/returns`,
    summary: 'Upload a census return',
    capability: 'collect.return',
    scope: 'transfer',
    tag: TAG,
    multipartBody: `Send the census return as multipart/form-data, in a part named "${FILE_FIELD}".`,
    doc: {
      description: `Upload Return from File: one census return, as your MIS made and named it (\`LEASSSS_SC1|SC2|SC3_LEALLyy_NNN.XML\`), in a part named \`file\`; at most ${RETURN_SIZE_LIMIT / 1024 / 1024} MB. The same checks as the page: the name is your school’s, for the collection’s term and year; the file matches its name; it is read and checked with the census rules. A loaded return is a new version with its errors and queries (read them with getCensusReturn). A school loads its own return; an LA (agent) one of its schools’ returns, checked as each file of Upload returns from a zip is. If the school already has a return in the collection the upload is refused unless \`replace=true\` confirms that the new file replaces it (the page’s tick box); the earlier version, its notes and history stay.`,
      parameters: [
        collectionId,
        queryParameter(
          'replace',
          { type: 'boolean', default: false },
          'Confirms that the file replaces the current return, if there is one',
        ),
        {
          name: IDEMPOTENCY_KEY,
          in: 'header',
          required: false,
          description:
            'A UUID your software makes for this upload and sends again with it when it retries (after a timeout or a lost answer): the return is loaded once, and the retry answers 200 with the version loaded the first time (`already: true`), with or without `replace`. A refused upload sent again with its key and the same file is refused again (422) and not audited again: one attempt',
          schema: { type: 'string', format: 'uuid' },
        },
      ],
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              properties: { file: { type: 'string', contentMediaType: 'application/xml' } },
              required: ['file'],
            },
          },
        },
      },
      responses: {
        '200': jsonResponse(
          `The same upload sent again with its ${IDEMPOTENCY_KEY}: the version loaded the first time (nothing was loaded again)`,
          ref('CensusReturnLoaded'),
        ),
        '201': {
          ...jsonResponse('The return was loaded as a new version', ref('CensusReturnLoaded')),
          headers: {
            Location: {
              schema: { type: 'string' },
              description: 'The return: /api/v1/census/returns/{returnId}',
            },
          },
        },
        '422': problemResponse(
          'The return was not loaded (type upload-refused, with `reasons` and `whatToDo`: the name, the school, the term or year, the content, a replacement not confirmed, a collection not open), or no file was sent',
        ),
      },
      notFound: 'No such collection, or your school or LA takes no part in it',
    },
  },
  {
    operationId: 'getCensusReturn',
    method: 'GET',
    url: `${API_PREFIX}/census/returns/:returnId`,
    summary: 'A census return and its validation result',
    capability: 'collect.use',
    scope: 'read',
    tag: TAG,
    doc: {
      description:
        'One version of a return, as its page shows it: its status, the errors and queries the census rules found (each with its rule number, message, what to do and the pupils concerned), the explanations given, the versions you may open and their history and notes. Errors must be corrected in the MIS and the return uploaded again; a query can be explained (answerCensusQuery). `canSubmit` says whether this version may be submitted now, once it has no errors and its queries are explained.',
      parameters: [returnId],
      responses: { '200': jsonResponse('The return', ref('CensusReturn')) },
      notFound:
        'No such return for you: a school sees its own; its LA once it is submitted (or when the LA loaded it)',
    },
  },
  {
    operationId: 'answerCensusQuery',
    method: 'POST',
    url: `${API_PREFIX}/census/returns/:returnId/queries/:queryId/answer`,
    summary: 'Explain a query',
    capability: 'collect.return',
    scope: 'transfer',
    tag: TAG,
    doc: {
      description: `Explains a query of the current version (up to ${ANSWER_MAX} characters), as the return’s page does, while it is loaded (the same explanation sent again is recorded once) (a version returned to the school is not submitted again: its data is corrected in the MIS and a new file uploaded). Errors cannot be explained: correct them in the MIS and upload the return again.`,
      parameters: [
        returnId,
        pathParameter('queryId', 'The query’s id, from the return’s `queries`', {
          type: 'string',
          format: 'uuid',
        }),
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: { answer: { type: 'string', maxLength: ANSWER_MAX } },
              required: ['answer'],
            },
          },
        },
      },
      responses: {
        '200': jsonResponse('The return, with the explanation', ref('CensusReturn')),
        '422': problemResponse(
          'No explanation, too long an explanation, an error rather than a query, or the return can no longer be changed (an earlier version, submitted, a closed collection)',
        ),
      },
      notFound: 'No such return for you, or no such query in it',
    },
  },
  {
    operationId: 'submitCensusReturn',
    method: 'POST',
    url: `${API_PREFIX}/census/returns/:returnId/submit`,
    summary: 'Submit a return to the LA',
    capability: 'collect.return',
    scope: 'transfer',
    tag: TAG,
    doc: {
      description:
        'Submit Return: only with no errors, every query explained, and your headteacher’s approval confirmed (`headteacherApproved: true`, the page’s tick box). The LA is emailed and can now open the return; the DfE cannot see it until the LA approves it. Submitting it again (a retry) answers the submitted return, and changes nothing.',
      parameters: [returnId],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: { headteacherApproved: { type: 'boolean' } },
              required: ['headteacherApproved'],
            },
          },
        },
      },
      responses: {
        '200': jsonResponse('The submitted return', ref('CensusReturn')),
        '422': problemResponse(
          'The return has errors or queries not explained, the approval is not confirmed, or it cannot be submitted now',
        ),
      },
      notFound: 'No such return for you',
    },
  },
];

const uploadQuery = z.object({ replace: z.enum(['true', 'false']).default('false') });
const answerBody = z.object({ answer: z.string().max(100_000).default('') });
const submitBody = z.object({ headteacherApproved: z.boolean().default(false) });

function collectionJson(details: CollectionDetails) {
  const { collection } = details;
  return {
    id: collection.id,
    name: collection.name,
    term: collection.term,
    year: collection.year,
    censusDay: collection.reference_date,
    openDate: collection.open_date,
    dueDate: collection.due_date,
    status: details.status,
    daysDue: details.daysDue,
  };
}

function versionJson(version: CensusReturnRow) {
  return {
    id: version.id,
    version: version.version,
    filename: version.filename,
    status: version.status,
    loadedBy: version.uploaded_by_scope,
    uploadedAt: version.uploaded_at,
    submittedAt: version.submitted_at,
    approvedAt: version.approved_at,
    errorCount: version.error_count,
    queryCount: version.query_count,
    pupilCount: version.pupil_count,
  };
}

function schoolRowJson(row: SchoolReturnRow) {
  const version = row.version;
  return {
    number: row.number,
    name: row.name,
    status: version?.status ?? 'not-loaded',
    version: version?.version ?? null,
    errorCount: version?.error_count ?? null,
    queryCount: version?.query_count ?? null,
    uploadedAt: version?.uploaded_at ?? null,
    returnId: row.openable && version ? version.id : null,
    laterVersion: row.later?.version ?? null,
    approvedVersion: row.approved?.version ?? null,
  };
}

function findingJson(finding: FindingView) {
  return {
    id: finding.id,
    rule: finding.rule,
    level: finding.level,
    message: finding.message,
    whatToDo: finding.guidance,
    detail: finding.detail,
    pupils: finding.pupils.map((p) => ({ upn: p.upn, name: p.name, onRoll: p.onRoll, position: p.position })),
    ...(finding.kind === 'query' ? { answer: finding.answer, answeredAt: finding.answeredAt } : {}),
  };
}

function returnJson(view: ReturnView) {
  const queries = view.findings.filter((f) => f.kind === 'query');
  return {
    ...versionJson(view.version),
    school: view.school,
    collection: collectionJson(view.details),
    current: view.isCurrent,
    onRoll: view.returnDetails.onRoll,
    noLongerOnRoll: view.returnDetails.noLongerOnRoll,
    errors: view.findings.filter((f) => f.kind === 'error').map(findingJson),
    queries: queries.map(findingJson),
    unexplainedQueries: queries.filter((q) => q.answer === null).length,
    canAnswer: view.may.answer,
    canSubmit: view.may.submit,
    versions: view.versions.map((v) => ({ id: v.id, version: v.version, status: v.status })),
    history: view.events.map((e) => ({
      version: e.version,
      at: e.at,
      by: e.userName,
      byScope: e.actorScope,
      action: e.action,
      note: e.note,
    })),
  };
}

/** The page's form fields, named as the API's: the tick box is `headteacherApproved`. */
function apiErrors(error: unknown): never {
  if (error instanceof Invalid) {
    throw new Invalid(
      error.errors.map((e) => (e.field === 'headteacher' ? { ...e, field: 'headteacherApproved' } : e)),
    );
  }
  throw error;
}

function handlers(deps: ApiDeps): Record<string, ApiHandler> {
  const collections = new DataCollectionsService(deps);
  const returns = new CensusReturnsService(deps);
  const loader = new BulkReturnsLoader(deps);
  const collectionOf = (request: FastifyRequest) => pathParam(request, 'collectionId');
  const returnOf = (request: FastifyRequest) => pathParam(request, 'returnId');

  /**
   * A school loads its own return; an LA agent one of its schools', as each file of a zip. With `key`
   * (the request's Idempotency-Key), once only: the version takes it as its id, as it takes a form's.
   */
  const load = (
    actor: Actor,
    id: string,
    filename: string,
    file: Readable,
    replace: boolean,
    key: string | undefined,
  ) =>
    scopeOf(actor.role) === 'school'
      ? returns.load(actor, id, filename, file, replace, key)
      : loader.loadOne(actor, id, filename, file, replace, key);

  return {
    listDataCollections: async (actor, request) => {
      const { page } = z.object({ page: pageQuery.page }).parse(request.query ?? {});
      const list = await collections.myCollections(actor, page);
      return {
        // The API writes in English, whatever the reader's language.
        items: list.rows.map((row) => ({ ...row, organisation: textIn('en', row.organisation) })),
        page: list.page,
        pageSize: COLLECTIONS_PER_PAGE,
        total: list.total,
        totalPages: list.pages,
      };
    },

    getDataCollection: async (actor, request) => {
      const id = collectionOf(request);
      if (scopeOf(actor.role) === 'school') {
        const { details, versions } = await returns.schoolOverview(actor, id);
        return { ...collectionJson(details), role: 'Source', returns: versions.map(versionJson) };
      }
      if (can(actor.role, 'collect.agent')) {
        const dashboard = await returns.dashboard(actor, id);
        return {
          ...collectionJson(dashboard.details),
          role: 'Agent',
          schools: dashboard.schools.map(schoolRowJson),
        };
      }
      const approved = await returns.approvedList(actor, id);
      return {
        ...collectionJson(approved.details),
        role: 'Collector',
        schools: approved.schools.map(schoolRowJson),
      };
    },

    uploadCensusReturn: async (actor, request, reply) => {
      const id = collectionOf(request);
      const replace = uploadQuery.parse(request.query ?? {}).replace === 'true';
      const sentKey = request.headers[IDEMPOTENCY_KEY.toLowerCase()];
      const key = formId.parse(sentKey);
      let outcome: LoadOutcome | undefined;
      const ignored: string[] = [];
      /** Text parts, not read: `replace` belongs in the query string. */
      const textParts: string[] = [];
      let incomplete = false;
      // An error while loading (not found, forbidden, a fault of s2s's): thrown once the body is left.
      let failure: unknown =
        sentKey !== undefined && key === undefined
          ? new ProblemError(
              problem(
                'bad-request',
                400,
                `The ${IDEMPOTENCY_KEY} must be a UUID, made by your software for this upload and sent again with it when it retries: nothing was loaded.`,
              ),
            )
          : undefined;
      try {
        for await (const part of multipartParts(request)) {
          if (part.type !== 'file') {
            textParts.push(printableFilename(part.fieldname));
            continue;
          }
          stopAtLimit(request, part.file);
          if (failure !== undefined) {
            // Not read: the request is refused.
          } else if (part.fieldname !== FILE_FIELD || !part.filename || outcome) {
            if (part.filename) ignored.push(printableFilename(withoutFolder(part.filename)));
          } else {
            try {
              outcome = await load(actor, id, part.filename, part.file, replace, key);
            } catch (error) {
              if (!(error instanceof IncompleteFile)) failure = error;
            }
          }
          const end = await settleFile(part.file);
          if (failure !== undefined) break;
          if (end === 'incomplete') {
            incomplete = true;
            break;
          }
          if (end === 'too-large') {
            break;
          }
        }
      } catch {
        // What the body's parts throw is the body's: it broke off, or could not be read.
        incomplete = true;
      }
      if (failure !== undefined) throw failure;
      if (incomplete && !outcome) {
        throw new ProblemError(
          problem(
            'bad-request',
            400,
            'The request did not arrive whole, or its multipart body could not be read: nothing was loaded. Send the census return again as multipart/form-data, in a part named "file".',
          ),
        );
      }
      const warning =
        [
          ignored.length > 0 &&
            `Only one census return is read from a request, from the part named "file": ${ignored.join(', ')} ${ignored.length === 1 ? 'was' : 'were'} not read.`,
          textParts.length > 0 &&
            `The body’s text ${textParts.length === 1 ? 'part' : 'parts'} ${textParts.map((name) => `"${name}"`).join(', ')} ${textParts.length === 1 ? 'was' : 'were'} not read: the body holds only the census return.`,
          textParts.includes('replace') && 'Give replace in the query string instead (?replace=true).',
        ]
          .filter(Boolean)
          .join(' ') || undefined;
      if (!outcome) {
        throw new ProblemError(
          problem('invalid', 422, 'No census return was sent. Send it in a part named "file".', {
            errors: [{ field: FILE_FIELD, message: 'Select the census return to upload' }],
            ...(warning ? { warning } : {}),
          }),
        );
      }
      if (outcome.status === 'refused') {
        throw new ProblemError(
          problem(
            'upload-refused',
            422,
            `The return was not loaded. ${outcome.reasons.join(' ')} ${outcome.whatToDo}`,
            {
              errors: outcome.reasons.map((message) => ({ field: FILE_FIELD, message })),
              filename: outcome.filename,
              reasons: outcome.reasons,
              whatToDo: outcome.whatToDo,
              ...(warning ? { warning } : {}),
            },
          ),
        );
      }
      return reply
        .code(outcome.already ? 200 : 201)
        .header('location', `${API_PREFIX}/census/returns/${outcome.returnId}`)
        .header('cache-control', 'no-store')
        .send({ ...outcome, ...(warning ? { warning } : {}) });
    },

    getCensusReturn: async (actor, request) => returnJson(await returns.view(actor, returnOf(request))),

    answerCensusQuery: async (actor, request) => {
      const id = returnOf(request);
      const queryId = pathParam(request, 'queryId');
      const body = answerBody.parse(request.body ?? {});
      await returns.answerQuery(actor, id, queryId, body.answer).catch(apiErrors);
      return returnJson(await returns.view(actor, id));
    },

    submitCensusReturn: async (actor, request) => {
      const id = returnOf(request);
      const body = submitBody.parse(request.body ?? {});
      await returns.submit(actor, id, body.headteacherApproved).catch(apiErrors);
      return returnJson(await returns.view(actor, id));
    },
  };
}

const nullableInteger = { type: ['integer', 'null'] };
const versionProperties = {
  id: { type: 'string', format: 'uuid' },
  version: { type: 'integer' },
  filename: { type: 'string' },
  status: { type: 'string', enum: STATUSES },
  loadedBy: { type: 'string', enum: ['school', 'la'], description: 'Loaded by the school, or by its LA' },
  uploadedAt: { type: 'string', format: 'date-time' },
  submittedAt: nullableDateTime,
  approvedAt: nullableDateTime,
  errorCount: { type: 'integer' },
  queryCount: { type: 'integer' },
  pupilCount: { type: 'integer' },
};
const collectionProperties = {
  id: { type: 'string', format: 'uuid' },
  name: { type: 'string' },
  term: { type: 'string', enum: ['AUT', 'SPR', 'SUM'] },
  year: { type: 'string' },
  censusDay: { type: 'string', format: 'date' },
  openDate: { type: 'string', format: 'date' },
  dueDate: { type: 'string', format: 'date' },
  status: { type: 'string', enum: ['Not yet open', 'Live', 'Closed'] },
  daysDue: { type: 'integer', description: 'Negative when overdue' },
};

const SCHEMAS = {
  DataCollection: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      name: { type: 'string' },
      role: { type: 'string', enum: ['Source', 'Agent', 'Collector'] },
      organisation: { type: 'string' },
      status: { type: 'string', enum: ['Not yet open', 'Live', 'Closed'] },
      dueDate: { type: 'string', format: 'date' },
      daysDue: { type: 'integer', description: 'Negative when overdue' },
    },
    required: ['id', 'name', 'role', 'organisation', 'status', 'dueDate', 'daysDue'],
  },
  DataCollectionPage: pageSchema('DataCollection'),
  CensusReturnVersion: {
    type: 'object',
    properties: versionProperties,
    required: Object.keys(versionProperties),
  },
  CensusSchoolReturn: {
    type: 'object',
    description:
      'A school of the LA and its current return, or its approved return while the school prepares a later one',
    properties: {
      number: { type: 'string' },
      name: { type: 'string' },
      status: { type: 'string', enum: ['not-loaded', ...STATUSES] },
      version: nullableInteger,
      errorCount: nullableInteger,
      queryCount: nullableInteger,
      uploadedAt: nullableDateTime,
      returnId: {
        type: ['string', 'null'],
        format: 'uuid',
        description: 'Once you may open it: submitted by the school, or loaded by the LA',
      },
      laterVersion: {
        ...nullableInteger,
        description:
          'When `version` is the approved one: the later version the school is preparing (the DfE keeps the approved one until you approve a later one)',
      },
      approvedVersion: {
        ...nullableInteger,
        description:
          'When `version` waits for your decision: the earlier version that stays approved until then',
      },
    },
    required: ['number', 'name', 'status', 'returnId'],
  },
  DataCollectionDetails: {
    type: 'object',
    properties: {
      ...collectionProperties,
      role: { type: 'string', enum: ['Source', 'Agent', 'Collector'] },
      returns: {
        type: 'array',
        items: ref('CensusReturnVersion'),
        description: 'A school: every version of its return, the latest first',
      },
      schools: {
        type: 'array',
        items: ref('CensusSchoolReturn'),
        description: 'An LA: each of its schools and its current return',
      },
    },
    required: [...Object.keys(collectionProperties), 'role'],
  },
  CensusPupil: {
    type: 'object',
    description: 'A pupil a finding concerns, enough to find the record in the MIS',
    properties: {
      upn: { type: ['string', 'null'] },
      name: { type: 'string', description: 'Surname, Forename, as in the return' },
      onRoll: { type: 'boolean', description: 'On roll, or no longer on roll' },
      position: { type: 'integer', description: 'Its place in its list in the file, from 1' },
    },
    required: ['upn', 'name', 'onRoll', 'position'],
  },
  CensusFinding: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      rule: { type: 'string', description: 'The census rule’s number, like 1580 or 1700Q' },
      level: { type: 'string', enum: ['return', 'school', 'pupil'] },
      message: { type: 'string' },
      whatToDo: { type: 'string' },
      detail: { type: ['string', 'null'], description: 'What exactly was found' },
      pupils: { type: 'array', items: ref('CensusPupil') },
      answer: { type: ['string', 'null'], description: 'Queries: the explanation given' },
      answeredAt: nullableDateTime,
    },
    required: ['id', 'rule', 'level', 'message', 'whatToDo', 'detail', 'pupils'],
  },
  CensusReturn: {
    type: 'object',
    properties: {
      ...versionProperties,
      school: {
        type: 'object',
        properties: { number: { type: 'string' }, name: { type: 'string' } },
        required: ['number', 'name'],
      },
      collection: {
        type: 'object',
        properties: collectionProperties,
        required: Object.keys(collectionProperties),
      },
      current: { type: 'boolean', description: 'Whether this is the latest version' },
      onRoll: { type: 'integer' },
      noLongerOnRoll: { type: 'integer' },
      errors: { type: 'array', items: ref('CensusFinding') },
      queries: { type: 'array', items: ref('CensusFinding') },
      unexplainedQueries: { type: 'integer' },
      canAnswer: {
        type: 'boolean',
        description: 'Whether you may explain its queries now (as for canSubmit)',
      },
      canSubmit: {
        type: 'boolean',
        description:
          'Whether Submit Return is open to you for this version now (the latest, loaded and not returned by the LA, in a live collection); submitting also needs no errors, every query explained and the headteacher’s approval',
      },
      versions: {
        type: 'array',
        description: 'The versions you may open, the latest first',
        items: {
          type: 'object',
          properties: {
            id: { type: 'string', format: 'uuid' },
            version: { type: 'integer' },
            status: { type: 'string', enum: STATUSES },
          },
          required: ['id', 'version', 'status'],
        },
      },
      history: {
        type: 'array',
        description: 'What happened to those versions, oldest first, with the notes',
        items: {
          type: 'object',
          properties: {
            version: { type: 'integer' },
            at: { type: 'string', format: 'date-time' },
            by: { type: 'string' },
            byScope: { type: 'string', enum: ['school', 'la', 'national'] },
            action: {
              type: 'string',
              enum: ['loaded', 'query-answered', 'submitted', 'note', 'returned', 'approved'],
            },
            note: { type: ['string', 'null'] },
          },
          required: ['version', 'at', 'by', 'byScope', 'action', 'note'],
        },
      },
    },
    required: [
      ...Object.keys(versionProperties),
      'school',
      'collection',
      'current',
      'errors',
      'queries',
      'unexplainedQueries',
      'canAnswer',
      'canSubmit',
      'versions',
      'history',
    ],
  },
  CensusReturnLoaded: {
    type: 'object',
    properties: {
      status: { type: 'string', const: 'loaded' },
      filename: { type: 'string' },
      returnId: { type: 'string', format: 'uuid' },
      establishment: { type: 'string' },
      version: { type: 'integer' },
      errors: { type: 'integer', description: 'How many errors the rules found' },
      queries: { type: 'integer', description: 'How many queries the rules found' },
      pupils: { type: 'integer' },
      replacedVersion: { ...nullableInteger, description: 'The version it replaced, if any' },
      already: {
        type: 'boolean',
        description: `True when the upload was sent again with its ${IDEMPOTENCY_KEY}: loaded the first time`,
      },
      warning: {
        type: 'string',
        description: 'Other files and any text parts sent in the request, which were not read',
      },
    },
    required: ['status', 'filename', 'returnId', 'establishment', 'version', 'errors', 'queries', 'pupils'],
  },
};

export const collectApi: ApiFeature = {
  tag: {
    name: TAG,
    description:
      'COLLECT: your data collections, uploading a census return, its errors and queries, explaining queries and submitting it to the LA',
  },
  operations: OPERATIONS,
  schemas: SCHEMAS,
  handlers,
};
