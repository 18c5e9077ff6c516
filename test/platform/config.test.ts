import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

test('defaults run the service on SQLite under ./data with demo data', () => {
  const config = loadConfig({});
  assert.equal(config.env, 'development');
  assert.equal(config.port, 3000);
  assert.equal(config.databaseUrl, 'sqlite:./data/s2s.sqlite');
  assert.equal(config.seedDemoData, true);
  assert.equal(config.cookieSecret, null, 'derived from the master key (deps.ts)');
});

test('a bad value stops start-up with a message naming the variable', () => {
  assert.throws(
    () => loadConfig({ PORT: 'eighty' }),
    (e: unknown) => e instanceof ConfigError && /PORT/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ DATABASE_URL: 'mysql://x' }),
    /DATABASE_URL: must start with sqlite: or postgres/,
  );
});

test('production needs a cookie secret and never loads demo data', () => {
  assert.throws(() => loadConfig({ S2S_ENV: 'production' }), /COOKIE_SECRET: must be set in production/);
  const secret = 'x'.repeat(40);
  const production = {
    S2S_ENV: 'production',
    COOKIE_SECRET: secret,
    SMTP_HOST: 'smtp.example.gov.uk',
    SERVICE_URL: 'https://s2s.example.gov.uk',
    CLAMD_SOCKET: '/run/clamav/clamd.ctl',
  };
  assert.equal(loadConfig(production).seedDemoData, false);
  assert.throws(
    () => loadConfig({ ...production, SEED_DEMO_DATA: 'true' }),
    /demo data is never loaded in production/,
  );
});

test('outside production emails go to the mail log unless an SMTP server is named', () => {
  const config = loadConfig({});
  assert.deepEqual(config.mail, { transport: 'log', from: 's2s <no-reply@s2s.example.gov.uk>' });
  assert.equal(config.serviceUrl, 'http://localhost:3000');
  assert.equal(config.scheduler, true);
  const smtp = loadConfig({ SMTP_HOST: 'mail.test', SMTP_PORT: '2525', SERVICE_URL: 'https://s2s.test/' });
  assert.deepEqual(smtp.mail, {
    transport: 'smtp',
    from: 's2s <no-reply@s2s.example.gov.uk>',
    host: 'mail.test',
    port: 2525,
    secure: false,
    requireTls: false,
    auth: undefined,
  });
  assert.equal(smtp.serviceUrl, 'https://s2s.test', 'no trailing slash');
  assert.equal(loadConfig({ SCHEDULER: 'off' }).scheduler, false);
});

test('production sends over SMTP, with STARTTLS required, to links on its public address', () => {
  const base = { S2S_ENV: 'production', COOKIE_SECRET: 'x'.repeat(40) };
  assert.throws(() => loadConfig(base), /SMTP_HOST: must be set to send email over SMTP/);
  assert.throws(
    () => loadConfig({ ...base, MAIL_TRANSPORT: 'log' }),
    /MAIL_TRANSPORT: the mail log is for development/,
  );
  assert.throws(
    () => loadConfig({ ...base, SMTP_HOST: 'smtp.gov' }),
    /SERVICE_URL: must be set in production/,
  );
  const ok = loadConfig({
    ...base,
    SMTP_HOST: 'smtp.gov',
    SERVICE_URL: 'https://s2s.gov',
    SMTP_USER: 's2s',
    SMTP_PASSWORD: 'secret',
    CLAMD_SOCKET: '/run/clamav/clamd.ctl',
  });
  assert.equal(ok.mail.transport === 'smtp' && ok.mail.requireTls, true);
  assert.deepEqual(ok.mail.transport === 'smtp' && ok.mail.auth, { user: 's2s', password: 'secret' });
  assert.throws(
    () => loadConfig({ ...base, SMTP_HOST: 'smtp.gov', SERVICE_URL: 'https://s2s.gov', SMTP_USER: 's2s' }),
    /SMTP_USER and SMTP_PASSWORD go together/,
  );
  assert.throws(() => loadConfig({ SERVICE_URL: 'ftp://x' }), /SERVICE_URL/);
});

test('malware scanning: required in production, off elsewhere unless clamd is named', () => {
  const production = {
    S2S_ENV: 'production',
    COOKIE_SECRET: 'x'.repeat(40),
    SMTP_HOST: 'smtp.example.gov.uk',
    SERVICE_URL: 'https://s2s.example.gov.uk',
  };
  assert.throws(
    () => loadConfig(production),
    /CLAMD_SOCKET: uploads are always scanned for malware in production/,
  );
  assert.throws(
    () => loadConfig({ ...production, MALWARE_SCAN: 'off' }),
    /MALWARE_SCAN: uploads are always scanned for malware in production/,
  );
  assert.deepEqual(loadConfig({ ...production, CLAMD_HOST: 'clamd.internal' }).malwareScan, {
    address: { host: 'clamd.internal', port: 3310 },
    timeoutSeconds: 60,
  });
  assert.equal(loadConfig({}).malwareScan, null);
  assert.deepEqual(loadConfig({ CLAMD_SOCKET: '/tmp/clamd.sock', CLAMD_TIMEOUT_SECONDS: '5' }).malwareScan, {
    address: { socket: '/tmp/clamd.sock' },
    timeoutSeconds: 5,
  });
  assert.equal(loadConfig({ CLAMD_SOCKET: '/tmp/clamd.sock', MALWARE_SCAN: 'off' }).malwareScan, null);
  assert.throws(() => loadConfig({ MALWARE_SCAN: 'clamd' }), /MALWARE_SCAN=clamd needs a scanner/);
  assert.throws(() => loadConfig({ CLAMD_SOCKET: '/a', CLAMD_HOST: 'b' }), /not both/);
});

test('files are kept on disk unless FILE_STORE=s3 names a bucket', () => {
  assert.deepEqual(loadConfig({}).fileStore, { kind: 'disk', directory: './data/files' });
  assert.deepEqual(loadConfig({ FILE_STORE: 's3', S3_BUCKET: 's2s-files' }).fileStore, {
    kind: 's3',
    bucket: 's2s-files',
    region: 'eu-west-2',
    forcePathStyle: false,
    prefix: '',
  });
  const compatible = loadConfig({
    FILE_STORE: 's3',
    S3_BUCKET: 's2s-files',
    S3_REGION: 'us-east-1',
    S3_ENDPOINT: 'https://objects.example.net',
    S3_FORCE_PATH_STYLE: 'true',
    S3_PREFIX: '/s2s/live/',
    S3_ACCESS_KEY_ID: 'key-id',
    S3_SECRET_ACCESS_KEY: 'secret',
  });
  assert.deepEqual(compatible.fileStore, {
    kind: 's3',
    bucket: 's2s-files',
    region: 'us-east-1',
    endpoint: 'https://objects.example.net',
    forcePathStyle: true,
    prefix: 's2s/live/',
    credentials: { accessKeyId: 'key-id', secretAccessKey: 'secret' },
  });
});

test('the S3 store refuses to start without a bucket or with half a key', () => {
  assert.throws(() => loadConfig({ FILE_STORE: 's3' }), /S3_BUCKET: must be set with FILE_STORE=s3/);
  assert.throws(
    () => loadConfig({ FILE_STORE: 's3', S3_BUCKET: 'b3t', S3_ACCESS_KEY_ID: 'key-id' }),
    /S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together/,
  );
  assert.throws(() => loadConfig({ FILE_STORE: 'ftp' }), /FILE_STORE/);
  assert.throws(
    () => loadConfig({ FILE_STORE: 's3', S3_BUCKET: 'b3t', S3_ENDPOINT: 'objects.example.net' }),
    /S3_ENDPOINT: must be the address of the S3-compatible service/,
  );
  assert.throws(
    () => loadConfig({ FILE_STORE: 's3', S3_BUCKET: 'b3t', S3_PREFIX: 'a b' }),
    /S3_PREFIX: may hold only/,
  );
});

test('requests: the seconds one may send nothing, and may take to arrive, before its connection closes', () => {
  assert.deepEqual(loadConfig({}).requestLimits, { idleSeconds: 120, timeoutSeconds: 1800 });
  assert.deepEqual(loadConfig({ REQUEST_IDLE_SECONDS: '30', REQUEST_TIMEOUT_SECONDS: '600' }).requestLimits, {
    idleSeconds: 30,
    timeoutSeconds: 600,
  });
  assert.throws(() => loadConfig({ REQUEST_IDLE_SECONDS: '0' }), /REQUEST_IDLE_SECONDS: must be at least 1/);
  assert.throws(
    () => loadConfig({ REQUEST_TIMEOUT_SECONDS: '1.5' }),
    /REQUEST_TIMEOUT_SECONDS: must be a whole number of seconds/,
  );
});

test('content checks: a worker per core but one unless set, and the bytes that may wait for them', () => {
  const defaults = loadConfig({});
  assert.deepEqual(defaults.contentChecks, { workers: Math.max(1, availableParallelism() - 1) });
  assert.deepEqual(loadConfig({ CONTENT_CHECK_WORKERS: '3', CONTENT_CHECK_QUEUE_MB: '256' }).contentChecks, {
    workers: 3,
    maxQueuedBytes: 256 * 1024 * 1024,
  });
  assert.throws(
    () => loadConfig({ CONTENT_CHECK_WORKERS: '0' }),
    /CONTENT_CHECK_WORKERS: must be at least 1/,
  );
  assert.throws(
    () => loadConfig({ CONTENT_CHECK_WORKERS: 'two' }),
    (e: unknown) => e instanceof ConfigError && /CONTENT_CHECK_WORKERS/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ CONTENT_CHECK_QUEUE_MB: '4' }),
    /CONTENT_CHECK_QUEUE_MB: must be at least 16 \(one file of the largest size waits in it\)/,
  );
});

test('the idle time before signing out may be a fraction of a minute (for a browser test), at least 0.1', () => {
  assert.equal(loadConfig({}).session.idleMinutes, 30);
  assert.equal(loadConfig({ SESSION_IDLE_MINUTES: '0.25' }).session.idleMinutes, 0.25);
  assert.throws(() => loadConfig({ SESSION_IDLE_MINUTES: '0.05' }), /SESSION_IDLE_MINUTES/);
});
