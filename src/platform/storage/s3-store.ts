// Stored files in an S3 bucket (AWS, or any S3-compatible service): the same FileStore as the disk, so
// the envelope encryption and SHA-256 check of EncryptedFileStore apply unchanged (decision 25).
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3StoreConfig } from '../../config.ts';
import { type FileStore, FileStoreUnusable, invalidKey, SAFE_KEY, type StoredObject } from './file-store.ts';

/**
 * Files larger than a part go up in parts of this size, up to four at a time (lib-storage's default
 * queue): 32 MiB in memory at most per upload, and a failed part is retried alone.
 */
export const PART_SIZE_BYTES = 8 * 1024 * 1024;
/** A service that does not answer within this is unreachable (the SDK sets no limit of its own). */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * A request on which nothing has moved for this long has failed (TimeoutError, which the SDK tries
 * again). Without it a connected request that the service stops answering waited for ever: a scan-files
 * run stuck on one GetObject kept its lease renewed, and its node ran no other job until restarted. It
 * counts silence, not the whole transfer, so a large file that keeps moving is never cut off; a reader
 * that takes nothing from a download for this long loses it, as a broken connection would.
 */
export const SOCKET_TIMEOUT_MS = 30_000;
/**
 * The name `list` gives a multipart upload that never finished, and `removePartial` takes to abort it:
 * `.multipart/KEY/UPLOAD_ID` (keys have no slash; an upload id is whatever the service chose).
 */
const MULTIPART = '.multipart/';
/**
 * The object /healthz reads, under the prefix: not a file's key (SAFE_KEY wants a letter or digit
 * first), so list() never shows it and the sweep of unreferenced files never removes it.
 */
export const HEALTH_CHECK_KEY = '.s2s-health-check';
const HEALTH_CHECK_TEXT = 's2s reads this object to check that it can reach the bucket. Leave it in place.\n';

/**
 * The start of the object checkWritable writes, reads, lists and removes, under the prefix: not a file's
 * key either, so the sweep never sees it. Each check has one of its own (a uuid follows): nodes starting at
 * once would otherwise remove each other's between its write and its read, and refuse to start. One left
 * by a process stopped in the middle of its check (a few bytes) stays.
 */
export const WRITE_CHECK_KEY = '.s2s-write-check-';
const WRITE_CHECK_TEXT = 's2s writes and removes this object as it starts, to check that it can.\n';

export interface S3StoreOptions {
  partSizeBytes?: number;
  /** Objects listed per request (ListObjectsV2's MaxKeys): 1000, S3's most, unless told. */
  pageSize?: number;
  /** SOCKET_TIMEOUT_MS unless told (tests wait less). */
  socketTimeoutMs?: number;
}

/** Whether the service said it does not have the operation (s3rver and some others: no multipart listing). */
function notImplemented(error: unknown): boolean {
  return (error as { name?: string }).name === 'NotImplemented';
}

/**
 * Refused: what S3 answers to a HEAD or GET of a missing object when the caller has no ListBucket on the
 * bucket.
 */
function forbidden(error: unknown): boolean {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'AccessDenied' || name === 'Forbidden' || $metadata?.httpStatusCode === 403;
}

function notFound(error: unknown): boolean {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'NotFound' || name === 'NoSuchKey' || $metadata?.httpStatusCode === 404;
}

export class S3FileStore implements FileStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  /** Only for messages: where the bucket is, and which key s2s was given (none: the SDK's own). */
  private readonly endpoint: string | undefined;
  private readonly accessKeyId: string | undefined;
  private readonly partSize: number;
  private readonly pageSize: number;

  constructor(config: S3StoreConfig, options: S3StoreOptions = {}) {
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle,
      // Unset: the SDK's own chain (AWS_* variables, profile, instance or task role).
      ...(config.credentials ? { credentials: config.credentials } : {}),
      requestHandler: {
        connectionTimeout: CONNECT_TIMEOUT_MS,
        socketTimeout: options.socketTimeoutMs ?? SOCKET_TIMEOUT_MS,
      },
    });
    this.bucket = config.bucket;
    this.prefix = config.prefix;
    this.endpoint = config.endpoint;
    this.accessKeyId = config.credentials?.accessKeyId;
    this.partSize = options.partSizeBytes ?? PART_SIZE_BYTES;
    this.pageSize = options.pageSize ?? 1000;
  }

  async put(key: string, content: Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: content },
      partSize: this.partSize,
      // Aborted here rather than by lib-storage, which reports a failed abort in place of the failure.
      leavePartsOnError: true,
    });
    try {
      // One PutObject, or a multipart upload completed in one request: either way the object appears
      // whole when this resolves, and not at all before.
      await upload.done();
    } catch (error) {
      content.destroy();
      if (upload.uploadId) {
        // The parts sent so far are billed and kept until aborted. If the abort fails too, list() shows
        // the upload as a partial piece and the orphan sweep aborts it a day later.
        await this.abortUpload(this.objectKey(key), upload.uploadId).catch(() => {});
      }
      throw content.errored ?? error;
    }
  }

  async get(key: string): Promise<Readable> {
    const objectKey = this.objectKey(key);
    let response: GetObjectCommandOutput;
    try {
      response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (error) {
      // Refused, as exists() may find a HEAD: a missing object is reported as S3 reports it to a caller
      // with ListBucket on the whole bucket, so the logs say "not found", not "access denied"; a refusal
      // of an object that is there stays a refusal.
      if (forbidden(error) && !(await this.listed(objectKey))) {
        throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
      }
      // No bucket: the store, not this file, is missing (a HEAD of it, in exists(), would say only "not
      // found"); said as serve says it.
      if ((error as Error).name === 'NoSuchBucket')
        throw this.unusable(error, 'read', 's3:GetObject', objectKey);
      throw error;
    }
    if (!(response.Body instanceof Readable)) throw new Error(`No content came back for ${key}`);
    return response.Body;
  }

  async remove(key: string): Promise<void> {
    // S3 answers a delete of a missing object with success, as remove() should.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async removePartial(name: string): Promise<void> {
    const { objectKey, uploadId } = this.parseMultipart(name);
    await this.abortUpload(objectKey, uploadId);
  }

  async exists(key: string): Promise<boolean> {
    const objectKey = this.objectKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return true;
    } catch (error) {
      // Only "not there" is false: an unreachable service is an error, not a missing file.
      if (notFound(error)) return false;
      // Without ListBucket on the whole bucket (the policy of docs/operations.md), S3 refuses a HEAD of a
      // missing object rather than saying it is not found: a listing of its name, which the policy
      // allows within the prefix, says whether it is there.
      if (forbidden(error)) return this.listed(objectKey);
      throw error;
    }
  }

  private async listed(objectKey: string): Promise<boolean> {
    const page = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: objectKey, MaxKeys: 1 }),
    );
    // The first name at or after it: the object itself if it is there, else a longer name or none.
    return page.Contents?.[0]?.Key === objectKey;
  }

  /**
   * Reads the health-check object under the prefix (HeadObject): the permissions s2s needs for its files,
   * not ListBucket on the whole bucket, which HeadBucket needs and a policy may limit to the prefix. The
   * object is written when it cannot be read (missing: S3 answers 403, not 404, without that ListBucket),
   * then read again, so that credentials able to write but not read are not healthy either.
   */
  async isReachable(signal?: AbortSignal): Promise<boolean> {
    const read = () =>
      this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${HEALTH_CHECK_KEY}` }),
        { abortSignal: signal },
      );
    try {
      await read();
      return true;
    } catch (error) {
      if (!notFound(error) && !forbidden(error)) return false;
    }
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: `${this.prefix}${HEALTH_CHECK_KEY}`,
          Body: HEALTH_CHECK_TEXT,
          ContentType: 'text/plain; charset=utf-8',
        }),
        { abortSignal: signal },
      );
      await read();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * What the service's work needs of the bucket, asked once of a small object of its own: writing it
   * (uploads), reading it (downloads), finding it in a listing (the sweep) and removing it (purges), as
   * the disk store writes, lists and removes a file; then listing the unfinished multipart uploads under
   * the prefix (the sweep aborts those a stopped node left; a service without that listing is passed, as
   * the sweep passes it). The first refusal is reported with the permission it wants; what was written is
   * removed all the same.
   */
  async checkWritable(): Promise<void> {
    const Key = `${this.prefix}${WRITE_CHECK_KEY}${randomUUID()}`;
    const Bucket = this.bucket;
    const object = `${this.prefix}${WRITE_CHECK_KEY}…`;
    const steps: [doing: string, what: string, permission: string, send: () => Promise<unknown>][] = [
      [
        'write',
        object,
        's3:PutObject',
        () =>
          this.client.send(
            new PutObjectCommand({
              Bucket,
              Key,
              Body: WRITE_CHECK_TEXT,
              ContentType: 'text/plain; charset=utf-8',
            }),
          ),
      ],
      ['read', object, 's3:GetObject', () => this.client.send(new HeadObjectCommand({ Bucket, Key }))],
      [
        'list',
        object,
        's3:ListBucket',
        () => this.client.send(new ListObjectsV2Command({ Bucket, Prefix: Key, MaxKeys: 1 })),
      ],
      ['remove', object, 's3:DeleteObject', () => this.client.send(new DeleteObjectCommand({ Bucket, Key }))],
      [
        'list',
        `the unfinished uploads under ${this.prefix || 'the bucket'}`,
        's3:ListBucketMultipartUploads',
        () =>
          this.listUploads().catch((error) => (notImplemented(error) ? undefined : Promise.reject(error))),
      ],
    ];
    for (const [index, [doing, what, permission, send]] of steps.entries()) {
      try {
        await send();
      } catch (error) {
        if (index > 0) await this.client.send(new DeleteObjectCommand({ Bucket, Key })).catch(() => {});
        throw this.unusable(error, doing, permission, what);
      }
    }
  }

  /** What `error`, met doing `doing` to `what` (the check's object), means for the operator, and what to do. */
  private unusable(error: unknown, doing: string, permission: string, what: string): FileStoreUnusable {
    const { name, message, $metadata } = error as Error & { $metadata?: { httpStatusCode?: number } };
    const bucket = `the S3 bucket ${this.bucket} (S3_BUCKET${this.prefix ? `, S3_PREFIX ${this.prefix}` : ''})`;
    const service = `The S3 service${this.endpoint ? ` at ${this.endpoint} (S3_ENDPOINT)` : ''}`;
    const accessKey = this.accessKeyId
      ? `the access key ${this.accessKeyId} (S3_ACCESS_KEY_ID)`
      : 'the access key the AWS SDK found (S3_ACCESS_KEY_ID is not set)';
    if (name === 'NoSuchBucket') {
      return new FileStoreUnusable(
        `The S3 bucket ${this.bucket} (S3_BUCKET) does not exist${this.endpoint ? ` at ${this.endpoint} (S3_ENDPOINT)` : ''}. ` +
          "Create it (with versioning on: docs/operations.md), or set S3_BUCKET to s2s's bucket.",
      );
    }
    if (name === 'InvalidAccessKeyId') {
      return new FileStoreUnusable(
        `${service} does not know ${accessKey}. ` +
          `Set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY to a key of the account that holds the bucket ${this.bucket}.`,
      );
    }
    if (name === 'SignatureDoesNotMatch') {
      return new FileStoreUnusable(
        `${service} refused the secret key given for ${accessKey.replace(' (S3_ACCESS_KEY_ID)', '')} (S3_SECRET_ACCESS_KEY): ` +
          "the signature does not match. Set S3_SECRET_ACCESS_KEY to that key's secret.",
      );
    }
    if (name === 'CredentialsProviderError') {
      return new FileStoreUnusable(
        `s2s has no credentials for ${bucket}: set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or give the machine a role that may use the bucket.`,
      );
    }
    if (forbidden(error)) {
      const resource =
        permission === 's3:ListBucket'
          ? `arn:aws:s3:::${this.bucket}${this.prefix ? ` with the condition s3:prefix ${this.prefix}*` : ''}`
          : permission === 's3:ListBucketMultipartUploads'
            ? `arn:aws:s3:::${this.bucket} without a condition (it takes no s3:prefix: one never matches)`
            : `arn:aws:s3:::${this.bucket}/${this.prefix}*`;
      return new FileStoreUnusable(
        `The credentials s2s uses for ${bucket} may not ${doing} ${what}: S3 answered Access Denied. ` +
          `Grant them ${permission} on ${resource} (docs/operations.md gives the whole policy s2s needs).`,
      );
    }
    // No answer at all: refused, timed out, a name that does not resolve.
    if ($metadata?.httpStatusCode === undefined) {
      return new FileStoreUnusable(
        `${service} cannot be reached: ${message}. Check S3_ENDPOINT and the network.`,
      );
    }
    return new FileStoreUnusable(
      `${bucket.charAt(0).toUpperCase()}${bucket.slice(1)} cannot be used: S3 answered ${name} (${message}) when s2s tried to ${doing} ${what}. ` +
        "Check the S3_ settings and the bucket's policy (docs/operations.md).",
    );
  }

  async *list(): AsyncIterable<StoredObject> {
    const pages = paginateListObjectsV2(
      { client: this.client, pageSize: this.pageSize },
      // The delimiter keeps to the prefix's own level, as the disk store keeps to its folder.
      { Bucket: this.bucket, Prefix: this.prefix, Delimiter: '/' },
    );
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.prefix.length);
        if (!key || !SAFE_KEY.test(key)) continue;
        yield { key, modifiedAt: object.LastModified ?? new Date(0), partial: false };
      }
    }
    yield* this.unfinishedUploads();
  }

  /** Multipart uploads started and never completed nor aborted (a crash in the middle of a put). */
  private async *unfinishedUploads(): AsyncIterable<StoredObject> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      let page: Awaited<ReturnType<S3FileStore['listUploads']>>;
      try {
        page = await this.listUploads(keyMarker, uploadIdMarker);
      } catch (error) {
        // Such a service cannot show them: the bucket's lifecycle rule must abort them (decision 25).
        if (notImplemented(error)) return;
        throw error;
      }
      for (const upload of page.Uploads ?? []) {
        const key = upload.Key?.slice(this.prefix.length);
        if (!key || !SAFE_KEY.test(key) || !upload.UploadId) continue;
        yield {
          key: `${MULTIPART}${key}/${upload.UploadId}`,
          modifiedAt: upload.Initiated ?? new Date(0),
          partial: true,
        };
      }
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  private listUploads(keyMarker?: string, uploadIdMarker?: string) {
    return this.client.send(
      new ListMultipartUploadsCommand({
        Bucket: this.bucket,
        Prefix: this.prefix,
        Delimiter: '/',
        MaxUploads: this.pageSize,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      }),
    );
  }

  private async abortUpload(objectKey: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId }),
      );
    } catch (error) {
      // Aborted already (by the sweep of another process, say): what remove() wanted.
      if ((error as { name?: string }).name === 'NoSuchUpload') return;
      throw error;
    }
  }

  private parseMultipart(name: string): { objectKey: string; uploadId: string } {
    if (!name.startsWith(MULTIPART)) throw invalidKey(name);
    const rest = name.slice(MULTIPART.length);
    const slash = rest.indexOf('/');
    const key = rest.slice(0, slash);
    const uploadId = rest.slice(slash + 1);
    if (slash < 0 || !uploadId) throw invalidKey(name);
    return { objectKey: this.objectKey(key), uploadId };
  }

  /** The object's name in the bucket: the configured prefix, then a key checked as the disk store does. */
  private objectKey(key: string): string {
    if (!SAFE_KEY.test(key)) throw invalidKey(key);
    return `${this.prefix}${key}`;
  }
}
