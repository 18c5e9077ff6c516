// /metrics for Prometheus, and the count of every HTTP request it reports. Not public: the scraper sends
// METRICS_TOKEN as a bearer token (compared in constant time); without the setting there is no
// /metrics (404) and nothing is counted. No session or CSRF applies (it is a GET with no cookie); the
// security headers do.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.ts';
import { bearerToken } from './http.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

export function registerMetrics(app: FastifyInstance, metrics: Metrics | null, token: string | null): void {
  if (!metrics || !token) return;
  app.addHook('onResponse', async (request, reply) => {
    // The route's pattern (/api/v1/files/:id), never request.url: addresses hold ids and searches.
    metrics.httpRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
  });
  countCuts(app, metrics);
  const expected = digest(token);
  app.get('/metrics', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const given = bearerToken(request);
    // Digests have one length, so the comparison takes the same time whatever was sent.
    if (!given || !timingSafeEqual(digest(given), expected)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="s2s metrics"')
        .type('text/plain; charset=utf-8')
        .send('Send the METRICS_TOKEN setting as "Authorization: Bearer <token>" to read the metrics.\n');
    }
    const { text, contentType } = await metrics.exposition();
    return reply.type(contentType).send(text);
  });
}

/**
 * Counts the connections the request limits close (http.ts) with a request under way: Node ends them
 * itself, so no route answers and onResponse never runs. A request whose headers were still arriving
 * (a slow client that never finishes them) is under way too, and counted as idle: bytes came after the
 * last answered request, and no request was made of them. A connection idle between requests
 * (keep-alive), or one that sent nothing at all, is closed as it always was, and not counted.
 */
function countCuts(app: FastifyInstance, metrics: Metrics): void {
  const underWay = new WeakMap<Socket, number>();
  /** The bytes read on a connection when its last request was answered (all of that request's). */
  const readByAnswered = new WeakMap<Socket, number>();
  app.server.on('request', (request, response) => {
    const socket = request.socket;
    underWay.set(socket, (underWay.get(socket) ?? 0) + 1);
    response.once('close', () => {
      underWay.set(socket, (underWay.get(socket) ?? 1) - 1);
      readByAnswered.set(socket, socket.bytesRead);
    });
  });
  app.server.on('connection', (socket: Socket) => {
    socket.on('timeout', () => {
      const requestUnderWay = (underWay.get(socket) ?? 0) > 0;
      const headersArriving = socket.bytesRead > (readByAnswered.get(socket) ?? 0);
      if (requestUnderWay || headersArriving) metrics.connectionCut('idle');
    });
  });
  // Beside Fastify's own handler, which answers 408 and closes the connection.
  app.server.on('clientError', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') metrics.connectionCut('request-timeout');
  });
}
