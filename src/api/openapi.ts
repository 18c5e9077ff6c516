// The OpenAPI 3.1 document of /api/v1, built from the operations table (operations.ts), so a route
// cannot exist without its description (test/api/openapi.test.ts checks both ways).
import { CATEGORIES } from '../transfers/categories.ts';
import { API_OPERATIONS, type ApiOperationInfo, MAX_PAGE_SIZE } from './operations.ts';
import { PROBLEM_TYPES, problemUri } from './problems.ts';
import { SCOPES } from './token-service.ts';

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const json = (description: string, schema: Json) => ({
  description,
  content: { 'application/json': { schema } },
});

const idParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The file’s id, as the lists give it',
  schema: { type: 'string', format: 'uuid' },
};

const pageParameters = [
  { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1, default: 1 } },
  {
    name: 'pageSize',
    in: 'query',
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 },
  },
  {
    name: 'order',
    in: 'query',
    schema: { type: 'string', enum: ['ascending', 'descending'], default: 'ascending' },
  },
];

/** What each operation takes and answers, besides the errors every operation may give. */
const DETAILS: Record<string, Json> = {
  uploadFiles: {
    description:
      'The same checks and outcomes as the Upload pages: the name decides where each file goes and must start with your organisation’s number; size limits of 4 MB (schools) and 10 MB (LAs) per file; the content must agree with the name. Up to 20 files at once. Each file is accepted or refused on its own, with the reasons and what to do. `category` chooses the Upload menu item; without it the name decides (CTF, census, admissions, otherwise generic).',
    parameters: [
      {
        name: 'category',
        in: 'query',
        required: false,
        description: 'The Upload menu item: needed only for CFR and exclusion files',
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
      '201': json('Every file was accepted', ref('UploadResults')),
      '200': json('Some files were accepted and some were not: see each result', ref('UploadResults')),
      '413': problemResponse('Too many files, or too large a request'),
      '422': problemResponse(
        'No file was accepted (type upload-refused, with `results`), or no file was sent',
      ),
    },
  },
  listIncomingFiles: {
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
    responses: { '200': json('A page of files', ref('FilePage')) },
  },
  listOutgoingFiles: {
    description:
      'View / Remove Files: the files your organisation sent, waiting, rejected (with the reason) or collected.',
    parameters: [
      {
        name: 'status',
        in: 'query',
        schema: { type: 'string', enum: ['available', 'rejected', 'collected'] },
      },
      {
        name: 'sort',
        in: 'query',
        schema: { type: 'string', enum: ['file', 'uploaded', 'destination'], default: 'uploaded' },
      },
      ...pageParameters,
    ],
    responses: { '200': json('A page of files', ref('FilePage')) },
  },
  getFile: {
    description:
      'A file sent to or by your organisation, with its pupils (UPN, date of birth, name) for a CTF, as the download page shows them before you accept or reject.',
    parameters: [idParameter],
    responses: { '200': json('The file', ref('FileDetails')) },
  },
  downloadFile: {
    description:
      'The file’s content, byte for byte as it was uploaded. The download is recorded as on the Download pages (who, when); the file stays waiting until you accept it. A collected file can be downloaded again for 7 days. `X-Content-SHA256` (hex) and `Repr-Digest` give its SHA-256: compare it with what you received.',
    parameters: [idParameter],
    responses: {
      '200': {
        description: 'The content',
        headers: {
          'X-Content-SHA256': { schema: { type: 'string' }, description: 'SHA-256 of the content, hex' },
          'Repr-Digest': { schema: { type: 'string' }, description: 'RFC 9530: sha-256=:base64:' },
        },
        content: {
          'application/octet-stream': {
            schema: { type: 'string', contentMediaType: 'application/octet-stream' },
          },
        },
      },
      '422': problemResponse('The file cannot be downloaded now (rejected, or past its 7 days)'),
    },
  },
  acceptFile: {
    description:
      '“Was the file downloaded correctly?” Yes: the file is collected and leaves the list; for a CTF its sender is emailed. Download it first.',
    parameters: [idParameter],
    responses: {
      '200': json('The collected file', ref('File')),
      '409': problemResponse('The file changed meanwhile (rejected or removed)'),
      '422': problemResponse('The file has not been downloaded yet'),
    },
  },
  rejectFile: {
    description:
      'Reject a file waiting for you. The reason (500 characters at most) is emailed to the sender.',
    parameters: [idParameter],
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
      '200': json('The rejected file', ref('File')),
      '422': problemResponse('No reason, too long a reason, or the file is no longer waiting'),
    },
  },
  removeFile: {
    description:
      'View / Remove Files: remove a file your organisation sent in error, while it has not been collected. Its content is deleted.',
    parameters: [idParameter],
    responses: {
      '200': json('The removed file', ref('File')),
      '422': problemResponse('The file has been collected: it cannot be removed'),
    },
  },
};

function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}');
}

function operationObject(op: ApiOperationInfo): Json {
  const details = DETAILS[op.operationId] ?? {};
  const responses = (details.responses ?? {}) as Json;
  return {
    operationId: op.operationId,
    summary: op.summary,
    description: details.description,
    tags: ['Files'],
    security: [{ bearerToken: [op.scope] }],
    'x-s2s-scope': op.scope,
    'x-s2s-capability': op.capability,
    ...(details.parameters ? { parameters: details.parameters } : {}),
    ...(details.requestBody ? { requestBody: details.requestBody } : {}),
    responses: {
      ...responses,
      '401': problemResponse('No token, or a token that is unknown, revoked or expired'),
      '403': problemResponse('Your role cannot do this, or the token’s scope does not allow it'),
      ...(op.url.includes(':id') ? { '404': problemResponse('No such file for your organisation') } : {}),
      '429': problemResponse('Too many requests with this token: wait for the time in Retry-After'),
    },
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
const dateTime = { type: ['string', 'null'], format: 'date-time' };

export function openApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const op of API_OPERATIONS) {
    const path = openApiPath(op.url);
    paths[path] = { ...(paths[path] ?? {}), [op.method.toLowerCase()]: operationObject(op) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 's2s secure data transfer API',
      version: '1.0.0',
      description:
        'For MIS software: send and collect Common Transfer Files and the other s2s files as the user whose personal API token it holds, with that user’s role and organisation. Make a token in s2s under API Tokens; send it as `Authorization: Bearer s2s_...`. The sign-in cookie is never accepted. Errors are RFC 9457 problem details with the reasons and what to do that s2s’s pages give.',
    },
    servers: [{ url: '/' }],
    tags: [
      {
        name: 'Files',
        description: 'Uploading, listing, downloading, accepting, rejecting and removing files',
      },
    ],
    paths,
    components: {
      securitySchemes: {
        bearerToken: {
          type: 'http',
          scheme: 'bearer',
          description: `A personal API token (s2s_ and 43 characters). Scopes, each including the one before: ${SCOPES.join(', ')}.`,
        },
      },
      schemas: {
        Party: party,
        File: {
          type: 'object',
          properties: {
            id: { type: 'string', format: 'uuid' },
            filename: { type: 'string' },
            category: { type: 'string', enum: [...CATEGORIES] },
            direction: { type: 'string', enum: ['incoming', 'outgoing'] },
            status: { type: 'string', enum: ['available', 'collected', 'rejected', 'removed'] },
            source: { ...party, description: 'Incoming files: who sent it' },
            destination: { ...party, description: 'Outgoing files: where it went' },
            uploadedAt: { type: 'string', format: 'date-time' },
            size: { type: 'integer' },
            pupilCount: { type: 'integer' },
            lastDownloadedAt: dateTime,
            collectedAt: dateTime,
            rejectedAt: dateTime,
            rejectReason: { type: ['string', 'null'] },
            redownloadUntil: dateTime,
            contentHeld: { type: 'boolean' },
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
                pupils: { type: 'array', items: ref('Pupil') },
                canRemove: {
                  type: 'boolean',
                  description: 'Outgoing files: whether it can still be removed',
                },
              },
              required: ['pupils'],
            },
          ],
        },
        FilePage: {
          type: 'object',
          properties: {
            items: { type: 'array', items: ref('File') },
            page: { type: 'integer' },
            pageSize: { type: 'integer' },
            total: { type: 'integer' },
            totalPages: { type: 'integer' },
          },
          required: ['items', 'page', 'pageSize', 'total', 'totalPages'],
        },
        UploadResult: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['accepted', 'refused', 'failed'] },
            filename: { type: 'string' },
            transferId: { type: 'string', format: 'uuid', description: 'Accepted files' },
            description: { type: 'string' },
            destination: { type: 'string' },
            pupils: { type: 'integer' },
            warnings: { type: 'array', items: { type: 'string' } },
            reasons: { type: 'array', items: { type: 'string' }, description: 'Refused files: why' },
            whatToDo: { type: 'string', description: 'Refused files: what to do next' },
          },
          required: ['status', 'filename'],
        },
        UploadResults: {
          type: 'object',
          properties: {
            accepted: { type: 'integer' },
            notAccepted: { type: 'integer' },
            results: { type: 'array', items: ref('UploadResult') },
          },
          required: ['accepted', 'notAccepted', 'results'],
        },
        Problem: {
          type: 'object',
          description: `RFC 9457. Types: ${Object.keys(PROBLEM_TYPES)
            .map((t) => problemUri(t as keyof typeof PROBLEM_TYPES))
            .join(', ')}`,
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string', description: 'What went wrong and what to do' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { field: { type: 'string' }, message: { type: 'string' } },
                required: ['field', 'message'],
              },
            },
          },
          required: ['type', 'title', 'status', 'detail'],
        },
      },
    },
  };
}
