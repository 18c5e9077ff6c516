// s3rver in a process of its own, started by test/support/s3.ts:
// `s3rver-process.ts DIR [multipart] [only-prefix=PREFIX [no-get-object | read-only | no-upload-listing]]`.
// It runs with OpenSSL's legacy provider, which s3rver's ListObjectsV2 continuation tokens (DES) need on
// Node 20 (without it, a listing of more than one page fails with InternalError).
//
// Additions, all over what s3rver really holds:
// - GET /__requests: the S3 operations received so far (CreateMultipartUpload, UploadPart...), for the
//   tests to see how the store went about a write.
// - with `multipart`: ListMultipartUploads and AbortMultipartUpload, which s3rver 3.7.1 lacks (it
//   answers NotImplemented and MethodNotAllowed), over its own folder of unfinished uploads
//   (BUCKET/._S3rver_uploads/UPLOAD_ID/{key, parts}), answering as S3 does. Without it, the server is
//   s3rver as it is: what a service without those operations does.
// - with `only-prefix=PREFIX`: what S3 answers to credentials whose bucket policy grants GetObject,
//   PutObject, DeleteObject and AbortMultipartUpload on the objects under PREFIX alone, ListBucket only
//   with the condition that the listing's prefix starts with PREFIX, and ListBucketMultipartUploads
//   (which takes no such condition: docs/operations.md): 403 AccessDenied to anything else (HeadBucket
//   among them), and to a HEAD or GET of a missing object (S3 says 404 only to a caller with ListBucket
//   on the whole bucket). The bucket itself is created (PUT /BUCKET) as an administrator would, before
//   the policy applies.
// - with `no-get-object` too: the same policy without GetObject (a slip in it, say): a HEAD or GET of
//   any object is refused, held or not.
// - with `read-only` too: the same policy with the reads alone (GetObject, ListBucket): every write or
//   delete of an object is refused.
// - with `no-upload-listing` too: the same policy whose ListBucketMultipartUploads carries an s3:prefix
//   condition, which that action never matches: every listing of unfinished uploads is refused.
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import S3rver, { type S3rverContext } from 's3rver';

const [directory, ...modes] = process.argv.slice(2) as [string, ...string[]];
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
// Before s3rver's own router, which refuses both operations.
if (modes.includes('multipart')) server.middleware.unshift(multipartUploads(directory));
const onlyPrefix = modes.find((mode) => mode.startsWith('only-prefix='))?.slice('only-prefix='.length);
if (onlyPrefix !== undefined) {
  server.middleware.unshift(
    prefixPolicy(onlyPrefix, {
      getObject: !modes.includes('no-get-object'),
      write: !modes.includes('read-only'),
      listUploads: !modes.includes('no-upload-listing'),
    }),
  );
}
const requests: string[] = [];
server.middleware.unshift(async (ctx, next) => {
  if (ctx.path === '/__requests') {
    ctx.body = JSON.stringify(requests);
    return;
  }
  requests.push(operationOf(ctx));
  await next();
});
const { port } = await server.run();
process.stdout.write(`listening ${port}\n`);
process.on('SIGTERM', () => {
  server.close().then(() => process.exit(0));
});
// The test process's end (however it ends) closes this pipe: no s3rver outlives its tests.
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();

/** The S3 operation of a request on an object, by its method and query; else METHOD PATH. */
function operationOf(ctx: S3rverContext): string {
  const has = (name: string) => name in ctx.query;
  const object = ctx.path.split('/').filter(Boolean).length > 1;
  if (object && ctx.method === 'POST' && has('uploads')) return 'CreateMultipartUpload';
  if (object && ctx.method === 'PUT' && has('partNumber')) return 'UploadPart';
  if (object && ctx.method === 'POST' && has('uploadId')) return 'CompleteMultipartUpload';
  if (object && ctx.method === 'DELETE' && has('uploadId')) return 'AbortMultipartUpload';
  if (object && ctx.method === 'PUT') return 'PutObject';
  if (!object && ctx.method === 'GET' && ctx.query['list-type'] === '2') return 'ListObjectsV2';
  if (!object && ctx.method === 'GET' && has('uploads')) return 'ListMultipartUploads';
  return `${ctx.method} ${ctx.path}`;
}

interface Unfinished {
  key: string;
  uploadId: string;
  initiated: Date;
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function multipartUploads(directory: string) {
  return async (ctx: S3rverContext, next: () => Promise<void>) => {
    const [, bucket = '', ...rest] = ctx.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const folder = join(directory, bucket, '._S3rver_uploads');
    const query = (name: string) => (typeof ctx.query[name] === 'string' ? ctx.query[name] : '');
    if (ctx.method === 'GET' && !key && 'uploads' in ctx.query) {
      ctx.type = 'application/xml';
      ctx.body = listUploads(await unfinishedUploads(folder), {
        bucket,
        prefix: query('prefix'),
        delimiter: query('delimiter'),
        maxUploads: Number(query('max-uploads') || 1000),
        keyMarker: query('key-marker'),
        uploadIdMarker: query('upload-id-marker'),
      });
      return;
    }
    const uploadId = query('uploadId');
    if (ctx.method === 'DELETE' && key && uploadId) {
      const upload = (await unfinishedUploads(folder)).find((u) => u.uploadId === uploadId && u.key === key);
      if (!upload) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code>' +
          '<Message>The specified upload does not exist.</Message></Error>';
        return;
      }
      await rm(join(folder, uploadId), { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    await next();
  };
}

async function unfinishedUploads(folder: string): Promise<Unfinished[]> {
  let ids: string[];
  try {
    ids = await readdir(folder);
  } catch {
    return [];
  }
  const uploads = await Promise.all(
    ids.map(async (uploadId): Promise<Unfinished | null> => {
      try {
        const key = join(folder, uploadId, 'key');
        return { uploadId, key: await readFile(key, 'utf8'), initiated: (await stat(key)).mtime };
      } catch (error) {
        // No upload (as S3 has none): a folder s3rver made again for a part that reached it after its upload
        // was aborted (a killed client's last part, handled late), or one whose creation has not written its key.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    }),
  );
  return uploads.filter((upload) => upload !== null);
}

/** S3's order: by UTF-8 bytes, which for these names is the order of their code units. */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function listUploads(
  all: Unfinished[],
  page: {
    bucket: string;
    prefix: string;
    delimiter: string;
    maxUploads: number;
    keyMarker: string;
    uploadIdMarker: string;
  },
): string {
  const { prefix, delimiter, keyMarker, uploadIdMarker } = page;
  const matching = all
    .filter((u) => u.key.startsWith(prefix))
    .filter((u) => !delimiter || !u.key.slice(prefix.length).includes(delimiter))
    .filter(
      (u) =>
        !keyMarker ||
        u.key > keyMarker ||
        (u.key === keyMarker && !!uploadIdMarker && u.uploadId > uploadIdMarker),
    )
    .sort((a, b) => byCodeUnits(a.key, b.key) || byCodeUnits(a.uploadId, b.uploadId));
  const shown = matching.slice(0, page.maxUploads);
  const truncated = matching.length > shown.length;
  const last = shown.at(-1);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
    `<Bucket>${xml(page.bucket)}</Bucket><Prefix>${xml(prefix)}</Prefix>`,
    `<KeyMarker>${xml(keyMarker)}</KeyMarker><UploadIdMarker>${xml(uploadIdMarker)}</UploadIdMarker>`,
    truncated && last
      ? `<NextKeyMarker>${xml(last.key)}</NextKeyMarker><NextUploadIdMarker>${xml(last.uploadId)}</NextUploadIdMarker>`
      : '',
    `<MaxUploads>${page.maxUploads}</MaxUploads><IsTruncated>${truncated}</IsTruncated>`,
    ...shown.map(
      (u) =>
        `<Upload><Key>${xml(u.key)}</Key><UploadId>${xml(u.uploadId)}</UploadId>` +
        `<Initiated>${u.initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`,
    ),
    '</ListMultipartUploadsResult>',
  ].join('');
}

const ACCESS_DENIED =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';

/**
 * The answers of S3 to credentials allowed the objects under `prefix` and listings within it alone;
 * without `getObject`, not the reading of those objects; without `write`, not their writing or deletion.
 */
function prefixPolicy(
  prefix: string,
  { getObject, write, listUploads }: { getObject: boolean; write: boolean; listUploads: boolean },
) {
  const deny = (ctx: S3rverContext) => {
    ctx.status = 403;
    ctx.type = 'application/xml';
    ctx.body = ctx.method === 'HEAD' ? '' : ACCESS_DENIED;
  };
  return async (ctx: S3rverContext, next: () => Promise<void>) => {
    if (ctx.path === '/__requests') return next();
    const [, , ...rest] = ctx.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (!key) {
      // The bucket: its creation (the administrator's), listings of objects within the prefix, and
      // listings of unfinished uploads (a policy cannot limit those to a prefix).
      const listing = ctx.method === 'GET' && ctx.query['list-type'] === '2';
      const listedPrefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
      const uploads = ctx.method === 'GET' && 'uploads' in ctx.query;
      if (ctx.method === 'PUT' || (uploads && listUploads) || (listing && listedPrefix.startsWith(prefix)))
        return next();
      return deny(ctx);
    }
    if (!key.startsWith(prefix)) return deny(ctx);
    if (!getObject && (ctx.method === 'HEAD' || ctx.method === 'GET')) return deny(ctx);
    if (!write && ctx.method !== 'HEAD' && ctx.method !== 'GET') return deny(ctx);
    try {
      await next();
    } catch (error) {
      // A missing object, to a caller without ListBucket on the whole bucket (s3rver throws its 404s
      // up to its own error handler, past this one).
      if ((ctx.method === 'HEAD' || ctx.method === 'GET') && (error as { status?: number }).status === 404) {
        return deny(ctx);
      }
      throw error;
    }
  };
}
