// A real S3-compatible HTTP server for the tests: s3rver, in a process of its own (s3rver-process.ts
// says why and what it adds), on a free port of the loopback, keeping its buckets in a new temporary
// folder, with the tests' bucket created through the S3 API.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before } from 'node:test';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3StoreConfig } from '../../src/config.ts';

/** s3rver's default account. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const REGION = 'eu-west-2';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** Where s3rver keeps the buckets. */
  directory: string;
  /** A client of its own, to look at the bucket from outside the store. */
  client: S3Client;
  /** The store's settings for the bucket, as config.ts makes them. */
  storeConfig(prefix?: string): S3StoreConfig;
  /** The environment that selects the bucket (FILE_STORE=s3 ...), for loadConfig. */
  env: Record<string, string>;
  /** The S3 operations s3rver received so far, oldest first (CreateMultipartUpload, UploadPart...). */
  requests(): Promise<string[]>;
  /** Stops the server (the tests of an unreachable store call it early). */
  stop(): Promise<void>;
  /**
   * Freezes the server's process (SIGSTOP): its connections stay open and nothing is answered, as a
   * service that hangs; `thaw` lets it go on.
   */
  freeze(): void;
  thaw(): void;
  /** Stops the server if it runs, and removes its folder. */
  remove(): Promise<void>;
}

async function listeningPort(child: ChildProcess): Promise<number> {
  const lines = createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`s3rver stopped before it listened (exit code ${code})`);
  });
  const listening = (async () => {
    for await (const line of lines) {
      const match = /^listening (\d+)$/.exec(line);
      if (match) return Number(match[1]);
    }
    throw new Error('s3rver said nothing');
  })();
  return Promise.race([listening, exited]);
}

export interface S3Options {
  /** Adds the listing and abort of multipart uploads that s3rver lacks. */
  multipartUploads?: boolean;
  /**
   * Answers as S3 does to credentials whose policy grants the object permissions on this prefix alone,
   * and ListBucket only with the condition that the listing's prefix is within it (s3rver-process.ts).
   */
  onlyPrefix?: string;
  /** With `onlyPrefix`: that policy without GetObject, so every HEAD or GET of an object is refused. */
  withoutGetObject?: boolean;
  /** With `onlyPrefix`: that policy with the reads alone (GetObject, ListBucket), no write or delete. */
  readOnly?: boolean;
  /** With `onlyPrefix`: that policy refusing every listing of unfinished uploads (a condition it never matches). */
  withoutUploadListing?: boolean;
}

/**
 * Starts s3rver; `multipartUploads` adds the listing and abort of multipart uploads that s3rver lacks
 * (without it, the server is what a service without them does); `onlyPrefix` plays a bucket policy.
 */
export async function startS3(options: S3Options = {}): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 's2s-s3rver-'));
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      '--import',
      'tsx',
      join(import.meta.dirname, 's3rver-process.ts'),
      directory,
      ...(options.multipartUploads ? ['multipart'] : []),
      ...(options.onlyPrefix !== undefined ? [`only-prefix=${options.onlyPrefix}`] : []),
      ...(options.withoutGetObject ? ['no-get-object'] : []),
      ...(options.readOnly ? ['read-only'] : []),
      ...(options.withoutUploadListing ? ['no-upload-listing'] : []),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const endpoint = `http://127.0.0.1:${await listeningPort(child)}`;
  const bucket = 's2s-test-files';
  const client = new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials: CREDENTIALS });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    client.destroy();
    const exited = once(child, 'exit');
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    await exited;
  };
  return {
    endpoint,
    bucket,
    directory,
    client,
    storeConfig: (prefix = '') => ({
      bucket,
      region: REGION,
      endpoint,
      forcePathStyle: true,
      prefix,
      credentials: CREDENTIALS,
    }),
    env: {
      FILE_STORE: 's3',
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    },
    requests: async () => (await (await fetch(`${endpoint}/__requests`)).json()) as string[],
    stop,
    freeze: () => child.kill('SIGSTOP'),
    thaw: () => child.kill('SIGCONT'),
    remove: async () => {
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * A server for the tests of the suite (or file) this is called in: started before them, removed after.
 * Returns a getter, as describeEachEngine does.
 */
export function s3ForTests(options: S3Options = {}): () => TestS3 {
  let s3: TestS3 | undefined;
  before(async () => {
    s3 = await startS3(options);
  });
  after(async () => {
    await s3?.remove();
  });
  return () => {
    if (!s3) throw new Error('s3rver is not running yet');
    return s3;
  };
}
