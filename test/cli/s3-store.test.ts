// `s2s serve` (and the commands that write to the file store) with FILE_STORE=s3 and a bucket it cannot
// write, against a real S3-compatible server (s3rver, test/support/s3.ts): a missing bucket, an access
// key the service does not know, a policy that allows reads alone or not reads, a service that does not
// answer. (s3rver checks the access key, not a SigV4 signature: a wrong secret it lets through.) As with a disk store it cannot write, each
// stops the command at once, saying what is wrong and what to do, where serve started and only /healthz
// said 503.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { cliSandbox, type Run, runS2s, runServe } from '../support/cli.ts';
import { s3ForTests, startS3, type TestS3 } from '../support/s3.ts';

/**
 * What the command said on stderr, but for the AWS SDK's warning, on Node 20, that its releases from 2027
 * need Node 22 (the SDK's to say, at every start with an S3 store).
 */
function said(run: Run): string {
  return run.stderr.replace(
    /^\(node:\d+\) Warning: NodeVersionSupportWarning:[\s\S]*?\(Use `node --trace-warnings[^\n]*\n/,
    '',
  );
}

/** A message for the operator: no stack trace. */
function assertPlain(run: Run): void {
  assert.doesNotMatch(said(run), /\n\s+at /, 'no stack trace');
}

/** Every object in the bucket (under `prefix`, where a policy limits listings to it). */
async function objectsIn(s3: TestS3, prefix = ''): Promise<string[]> {
  const page = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((object) => object.Key ?? '');
}

describe('s2s with an S3 bucket it cannot write', () => {
  const sandbox = cliSandbox('s3-store', { database: true });
  const server = s3ForTests();

  function env(s3: TestS3, settings: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...sandbox.env, ...s3.env, ...settings };
  }

  test('serve with a bucket it can write starts, and leaves no object of its check behind', async () => {
    const s3 = server();
    const before = (await s3.requests()).length;
    const run = await runServe(env(s3, { S3_PREFIX: 'checked' }));
    assert.equal(run.listened, true, `serve started: ${run.stderr}`);
    const requests = (await s3.requests()).slice(before);
    assert.ok(requests.includes('PutObject'), `it wrote to the bucket: ${requests.join(', ')}`);
    assert.deepEqual(await objectsIn(s3), []);
  });

  test('a bucket that does not exist stops serve, naming S3_BUCKET and what to do', async () => {
    const s3 = server();
    const run = await runServe(env(s3, { S3_BUCKET: 'no-such-bucket' }));
    assert.equal(run.listened, false, 'serve did not start');
    assert.equal(run.code, 1);
    assert.equal(
      said(run),
      `s2s: The S3 bucket no-such-bucket (S3_BUCKET) does not exist at ${s3.endpoint} (S3_ENDPOINT). ` +
        "Create it (with versioning on: docs/operations.md), or set S3_BUCKET to s2s's bucket.\n",
    );
  });

  test('an access key the service does not know stops serve, naming the setting', async () => {
    const s3 = server();
    const unknown = await runServe(env(s3, { S3_ACCESS_KEY_ID: 'AKIAUNKNOWN' }));
    assert.equal(unknown.listened, false, 'serve did not start');
    assert.equal(unknown.code, 1);
    assert.equal(
      said(unknown),
      `s2s: The S3 service at ${s3.endpoint} (S3_ENDPOINT) does not know the access key AKIAUNKNOWN (S3_ACCESS_KEY_ID). ` +
        'Set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY to a key of the account that holds the bucket s2s-test-files.\n',
    );
  });

  test('a policy that allows reads alone stops serve, naming the permission missing and where', async () => {
    const s3 = await startS3({ onlyPrefix: 's2s/', readOnly: true });
    try {
      const run = await runServe(env(s3, { S3_PREFIX: 's2s' }));
      assert.equal(run.listened, false, 'serve did not start');
      assert.equal(run.code, 1);
      assertPlain(run);
      assert.equal(
        said(run),
        's2s: The credentials s2s uses for the S3 bucket s2s-test-files (S3_BUCKET, S3_PREFIX s2s/) may not write ' +
          's2s/.s2s-write-check-…: S3 answered Access Denied. Grant them s3:PutObject on arn:aws:s3:::s2s-test-files/s2s/* ' +
          '(docs/operations.md gives the whole policy s2s needs).\n',
      );
    } finally {
      await s3.remove();
    }
  });

  test('a policy without reads stops serve too, naming s3:GetObject, and leaves nothing in the bucket', async () => {
    const s3 = await startS3({ onlyPrefix: 's2s/', withoutGetObject: true });
    try {
      const run = await runServe(env(s3, { S3_PREFIX: 's2s' }));
      assert.equal(run.listened, false, 'serve did not start');
      assert.equal(run.code, 1);
      assert.match(
        said(run),
        /may not read s2s\/\.s2s-write-check-…: S3 answered Access Denied\. Grant them s3:GetObject on arn:aws:s3:::s2s-test-files\/s2s\/\*/,
      );
      assert.deepEqual(await objectsIn(s3, 's2s/'), [], 'what it wrote is removed');
    } finally {
      await s3.remove();
    }
  });

  test('a policy whose listing of unfinished uploads carries an s3:prefix condition stops serve, saying to drop it', async () => {
    // The whole policy otherwise, and a service that lists unfinished uploads: the sweep would fail nightly.
    const s3 = await startS3({ onlyPrefix: 's2s/', multipartUploads: true, withoutUploadListing: true });
    try {
      const run = await runServe(env(s3, { S3_PREFIX: 's2s' }));
      assert.equal(run.listened, false, 'serve did not start');
      assert.equal(run.code, 1);
      assertPlain(run);
      assert.equal(
        said(run),
        's2s: The credentials s2s uses for the S3 bucket s2s-test-files (S3_BUCKET, S3_PREFIX s2s/) may not list ' +
          'the unfinished uploads under s2s/: S3 answered Access Denied. Grant them s3:ListBucketMultipartUploads on ' +
          'arn:aws:s3:::s2s-test-files without a condition (it takes no s3:prefix: one never matches) ' +
          '(docs/operations.md gives the whole policy s2s needs).\n',
      );
      assert.deepEqual(await objectsIn(s3, 's2s/'), [], 'what it wrote is removed');
    } finally {
      await s3.remove();
    }
    // With the listing granted, it starts.
    const granted = await startS3({ onlyPrefix: 's2s/', multipartUploads: true });
    try {
      const run = await runServe(env(granted, { S3_PREFIX: 's2s' }));
      assert.equal(run.listened, true, run.stderr);
    } finally {
      await granted.remove();
    }
  });

  test('a service that does not answer stops serve; the jobs that delete files are not run against it', async () => {
    const s3 = await startS3();
    await s3.remove();
    const run = await runServe(env(s3));
    assert.equal(run.listened, false, 'serve did not start');
    assert.equal(run.code, 1);
    assertPlain(run);
    assert.match(
      said(run),
      new RegExp(
        `^s2s: The S3 service at ${s3.endpoint} \\(S3_ENDPOINT\\) cannot be reached: .*ECONNREFUSED.*\\. Check S3_ENDPOINT and the network\\.\n$`,
      ),
    );

    const sweep = runS2s(['jobs', 'run', 'sweep-files'], env(server(), { S3_BUCKET: 'no-such-bucket' }));
    assert.equal(sweep.code, 1);
    assertPlain(sweep);
    assert.match(
      said(sweep),
      /^The S3 bucket no-such-bucket \(S3_BUCKET\) does not exist .* sweep-files deletes stored files, so it was not run\.\n$/,
    );
  });
});
