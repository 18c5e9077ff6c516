// The Lost Pupils part of the REST API (/api/v1/lost-pupils): Search for Lost Pupil, a record, the
// attested download, "Was the file downloaded correctly? Yes", Forward to a School, Lost Pupil Matches
// and Lost Pupils Past Leaving Age, for a program. Each operation names the capability of its page and
// calls the same service (service.ts, matches-service.ts, review-service.ts): the rules, the
// attestation and the audit records are theirs, and their reasons come back as problems.
//
// - The search is a POST with the criteria in a JSON body, not a query string: a pupil's name, date of
//   birth and UPN do not belong in addresses that proxies and servers log. It only reads.
// - The Lost Pupils Database is national (LA notes §1.3, §4.1): every LA's lost-pupil users search all of
//   it, so any record still in the database is theirs to read; a removed record, or an id that is no
//   record, is 404. Matches and the records past leaving age are the LA's own: another LA's are 404.
// - A download needs `"attest": true`, the page's tick box, and is audited as the page's is.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { fileContentResponse, sendFileContent } from '../api/file-content.ts';
import {
  API_PREFIX,
  type ApiDeps,
  type ApiFeature,
  type ApiHandler,
  type ApiOperationInfo,
  DEFAULT_PAGE_SIZE,
  jsonBody,
  jsonResponse,
  MAX_PAGE_SIZE,
  nullableDateTime,
  pagedWindow,
  pageSchema,
  pathParam,
  pathParameter,
  problemResponse,
  queryParameter,
  ref,
} from '../api/operation.ts';
import type { Actor } from '../auth/actor.ts';
import { Invalid } from '../platform/errors.ts';
import { DownloadTickets } from '../transfers/download-tickets.ts';
import { getTransfer } from '../transfers/repository.ts';
import { MATCH_OUTCOMES, type MatchCase, MatchesService } from './matches-service.ts';
import { LostPupilReviewService, REMOVAL_REASONS, REVIEW_LIMIT } from './review-service.ts';
import {
  EMPTY_SEARCH,
  type LostPupilRecord,
  LostPupilService,
  SEARCH_PARAMS,
  type SearchForm,
  SHOWN,
  SORTS,
} from './service.ts';

const TAG = 'Lost Pupils';
const BASE = `${API_PREFIX}/lost-pupils`;

/** The page's attestation, word for word (lost-pupils/views/macros.njk). */
const ATTESTATION =
  '`"attest": true` stands for the page’s tick box: “I have taken reasonable steps to ensure that the pupil in this file is on roll at a school in my LEA”. Without it nothing is downloaded (422, with the page’s reason).';

const recordId = pathParameter('id', 'The record’s id, as a search gives it', {
  type: 'string',
  format: 'uuid',
});
const RECORD_NOT_FOUND = 'No such record in the Lost Pupils Database (or it has been removed)';

const OPERATIONS: readonly ApiOperationInfo[] = [
  {
    operationId: 'searchLostPupils',
    method: 'POST',
    url: `${BASE}/search`,
    summary: 'Search for Lost Pupil',
    capability: 'lost-pupils.search',
    scope: 'read',
    tag: TAG,
    doc: {
      description: `Search for Lost Pupil (LA notes §4.1), with the search form’s fields and rules: any of UPN (or former UPN), surname, forename, town, date of birth (day, month and year, each optional) and gender, at least one of them. \`surnameBegins\` true matches surnames (and former surnames) that begin with the text; false (the default) is a soundalike search. The whole national database is searched; records still in it are found, lost ones and those an LA has found (with who and when). At most ${SHOWN} records are given: when more match, \`more\` is true and \`narrow\` says which details to add. The criteria go in the body, never in the address, so that no log holds them. A search only reads.`,
      requestBody: jsonBody(ref('LostPupilSearch')),
      responses: {
        '200': jsonResponse('The records that match', ref('LostPupilSearchResults')),
        '422': problemResponse(
          'The search breaks a rule of the form (no detail given, a UPN that is not 13 characters, a date part out of range...): `errors` names each field',
        ),
      },
    },
  },
  {
    operationId: 'getLostPupil',
    method: 'GET',
    url: `${BASE}/:id`,
    summary: 'One lost pupil record',
    capability: 'lost-pupils.search',
    scope: 'read',
    tag: TAG,
    doc: {
      description:
        'A record with the handbook’s additional pupil details (LEA number, school number and name, date uploaded, former UPN, former surname, middle names), why it is in the database, its file and whether it can be downloaded or forwarded now.',
      parameters: [recordId],
      responses: { '200': jsonResponse('The record', ref('LostPupilRecord')) },
      notFound: RECORD_NOT_FOUND,
    },
  },
  {
    operationId: 'downloadLostPupil',
    method: 'POST',
    url: `${BASE}/:id/download`,
    summary: 'Download Lost Pupil File (attested)',
    capability: 'lost-pupils.search',
    scope: 'transfer',
    tag: TAG,
    doc: {
      description: `Download Lost Pupil File: the record’s CTF, byte for byte. ${ATTESTATION} The download is recorded on the file and in the audit log (who, when, attested), as on the page; the record stays lost until you say it was downloaded correctly (\`found\`). \`X-Content-SHA256\` (hex) and \`Repr-Digest\` give its SHA-256.`,
      parameters: [recordId],
      requestBody: jsonBody({
        type: 'object',
        properties: {
          attest: {
            type: 'boolean',
            description:
              'I have taken reasonable steps to ensure that the pupil in this file is on roll at a school in my LEA',
          },
        },
        required: ['attest'],
      }),
      responses: {
        '200': fileContentResponse('The file'),
        '422': problemResponse(
          'Not attested, or the file can no longer be downloaded (removed by its school, or forwarded and no longer held)',
        ),
      },
      notFound: RECORD_NOT_FOUND,
    },
  },
  {
    operationId: 'confirmLostPupilFound',
    method: 'POST',
    url: `${BASE}/:id/found`,
    summary: 'The file was downloaded correctly: the pupil is found',
    capability: 'lost-pupils.search',
    scope: 'transfer',
    tag: TAG,
    doc: {
      description:
        '“Was the file downloaded correctly?” Yes: the record is marked as found by your LA, so other LAs searching for the pupil can see that you have it. Audited. Download the file first, with this token’s user.',
      parameters: [recordId],
      responses: {
        '200': jsonResponse('The record, found', ref('LostPupilRecord')),
        '422': problemResponse('You have not downloaded this file yet'),
      },
      notFound: RECORD_NOT_FOUND,
    },
  },
  {
    operationId: 'forwardLostPupil',
    method: 'POST',
    url: `${BASE}/:id/forward`,
    summary: 'Forward to a School',
    capability: 'lost-pupils.forward',
    scope: 'transfer',
    tag: TAG,
    doc: {
      description: `Forward to a School (LA notes §4.2, the LEA Lost Pupil Transfer role): the handbook’s “download, rename, upload” in one step, to a school of your LA that uses s2s. The new file is sent in your LA’s name (LEALLLL_CTF_school_NNN, as the handbook’s renamed file is) and waits for the school, which is emailed, and the record is found by your LA. The lost pupil file stays, content and all, while the school has not collected the new file: when your LA uploaded the record it becomes collected once the school collects the new file (its content deleted 7 days later); another LA’s stays until that LA removes it, and that LA is emailed. If the school rejects the new file, the record is lost again and its file can be forwarded again; otherwise a file is forwarded once. The same request sent again by you (a retry, its answer lost) while your new file is on its way answers 200 with the first answer (the new file the first made), and forwards nothing again; another user’s forward of a file forwarded already is refused (422). ${ATTESTATION}`,
      parameters: [recordId],
      requestBody: jsonBody({
        type: 'object',
        properties: {
          school: { type: 'string', description: 'The school’s 7-digit number, like 9165402' },
          attest: {
            type: 'boolean',
            description:
              'I have taken reasonable steps to ensure that the pupil in this file is on roll at a school in my LEA',
          },
        },
        required: ['school', 'attest'],
      }),
      responses: {
        '201': jsonResponse('Forwarded', ref('LostPupilForwarded')),
        '200': jsonResponse(
          'Forwarded by you already (the request sent again): the first answer, nothing forwarded again',
          ref('LostPupilForwarded'),
        ),
        '422': problemResponse(
          'Not attested, not a school of your LA using s2s, or the file cannot be forwarded (forwarded already by someone else, removed)',
        ),
      },
      notFound: RECORD_NOT_FOUND,
    },
  },
  {
    operationId: 'listLostPupilMatches',
    method: 'GET',
    url: `${BASE}/matches`,
    summary: 'Lost Pupil Matches to follow up',
    capability: 'lost-pupils.search',
    scope: 'read',
    tag: TAG,
    doc: {
      description:
        'Lost Pupil Matches: files arriving in s2s are compared with the pupils your LA’s schools (or your LA) sent to the Lost Pupils Database; these are the open cases, newest first. Check each is the same pupil, then close it.',
      parameters: [
        queryParameter('page', { type: 'integer', minimum: 1, default: 1 }),
        queryParameter('pageSize', {
          type: 'integer',
          minimum: 1,
          maximum: MAX_PAGE_SIZE,
          default: DEFAULT_PAGE_SIZE,
        }),
      ],
      responses: { '200': jsonResponse('A page of open cases', ref('LostPupilMatchPage')) },
    },
  },
  {
    operationId: 'closeLostPupilMatch',
    method: 'POST',
    url: `${BASE}/matches/:id/close`,
    summary: 'Close a match: the same pupil, or not',
    capability: 'lost-pupils.search',
    scope: 'transfer',
    tag: TAG,
    doc: {
      description:
        'Close an open case of your LA with its outcome: `found` (it is the same pupil: the record is marked as found by your LA) or `not-the-pupil`. Audited. A case you closed already (a request sent again) answers as it was closed, with the outcome it was closed with, and nothing more is recorded.',
      parameters: [pathParameter('id', 'The match’s id', { type: 'string', format: 'uuid' })],
      requestBody: jsonBody({
        type: 'object',
        properties: { outcome: { type: 'string', enum: Object.keys(MATCH_OUTCOMES) } },
        required: ['outcome'],
      }),
      responses: {
        '200': jsonResponse('The closed case', ref('LostPupilMatchClosed')),
        '422': problemResponse('No outcome, or a colleague has just closed the case'),
      },
      notFound: 'No open case of your LA with this id',
    },
  },
  {
    operationId: 'listPastLeavingAge',
    method: 'GET',
    url: `${BASE}/past-leaving-age`,
    summary: 'Lost Pupils Past Leaving Age',
    capability: 'lost-pupils.review',
    scope: 'read',
    tag: TAG,
    doc: {
      description: `Lost Pupils Past Leaving Age (LA notes §1.3): the records your LA’s schools (or your LA) uploaded, still in the database, whose pupils passed statutory school-leaving age (the last Friday in June of the school year they turn 16) on or before today in London; the longest past first, at most ${REVIEW_LIMIT} (\`total\` counts them all). Records with no date of birth never fall due by themselves: they are listed apart.`,
      responses: { '200': jsonResponse('The records due for removal', ref('PastLeavingAgeList')) },
    },
  },
  {
    operationId: 'removePastLeavingAge',
    method: 'POST',
    url: `${BASE}/past-leaving-age/remove`,
    summary: 'Remove records past leaving age',
    capability: 'lost-pupils.review',
    scope: 'transfer',
    tag: TAG,
    doc: {
      description: `Remove records of your LA that are past school-leaving age from the Lost Pupils Database, with the reason (up to ${REVIEW_LIMIT} at a time). Each record that is still due is removed with its file (the content deleted) and audited; one that someone else found or changed meanwhile is left alone and reported. Records removed already, by you (a request sent again), a colleague or the school that sent the file, are not refused: nothing more is done to them, and \`removedAlready\` lists them with who removed them; the others chosen are removed. A record whose file was forwarded to a school that has not collected it yet (\`copyWaiting\`) is not removed: once the school collects it, it can be; if the school rejects it, the pupil is lost again.`,
      requestBody: jsonBody({
        type: 'object',
        properties: {
          records: { type: 'array', items: { type: 'string', format: 'uuid' }, maxItems: REVIEW_LIMIT },
          reason: { type: 'string', enum: Object.keys(REMOVAL_REASONS) },
        },
        required: ['records', 'reason'],
      }),
      responses: {
        '200': jsonResponse(
          'What was removed, what was left alone, and what was removed already',
          ref('PastLeavingAgeRemoval'),
        ),
        '404': problemResponse('A record that is not your LA’s, or no record'),
        '422': problemResponse(
          'No records or no reason, or none of them can be removed (not due any more, or its forwarded file waits at the school)',
        ),
      },
    },
  },
];

// ---- requests ----

/** A date part, as a number or as typed: the form's rules decide. */
const datePart = z.union([z.string(), z.number().int()]).transform(String).optional();

const searchBody = z
  .object({
    upn: z.string().optional(),
    surname: z.string().optional(),
    surnameBegins: z.boolean().optional(),
    forename: z.string().optional(),
    town: z.string().optional(),
    dobDay: datePart,
    dobMonth: datePart,
    dobYear: datePart,
    gender: z.string().optional(),
    sort: z.enum(SORTS).optional(),
    order: z.enum(['ascending', 'descending']).optional(),
  })
  // A misspelt field would otherwise be a search for less than was meant.
  .strict();

/** The form's field names (its query string's) as the body names them. */
const BODY_FIELD: Record<string, string> = Object.fromEntries(
  Object.entries(SEARCH_PARAMS).map(([key, param]) => [param, key]),
);

const attestBody = z.object({ attest: z.boolean().optional() });
const forwardBody = z.object({ school: z.string().max(50).default(''), attest: z.boolean().optional() });
const closeBody = z.object({ outcome: z.string().optional() });
const removeBody = z.object({
  records: z.array(z.string().max(100)).max(1000).default([]),
  reason: z.string().optional(),
});
const listQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
});

// ---- answers ----

function recordJson(record: LostPupilRecord) {
  const { forwards: _, ...rest } = record;
  return rest;
}

function matchJson(found: MatchCase) {
  const { match, record } = found;
  return {
    id: match.id,
    matchedOn: match.matched_on,
    matchedAt: match.matched_at,
    seenAt: found.seenAt,
    seenInFilename: found.seenInFilename,
    pupil: {
      lostPupilId: record.id,
      surname: record.surname,
      forename: record.forename,
      dateOfBirth: record.date_of_birth,
      upn: record.upn,
      formerUpn: record.former_upn,
      filename: found.lostFilename,
      uploadedAt: record.uploaded_at,
    },
    seenPupil: seenPupilOf(match),
  };
}

/** The pupil as the new file gave them, kept on an open case (null on cases matched before 053). */
function seenPupilOf(match: MatchCase['match']) {
  const seen = {
    upn: match.seen_upn,
    formerUpn: match.seen_former_upn,
    surname: match.seen_surname,
    forename: match.seen_forename,
    dateOfBirth: match.seen_date_of_birth,
  };
  return Object.values(seen).some((value) => value !== null) ? seen : null;
}

/** The form's errors, named as the body names its fields. */
function withBodyFields(error: unknown): unknown {
  if (!(error instanceof Invalid)) return error;
  return new Invalid(error.errors.map((e) => ({ ...e, field: BODY_FIELD[e.field] ?? e.field })));
}

function handlers(deps: ApiDeps): Record<string, ApiHandler> {
  const service = new LostPupilService({ ...deps, tickets: new DownloadTickets(deps.cookieSecret) });
  const matches = new MatchesService(deps);
  const review = new LostPupilReviewService(deps);
  const idOf = (request: FastifyRequest) => pathParam(request);

  const search = async (actor: Actor, body: z.infer<typeof searchBody>) => {
    const form: SearchForm = {
      ...EMPTY_SEARCH,
      upn: body.upn ?? '',
      surname: body.surname ?? '',
      surnameBegins: body.surnameBegins ?? false,
      forename: body.forename ?? '',
      town: body.town ?? '',
      dobDay: body.dobDay ?? '',
      dobMonth: body.dobMonth ?? '',
      dobYear: body.dobYear ?? '',
      gender: body.gender ?? '',
      sort: body.sort ?? EMPTY_SEARCH.sort,
      order: body.order ?? '',
    };
    try {
      return await service.search(actor, form);
    } catch (error) {
      throw withBodyFields(error);
    }
  };

  return {
    searchLostPupils: async (actor, request) => {
      const outcome = await search(actor, searchBody.parse(request.body ?? {}));
      return {
        items: outcome.results,
        more: outcome.more,
        narrow: outcome.narrow,
        upnWarning: outcome.upnWarning,
        sort: outcome.criteria.sort,
        order: outcome.criteria.order,
      };
    },

    getLostPupil: async (actor, request) => recordJson(await service.record(actor, idOf(request))),

    downloadLostPupil: async (actor, request, reply) => {
      const id = idOf(request);
      const body = attestBody.parse(request.body ?? {});
      // The page's two steps: the attestation earns a ticket, the download needs it (and is audited).
      const { ticket } = await service.attestDownload(actor, id, body.attest === true);
      const download = await service.download(actor, id, ticket);
      const sha256 = (await getTransfer(deps.db, download.id))?.sha256 ?? '';
      return sendFileContent(reply, { ...download, contentType: 'application/octet-stream', sha256 });
    },

    confirmLostPupilFound: async (actor, request) =>
      recordJson(await service.confirmFound(actor, idOf(request))),

    forwardLostPupil: async (actor, request, reply) => {
      const id = idOf(request);
      const body = forwardBody.parse(request.body ?? {});
      // Sent again by the same user (a retry, the first answer lost): the first's answer, with 200, and
      // nothing forwarded again. Another user's is refused (422), the file forwarded already.
      const { record, forwarded, already } = await service.forwardOnce(actor, id, {
        school: body.school,
        attested: body.attest === true,
      });
      return reply.code(already ? 200 : 201).send({ record: recordJson(record), forwarded });
    },

    listLostPupilMatches: async (actor, request) => {
      const query = listQuery.parse(request.query ?? {});
      const shown = await matches.open(actor, query.page, query.pageSize);
      const page = pagedWindow(shown, query.page, query.pageSize);
      return { ...page, items: page.items.map(matchJson) };
    },

    closeLostPupilMatch: async (actor, request) => {
      const body = closeBody.parse(request.body ?? {});
      // A case closed by the same request before (a retry) answers as it was closed, with its outcome.
      const { closed } = await matches.close(actor, idOf(request), body.outcome);
      return { ...matchJson(closed), outcome: closed.match.outcome ?? body.outcome };
    },

    listPastLeavingAge: async (actor) => {
      const list = await review.due(actor);
      return {
        today: list.today,
        items: list.records,
        total: list.total,
        withoutBirthDate: {
          items: list.withoutBirthDate.records,
          total: list.withoutBirthDate.total,
        },
      };
    },

    removePastLeavingAge: async (actor, request) => {
      const body = removeBody.parse(request.body ?? {});
      const outcome = await review.remove(actor, body.records, body.reason);
      return {
        reason: outcome.reason,
        removed: outcome.removed,
        leftAlone: outcome.leftAlone,
        removedAlready: outcome.removedAlready.map(({ record, by, colleague }) => ({
          ...record,
          removedBy: by,
          colleague,
        })),
      };
    },
  };
}

// ---- schemas ----

const text = { type: ['string', 'null'] };
const date = { type: ['string', 'null'], format: 'date' };
const organisation = {
  type: 'object',
  properties: {
    number: { type: ['string', 'null'], description: 'An LA’s 3 digits or a school’s 7' },
    name: { type: 'string' },
  },
  required: ['number', 'name'],
};

const forwardedSchema = {
  type: ['object', 'null'],
  description:
    'Where the file was forwarded: to which school, when, by which LA, and what the school did with it. When the school rejected it, the record is lost again and its file can be forwarded again.',
  properties: {
    at: { type: 'string', format: 'date-time' },
    school: organisation,
    la: organisation,
    state: {
      type: 'string',
      enum: ['waiting', 'collected', 'rejected', 'removed'],
      description:
        'waiting: for the school to collect it; collected; rejected: by the school (the record is lost again); removed: by the LA that forwarded it, before the school collected it',
    },
    rejectedAt: { ...nullableDateTime, description: 'When the school rejected it' },
  },
};

const summaryProperties = {
  id: { type: 'string', format: 'uuid' },
  surname: text,
  forename: text,
  middleNames: text,
  upn: text,
  dateOfBirth: date,
  gender: { type: ['string', 'null'], enum: ['Female', 'Male', null] },
  town: text,
  la: { ...organisation, description: 'The LA of the school that uploaded it' },
  school: { ...organisation, description: 'The school that uploaded it (number null: the LA itself)' },
  uploadedAt: { type: 'string', format: 'date-time' },
  status: { type: 'string', enum: ['lost', 'found'] },
  found: {
    type: ['object', 'null'],
    description: 'Which LA found the pupil, and when',
    properties: {
      at: { type: 'string', format: 'date-time' },
      la: organisation,
      by: { type: ['string', 'null'], description: 'Who (records only): name and username' },
    },
  },
  forwarded: forwardedSchema,
};

const reviewRecord = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string', description: 'Surname, Forename Middle names' },
    dateOfBirth: date,
    upn: text,
    school: {
      type: 'object',
      properties: { name: { type: 'string' }, code: { type: 'string' } },
      required: ['name', 'code'],
    },
    uploadedAt: { type: 'string', format: 'date-time' },
    reason: { type: 'string' },
    leavesSchoolOn: date,
    found: { type: 'boolean' },
    foundBy: {
      type: ['object', 'null'],
      description:
        'Which LA found the pupil (downloaded the file and said so, forwarded it, or closed a match) and when; ownLa: your LA',
      properties: {
        la: { type: 'string' },
        at: { type: 'string', format: 'date-time' },
        ownLa: { type: 'boolean' },
      },
      required: ['la', 'at', 'ownLa'],
    },
    forwarded: forwardedSchema,
    copyWaiting: {
      type: 'boolean',
      description:
        'Its file was forwarded to a school that has not collected it yet: it cannot be removed until the school collects it (if the school rejects it, the pupil is lost again)',
    },
    filename: { type: 'string' },
  },
  required: [
    'id',
    'name',
    'dateOfBirth',
    'upn',
    'school',
    'uploadedAt',
    'reason',
    'found',
    'copyWaiting',
    'filename',
  ],
};

const matchProperties = {
  id: { type: 'string', format: 'uuid' },
  matchedOn: { type: 'string', enum: ['upn', 'former-upn', 'name-dob'] },
  matchedAt: { type: 'string', format: 'date-time' },
  seenAt: { type: 'string', description: 'The school (or LA) the pupil was seen at' },
  seenInFilename: {
    type: 'string',
    description:
      'The incoming file the pupil was seen in: a CTF, or a school census return (sent as a file or loaded into COLLECT)',
  },
  pupil: {
    type: 'object',
    properties: {
      lostPupilId: { type: 'string', format: 'uuid' },
      surname: text,
      forename: text,
      dateOfBirth: date,
      upn: text,
      formerUpn: text,
      filename: { type: 'string', description: 'The file in the Lost Pupils Database' },
      uploadedAt: { type: 'string', format: 'date-time' },
    },
    required: ['lostPupilId', 'filename'],
  },
  seenPupil: {
    type: ['object', 'null'],
    description:
      'The pupil as the new file gives them, to check the match against the record (null for cases matched before s2s kept them; not kept once the case is closed)',
    properties: {
      upn: text,
      formerUpn: text,
      surname: text,
      forename: text,
      dateOfBirth: date,
    },
  },
};

const SCHEMAS = {
  LostPupilSearch: {
    type: 'object',
    additionalProperties: false,
    properties: {
      upn: { type: 'string', description: 'UPN or former UPN, 13 letters and digits' },
      surname: { type: 'string', maxLength: 100 },
      surnameBegins: {
        type: 'boolean',
        default: false,
        description: 'true: surnames that begin with the text; false: a soundalike search',
      },
      forename: { type: 'string', maxLength: 100 },
      town: { type: 'string', maxLength: 100 },
      dobDay: { type: ['string', 'integer'], description: '1 to 31' },
      dobMonth: {
        type: ['string', 'integer'],
        description: '1 to 12, or the month’s name in English or Welsh (September, Sept, Medi)',
      },
      dobYear: { type: ['string', 'integer'], description: '4 digits' },
      gender: { type: 'string', enum: ['F', 'M'], description: 'Left out: any' },
      sort: { type: 'string', enum: [...SORTS], default: 'surname' },
      order: {
        type: 'string',
        enum: ['ascending', 'descending'],
        description: 'Default: descending for uploaded, otherwise ascending',
      },
    },
  },
  LostPupil: {
    type: 'object',
    properties: summaryProperties,
    required: ['id', 'la', 'school', 'uploadedAt', 'status', 'found'],
  },
  LostPupilSearchResults: {
    type: 'object',
    properties: {
      items: { type: 'array', items: ref('LostPupil'), maxItems: SHOWN },
      more: { type: 'boolean', description: `More than ${SHOWN} records match` },
      narrow: { type: ['string', 'null'], description: 'When more match: the details to add' },
      upnWarning: {
        type: ['string', 'null'],
        description:
          'When the UPN searched for is not a valid UPN (its check letter, say): what is wrong with it. It is still searched for as typed.',
      },
      sort: { type: 'string', enum: [...SORTS] },
      order: { type: 'string', enum: ['ascending', 'descending'] },
    },
    required: ['items', 'more', 'narrow', 'sort', 'order'],
  },
  LostPupilRecord: {
    allOf: [
      ref('LostPupil'),
      {
        type: 'object',
        properties: {
          formerUpn: text,
          formerSurname: text,
          reason: { type: 'string', enum: ['destination-unknown', 'left-maintained-sector'] },
          reasonText: { type: 'string' },
          filename: { type: 'string' },
          file: {
            type: 'object',
            properties: {
              state: {
                type: 'string',
                enum: [
                  'available',
                  'forwarded-waiting',
                  'forwarded',
                  'forwarded-kept',
                  'forwarded-purged',
                  'removed-by-sender',
                ],
                description:
                  'available: to download and forward (also once the school a forward went to rejected it: see forwarded.state); forwarded-waiting: by the LA that uploaded it, kept while the school has not collected it; forwarded: by the LA that uploaded it and collected by the school, its content deleted 7 days later; forwarded-kept: by another LA, kept until the LA that uploaded it removes it',
              },
              changedAt: nullableDateTime,
              keptUntil: {
                ...nullableDateTime,
                description:
                  'forwarded: until when it can still be downloaded (7 days after the school collected it or it was last downloaded); then its content is deleted',
              },
              unavailable: { type: ['string', 'null'], description: 'Why it cannot be downloaded' },
            },
            required: ['state', 'changedAt', 'keptUntil', 'unavailable'],
          },
          canDownload: { type: 'boolean' },
          canForward: { type: 'boolean', description: 'Your role forwards, and this file can be forwarded' },
        },
        required: ['reason', 'filename', 'file', 'canDownload', 'canForward'],
      },
    ],
  },
  LostPupilForwarded: {
    type: 'object',
    properties: {
      record: ref('LostPupilRecord'),
      forwarded: {
        type: 'object',
        properties: {
          id: { type: 'string', format: 'uuid', description: 'The new file, waiting for the school' },
          filename: { type: 'string' },
          destination: {
            type: 'object',
            properties: { name: { type: 'string' }, code: { type: 'string', description: 'Like 9165402' } },
            required: ['name', 'code'],
          },
        },
        required: ['id', 'filename', 'destination'],
      },
    },
    required: ['record', 'forwarded'],
  },
  LostPupilMatch: {
    type: 'object',
    properties: matchProperties,
    required: ['id', 'matchedOn', 'matchedAt', 'seenAt', 'seenInFilename', 'pupil'],
  },
  LostPupilMatchPage: pageSchema('LostPupilMatch'),
  LostPupilMatchClosed: {
    allOf: [
      ref('LostPupilMatch'),
      {
        type: 'object',
        properties: { outcome: { type: 'string', enum: Object.keys(MATCH_OUTCOMES) } },
        required: ['outcome'],
      },
    ],
  },
  PastLeavingAgeRecord: reviewRecord,
  PastLeavingAgeList: {
    type: 'object',
    properties: {
      today: { type: 'string', format: 'date' },
      items: { type: 'array', items: ref('PastLeavingAgeRecord') },
      total: { type: 'integer' },
      withoutBirthDate: {
        type: 'object',
        properties: {
          items: { type: 'array', items: ref('PastLeavingAgeRecord') },
          total: { type: 'integer' },
        },
        required: ['items', 'total'],
      },
    },
    required: ['today', 'items', 'total', 'withoutBirthDate'],
  },
  PastLeavingAgeRemoval: {
    type: 'object',
    properties: {
      reason: { type: 'string', enum: Object.keys(REMOVAL_REASONS) },
      removed: { type: 'array', items: ref('PastLeavingAgeRecord') },
      leftAlone: {
        type: 'array',
        items: ref('PastLeavingAgeRecord'),
        description: 'Found or changed by someone else meanwhile, or its forwarded file waits at the school',
      },
      removedAlready: {
        type: 'array',
        description: 'Removed already when this request came to it: nothing more was done to it',
        items: {
          allOf: [
            ref('PastLeavingAgeRecord'),
            {
              type: 'object',
              properties: {
                removedBy: {
                  type: 'string',
                  enum: ['you', 'colleague', 'sender', 'someone-else'],
                  description:
                    'you: this token’s user (a request sent again, or an earlier removal); colleague: another user of your LA; sender: the school that sent the file (it removed the file, and the record with it); someone-else: anyone else',
                },
                colleague: {
                  type: ['string', 'null'],
                  description: 'The colleague, as “Full Name (username)”, when removedBy is colleague',
                },
              },
              required: ['removedBy', 'colleague'],
            },
          ],
        },
      },
    },
    required: ['reason', 'removed', 'leftAlone', 'removedAlready'],
  },
};

export const lostPupilsApi: ApiFeature = {
  tag: {
    name: TAG,
    description:
      'The Lost Pupils Database, for the LA’s lost-pupil users: search, records, the attested download, forwarding to a school, matches and records past leaving age',
  },
  operations: OPERATIONS,
  schemas: SCHEMAS,
  handlers,
};
