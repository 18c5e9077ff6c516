// /metrics on both engines: Prometheus text that parses, counters that move with requests, uploads and
// job runs, queue depths read from the database, nothing about pupils or files in it, and no access
// without METRICS_TOKEN.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { scheduledJobs } from '../../src/jobs.ts';
import { outboxCounts } from '../../src/notifications/outbox.ts';
import { Scheduler } from '../../src/platform/jobs/scheduler.ts';
import { Metrics } from '../../src/platform/metrics.ts';
import { api, makeToken, uploadFiles } from '../api/support.ts';
import { ctfBetween, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { EICAR, TestClamd } from '../support/clamd.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { createTestApp, type TestApp } from '../support/web.ts';

const TOKEN = 'metrics-token-0123456789abcdef0123456789';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Reads the text exposition format line by line; any line it does not recognise fails the test. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const label = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
  const sampleLine = new RegExp(`^(${name})(?:\\{((?:${label})(?:,${label})*)?,?\\})? (\\S+)(?: -?\\d+)?$`);
  const typed = new Set<string>();
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const comment = new RegExp(`^# (HELP|TYPE) (${name}) (.*)$`).exec(line);
    if (comment) {
      if (comment[1] === 'TYPE') {
        assert.match(comment[3] ?? '', /^(counter|gauge|histogram|summary|untyped)$/, line);
        typed.add(comment[2] ?? '');
      }
      continue;
    }
    const match = sampleLine.exec(line);
    assert.ok(match, `not a Prometheus sample line: ${line}`);
    const [, sampleName = '', labelText = '', valueText = ''] = match;
    assert.ok(
      [...typed].some((family) => sampleName === family || sampleName.startsWith(`${family}_`)),
      `${sampleName} follows its # TYPE line`,
    );
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    // Prometheus reads values with Go's ParseFloat, which takes NaN in any case; prom-client writes
    // "Nan" for the event loop lag before its first sample.
    assert.ok(/^nan$/i.test(valueText) || !Number.isNaN(value), `a number: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] ?? ''] = pair[2] ?? '';
    samples.push({ name: sampleName, labels, value });
  }
  return samples;
}

/** The value of the sample with this name and these labels (0 when it has not appeared yet). */
function sampleValue(samples: Sample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  assert.ok(found.length <= 1, `one sample of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

let clamd: TestClamd;
before(async () => {
  clamd = await TestClamd.start();
});
after(async () => {
  await clamd?.stop();
});

describeEachEngine('/metrics', (database) => {
  let t: TestApp;
  const scrape = () => t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });

  before(async () => {
    t = await createTestApp(database().db, { METRICS_TOKEN: TOKEN, CLAMD_SOCKET: clamd.socket });
  });
  after(async () => {
    await t.app.close();
  });

  test('without METRICS_TOKEN there is no /metrics', async () => {
    const plain = await createTestApp(database().db);
    try {
      assert.equal((await plain.app.inject({ url: '/metrics' })).statusCode, 404);
      const withToken = await plain.app.inject({
        url: '/metrics',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(withToken.statusCode, 404);
    } finally {
      await plain.app.close();
    }
  });

  test('401 without the token or with a wrong one; the security headers apply either way', async () => {
    for (const authorization of [undefined, `Bearer ${TOKEN.slice(0, -1)}x`, `Bearer ${TOKEN}x`, TOKEN]) {
      const response = await t.app.inject({
        url: '/metrics',
        headers: authorization ? { authorization } : {},
      });
      assert.equal(response.statusCode, 401, String(authorization));
      assert.match(String(response.headers['www-authenticate']), /^Bearer/);
      assert.doesNotMatch(response.body, /s2s_http_requests_total/);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
    }
    const allowed = await scrape();
    assert.equal(allowed.statusCode, 200);
    assert.match(String(allowed.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(allowed.headers['x-content-type-options'], 'nosniff');
    assert.ok(allowed.headers['content-security-policy']);
    assert.equal(allowed.headers['cache-control'], 'no-store');
  });

  test('requests, uploads by outcome, job runs and queue depths move, and nothing names a pupil or a file', async () => {
    const db = database().db;
    const la = await makeLa(db);
    const otherLa = await makeLa(db);
    const source = await makeSchool(db, la.number);
    const destination = await makeSchool(db, otherLa.number);
    const user = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: source.number });
    const token = await makeToken(db, user, 'transfer', t.clock);
    const before = parseExposition((await scrape()).body);

    const pupil = syntheticPupil(7, { lea: la.number, estab: source.number.slice(3) }, false);
    const ctfName = `${source.number}_CTF_${destination.number}_001.XML`;
    const virusName = `${source.number}_${destination.number}_VIRUS.TXT`;
    const badName = `${source.number}_NOT_A_NAME.XML`;
    const upload = async (filename: string, content: string) =>
      (await uploadFiles(t.app, token, [{ filename, content }])).json().results[0];
    const stored = await upload(ctfName, ctfBetween(source.number, destination.number, [pupil]));
    assert.equal(stored.status, 'accepted');
    assert.equal((await upload(badName, 'x')).status, 'refused');
    assert.ok((await upload(virusName, EICAR)).quarantinedTransferId);
    const unknownId = randomUUID();
    assert.equal((await api(t.app, { url: `/api/v1/files/${unknownId}`, token })).statusCode, 404);
    assert.equal((await t.app.inject({ url: '/sign-in' })).statusCode, 200);
    const scheduler = new Scheduler(t.deps, scheduledJobs(t.deps));
    assert.equal((await scheduler.runNow('seal-audit')).status, 'succeeded');

    const text = (await scrape()).body;
    const now = parseExposition(text);
    const moved = (name: string, labels: Record<string, string>) =>
      sampleValue(now, name, labels) - sampleValue(before, name, labels);
    for (const outcome of ['stored', 'refused', 'quarantined'])
      assert.equal(moved('s2s_uploads_total', { outcome }), 1, outcome);
    assert.equal(moved('s2s_http_requests_total', { method: 'GET', route: '/sign-in', status: '200' }), 1);
    const uploadRequests = ['201', '422'].map((status) =>
      moved('s2s_http_requests_total', { method: 'POST', route: '/api/v1/files', status }),
    );
    assert.equal(uploadRequests[0], 1, 'the stored file: 201');
    assert.equal(uploadRequests[1], 2, 'the others: 422');
    const byId = { method: 'GET', route: '/api/v1/files/:id', status: '404' };
    assert.equal(moved('s2s_http_requests_total', byId), 1, 'labelled by the pattern, not the address');
    assert.equal(moved('s2s_http_request_duration_seconds_count', byId), 1);
    assert.equal(moved('s2s_job_runs_total', { job: 'seal-audit', outcome: 'succeeded' }), 1);
    const { pending } = await outboxCounts(db);
    assert.ok(pending > 0, 'the uploads wrote emails');
    assert.equal(sampleValue(now, 's2s_queue_depth', { queue: 'notifications-pending' }), pending);
    assert.equal(sampleValue(now, 's2s_queue_depth', { queue: 'files-awaiting-scan' }), 0);
    for (const unit of ['files', 'bytes']) {
      assert.ok(
        now.some((s) => s.name === 's2s_content_checks_waiting' && s.labels.unit === unit),
        `the app reports its content-check ${unit} waiting`,
      );
      assert.equal(sampleValue(now, 's2s_content_checks_waiting', { unit }), 0, 'all read by now');
    }
    assert.ok(sampleValue(now, 'process_cpu_user_seconds_total', {}) > 0, "Node's own metrics");

    for (const secret of [
      ctfName,
      virusName,
      badName,
      stored.transferId,
      unknownId,
      pupil.upn,
      pupil.surname,
      user.username,
      token,
    ]) {
      assert.ok(!text.includes(secret), `${secret} is not in /metrics`);
    }
  });
});

test('the files waiting for a content-check worker are reported as this process holds them', async () => {
  const metrics = new Metrics(async () => ({}));
  let backlog = { queued: 3, queuedBytes: 9_000_000 };
  metrics.watchContentChecks(() => backlog);
  const read = async () => parseExposition((await metrics.exposition()).text);
  let samples = await read();
  assert.equal(sampleValue(samples, 's2s_content_checks_waiting', { unit: 'files' }), 3);
  assert.equal(sampleValue(samples, 's2s_content_checks_waiting', { unit: 'bytes' }), 9_000_000);
  backlog = { queued: 0, queuedBytes: 0 };
  samples = await read();
  assert.equal(sampleValue(samples, 's2s_content_checks_waiting', { unit: 'files' }), 0);
});
