// A stored file as an API answer: its bytes with their SHA-256 (X-Content-SHA256 in hex, and RFC 9530's
// Repr-Digest), for the operations that download a file (Files, Lost Pupils), and their description.
import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { contentDisposition } from '../transfers/download-routes.ts';
import type { Json } from './operation.ts';

export interface FileContent {
  filename: string;
  contentType: string;
  /** Bytes, when known. */
  size: number | null;
  /** SHA-256 of the content, hex, as recorded when it was uploaded. */
  sha256: string;
  stream: Readable;
}

/** The headers that describe a file's content: set before its bytes are read. */
const FILE_CONTENT_HEADERS = ['content-disposition', 'content-length', 'x-content-sha256', 'repr-digest'];

/**
 * Takes back a file's headers from an answer that will not carry it: a stored file that fails its check
 * as it is read (its SHA-256, or the encryption's tag) ends in a problem, which must not come as an
 * attachment named like the file, with the file's SHA-256.
 */
export function withoutFileContentHeaders(reply: FastifyReply): void {
  for (const name of FILE_CONTENT_HEADERS) reply.removeHeader(name);
}

export function sendFileContent(reply: FastifyReply, file: FileContent): FastifyReply {
  if (file.size !== null) reply.header('content-length', String(file.size));
  return reply
    .header('content-type', file.contentType)
    .header('content-disposition', contentDisposition(file.filename))
    .header('cache-control', 'no-store')
    .header('x-content-sha256', file.sha256)
    .header('repr-digest', `sha-256=:${Buffer.from(file.sha256, 'hex').toString('base64')}:`)
    .send(file.stream);
}

/** The 200 answer of such an operation, for its OpenAPI description. */
export function fileContentResponse(description: string): Json {
  return {
    description,
    headers: {
      'X-Content-SHA256': { schema: { type: 'string' }, description: 'SHA-256 of the content, hex' },
      'Repr-Digest': { schema: { type: 'string' }, description: 'RFC 9530: sha-256=:base64:' },
    },
    content: {
      'application/octet-stream': {
        schema: { type: 'string', contentMediaType: 'application/octet-stream' },
      },
    },
  };
}
