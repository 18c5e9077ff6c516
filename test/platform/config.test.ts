import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

const KEY = Buffer.alloc(32, 7).toString('base64');

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return '';
}

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

test('production lists every missing setting at once, each saying what to set', () => {
  const missingKeyFile = '/nonexistent/s2s/master.key';
  let message = '';
  try {
    loadConfig({ S2S_ENV: 'production', MASTER_KEY_FILE: missingKeyFile });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    message = error.message;
  }
  assert.match(message, /COOKIE_SECRET: must be set in production \(at least 32 random characters\)/);
  assert.match(message, /SMTP_HOST: must be set to send email over SMTP/);
  assert.match(message, /SERVICE_URL: must be set in production: emails link to it/);
  assert.match(
    message,
    /CLAMD_SOCKET: uploads are always scanned for malware in production: set CLAMD_SOCKET/,
  );
  assert.match(
    message,
    /MASTER_KEY: must be set in production, or a key put in \/nonexistent\/s2s\/master.key/,
  );
  // And a bad value beside them.
  assert.throws(
    () => loadConfig({ S2S_ENV: 'production', PORT: 'abc', MASTER_KEY_FILE: missingKeyFile }),
    (e: unknown) =>
      e instanceof ConfigError &&
      /PORT: must be a whole number/.test(e.message) &&
      /COOKIE_SECRET/.test(e.message),
  );
});

test('a value zod refuses is named with what it takes, in words', () => {
  assert.throws(() => loadConfig({ PORT: 'abc' }), /PORT: must be a whole number from 0 to 65535/);
  assert.doesNotMatch(
    errorOf(() => loadConfig({ PORT: 'abc' })),
    /NaN|Invalid input/,
  );
  assert.throws(
    () => loadConfig({ FILE_STORE: 's3', S3_BUCKET: 'b', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: '' }),
    /S3_SECRET_ACCESS_KEY: is set but empty: give it a value, or leave it out/,
  );
  assert.throws(
    () => loadConfig({ TRUST_PROXY: 'maybe' }),
    /TRUST_PROXY: must be one of [^\n]*true, false, yes, no/,
  );
  assert.throws(() => loadConfig({ SIGN_IN_MAX_FAILURES: '0' }), /SIGN_IN_MAX_FAILURES: must be at least 1/);
  assert.throws(
    () => loadConfig({ SIGN_IN_MAX_FAILURES: '2.5' }),
    /SIGN_IN_MAX_FAILURES: must be a whole number/,
  );
});

test('production with MALWARE_SCAN=off says it cannot be off, whatever else is set', () => {
  const production = {
    S2S_ENV: 'production',
    COOKIE_SECRET: 'x'.repeat(40),
    SMTP_HOST: 'smtp.example.gov.uk',
    SERVICE_URL: 'https://s2s.example.gov.uk',
    MASTER_KEY: KEY,
    CLAMD_SOCKET: '/run/clamav/clamd.ctl',
  };
  assert.throws(
    () => loadConfig({ ...production, MALWARE_SCAN: 'off' }),
    /MALWARE_SCAN: cannot be off in production: uploads are always scanned for malware; leave MALWARE_SCAN out \(or set it to clamd\)/,
  );
});

test('production warns of settings that weaken it: no TRUST_PROXY, an http address, SMTP without TLS', () => {
  const production = {
    S2S_ENV: 'production',
    COOKIE_SECRET: 'x'.repeat(40),
    SMTP_HOST: 'smtp.example.gov.uk',
    SERVICE_URL: 'https://s2s.example.gov.uk',
    MASTER_KEY: KEY,
    CLAMD_SOCKET: '/run/clamav/clamd.ctl',
  };
  const warnings = loadConfig(production).warnings;
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /TRUST_PROXY is not set/);
  assert.match(warnings[0] ?? '', /one address/);
  assert.match(warnings[0] ?? '', /sign-in for everyone/);
  assert.match(warnings[0] ?? '', /Set TRUST_PROXY=true/);
  assert.deepEqual(loadConfig({ ...production, TRUST_PROXY: 'true' }).warnings, []);
  const weak = loadConfig({
    ...production,
    TRUST_PROXY: 'true',
    SERVICE_URL: 'http://s2s.example.gov.uk',
    SMTP_REQUIRE_TLS: 'false',
  }).warnings;
  assert.equal(weak.length, 2);
  assert.match(weak.join('\n'), /SERVICE_URL is http:\/\//);
  assert.match(weak.join('\n'), /SMTP_REQUIRE_TLS=false/);
  assert.deepEqual(
    loadConfig({ SMTP_HOST: 'mail.test', SMTP_REQUIRE_TLS: 'false' }).warnings,
    [],
    'only in production',
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
    MASTER_KEY: KEY,
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
  const base = { S2S_ENV: 'production', COOKIE_SECRET: 'x'.repeat(40), MASTER_KEY: KEY };
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
    MASTER_KEY: KEY,
  };
  assert.throws(
    () => loadConfig(production),
    /CLAMD_SOCKET: uploads are always scanned for malware in production/,
  );
  assert.throws(
    () => loadConfig({ ...production, MALWARE_SCAN: 'off' }),
    /MALWARE_SCAN: cannot be off in production/,
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

test('/healthz waits 3 seconds for each check unless told, a whole number from 1 to 60', () => {
  assert.equal(loadConfig({}).healthCheckTimeoutSeconds, 3);
  assert.equal(loadConfig({ HEALTH_CHECK_TIMEOUT_SECONDS: '10' }).healthCheckTimeoutSeconds, 10);
  assert.throws(
    () => loadConfig({ HEALTH_CHECK_TIMEOUT_SECONDS: '0' }),
    /HEALTH_CHECK_TIMEOUT_SECONDS: must be at least 1/,
  );
  assert.throws(
    () => loadConfig({ HEALTH_CHECK_TIMEOUT_SECONDS: '61' }),
    /HEALTH_CHECK_TIMEOUT_SECONDS: must be at most 60/,
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
