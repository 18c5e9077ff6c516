// A running node does not wait for ever on a client that stops sending: a request that sends nothing for
// REQUEST_IDLE_SECONDS, or has not finished arriving after REQUEST_TIMEOUT_SECONDS, loses its connection
// (and whatever of its body was held), so a few slow or stalled clients cannot hold the node's
// connections and memory. Fastify sets neither limit by default. /metrics counts the connections cut.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import { Metrics } from '../../src/platform/metrics.ts';
import { registerMetrics } from '../../src/platform/web/metrics-routes.ts';
import { type RunningService, startService } from '../e2e/browser.ts';

let node: RunningService;
const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123456789';

/** The connections cut for `reason`, as /metrics counts them. */
async function cut(reason: 'idle' | 'request-timeout'): Promise<number> {
  const response = await fetch(`${node.baseUrl}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  const line = new RegExp(`^s2s_http_connections_cut_total\\{reason="${reason}"\\} (\\d+)$`, 'm');
  return Number(line.exec(await response.text())?.[1] ?? 0);
}

before(async () => {
  node = await startService({
    LOG_LEVEL: 'silent',
    SCHEDULER: 'off',
    REQUEST_IDLE_SECONDS: '1',
    REQUEST_TIMEOUT_SECONDS: '3',
    METRICS_TOKEN,
  });
});

after(async () => {
  await node.stop();
});

/** A connection to the node, and whether the node has closed it and what it answered. */
async function openConnection(): Promise<{ socket: Socket; closed: Promise<string> }> {
  const { hostname, port } = new URL(node.baseUrl);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let answer = '';
  socket.on('data', (chunk: Buffer) => {
    answer += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(answer)));
  return { socket, closed };
}

/** Waits for `closed`, or gives up after `seconds` and ends the connection itself (the test then fails). */
async function closedByTheNode(
  connection: { socket: Socket; closed: Promise<string> },
  seconds: number,
): Promise<{ byTheNode: boolean; answer: string }> {
  let gaveUp = false;
  const giveUp = setTimeout(() => {
    gaveUp = true;
    connection.socket.destroy();
  }, seconds * 1000);
  const answer = await connection.closed;
  clearTimeout(giveUp);
  return { byTheNode: !gaveUp, answer };
}

const FORM_HEAD =
  'POST /sign-in HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
  'Content-Length: 1000\r\n\r\n';

// The give-up times only stop a hang: without the limits the node holds these connections for ever.
test('a request that stops sending part way through its body loses its connection', {
  timeout: 60_000,
}, async () => {
  const idleBefore = await cut('idle');
  const connection = await openConnection();
  connection.socket.write(`${FORM_HEAD}abc`);
  const { byTheNode, answer } = await closedByTheNode(connection, 30);
  assert.equal(byTheNode, true, 'the node still held the stalled request 30 s later');
  // Closed for being idle, before the whole request's time (which answers 408) was up.
  assert.equal(answer, '');
  assert.equal(await cut('idle'), idleBefore + 1, 'counted for the operators');
  assert.equal((await fetch(`${node.baseUrl}/healthz`)).status, 200, 'the node answers others');
});

test('a request whose body trickles in, never idle, loses its connection when its time is up', {
  timeout: 60_000,
}, async () => {
  const timedOutBefore = await cut('request-timeout');
  const connection = await openConnection();
  connection.socket.write(FORM_HEAD);
  // A byte every 200 ms, well inside the idle limit: the 1,000 bytes would take 200 s.
  let sent = 0;
  const trickle = setInterval(() => {
    if (!connection.socket.destroyed) connection.socket.write('a');
    sent += 1;
  }, 200);
  const { byTheNode, answer } = await closedByTheNode(connection, 30);
  clearInterval(trickle);
  assert.equal(byTheNode, true, 'the node still held the trickling request 30 s later');
  assert.ok(sent < 1000, 'the body was cut off before it was complete');
  assert.match(answer, /^HTTP\/1\.1 408 /, 'the node answered 408 Request Timeout');
  assert.equal(await cut('request-timeout'), timedOutBefore + 1, 'counted for the operators');
});

test('a request sent in good time is answered as usual', async () => {
  const response = await fetch(`${node.baseUrl}/sign-in`);
  assert.equal(response.status, 200);
});

test('a connection closed idle between requests (keep-alive) is not counted as cut', {
  timeout: 60_000,
}, async () => {
  // The count on its own, in a server whose keep-alive time is short enough to wait for (the service's
  // is Fastify's 72 s): the same socket timeout ends a connection kept alive after its answer.
  const metrics = new Metrics(async () => ({}));
  const app = Fastify({ keepAliveTimeout: 500, connectionTimeout: 1000 });
  registerMetrics(app, metrics, METRICS_TOKEN);
  app.get('/', async () => 'ok');
  app.post('/', async () => 'ok');
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const counted = async (reason: string) =>
    Number(
      new RegExp(`^s2s_http_connections_cut_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(
        (await metrics.exposition()).text,
      )?.[1] ?? 0,
    );
  try {
    const { port } = new URL(address);
    // Read (resume), or a closed connection's end is never seen.
    const kept = connect(Number(port), '127.0.0.1').resume();
    const keptClosed = new Promise<void>((resolve) => kept.once('close', () => resolve()));
    kept.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await keptClosed;
    assert.equal(await counted('idle'), 0, 'kept alive, then closed idle: not a cut');
    const stalled = connect(Number(port), '127.0.0.1').resume();
    const stalledClosed = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
    stalled.write(
      'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nabc',
    );
    await stalledClosed;
    assert.equal(await counted('idle'), 1, 'a request under way, cut');
    // A client that never finishes its headers: cut as idle, and counted as such.
    const slowHeaders = connect(Number(port), '127.0.0.1').resume();
    const slowClosed = new Promise<void>((resolve) => slowHeaders.once('close', () => resolve()));
    slowHeaders.write('GET / HTTP/1.1\r\nHost: loc');
    await slowClosed;
    assert.equal(await counted('idle'), 2, 'headers still arriving, cut');
    // Nor after a request answered on the same connection.
    const second = connect(Number(port), '127.0.0.1').resume();
    const secondClosed = new Promise<void>((resolve) => second.once('close', () => resolve()));
    second.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    second.write('GET / HTTP/1.1\r\nHo');
    await secondClosed;
    assert.equal(await counted('idle'), 3, "the next request's headers still arriving, cut");
    // A connection that sent nothing at all (a probe, a browser's spare) is not a request cut.
    const silent = connect(Number(port), '127.0.0.1').resume();
    await new Promise<void>((resolve) => silent.once('close', () => resolve()));
    assert.equal(await counted('idle'), 3, 'nothing sent: not counted');
  } finally {
    await app.close();
  }
});

test('an address or cookies too long to read get a page saying so in English and Welsh, not JSON', async () => {
  // Past Node's 16 KB of headers: a long address, or a browser holding too many cookies for the site.
  const response = await fetch(`${node.baseUrl}/sign-in?${'a'.repeat(20_000)}`);
  assert.equal(response.status, 431);
  assert.match(response.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const page = await response.text();
  assert.match(page, /<html lang="en">/);
  assert.match(page, /The address or the cookies your browser sent are too long/);
  assert.match(page, /lang="cy"/);
  assert.doesNotMatch(page, /statusCode/);
});
