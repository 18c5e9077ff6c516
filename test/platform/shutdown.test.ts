// `s2s serve` told to stop (SIGTERM) lets the requests in progress finish for a few seconds, then closes
// their connections and exits: a request whose body never ends held the process for Fastify's keep-alive
// timeout or longer, past the 30 s an orchestrator allows before it kills the process.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { startService } from '../e2e/browser.ts';

// The timeout only stops a hang: without the cut-off the request below holds the process for minutes.
test('a node told to stop closes a connection whose request never ends, and exits', {
  timeout: 60_000,
}, async () => {
  const node = await startService({ LOG_LEVEL: 'silent', SCHEDULER: 'off' });
  const { hostname, port } = new URL(node.baseUrl);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let closedByTheNode = false;
  socket.on('close', () => {
    closedByTheNode = true;
  });
  socket.on('error', () => {});
  // A form whose body says 1,000 bytes and sends 3: the node waits for the rest, which never comes.
  socket.write(
    'POST /sign-in HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
      'Content-Length: 1000\r\n\r\nabc',
  );
  // That the request has reached the node: another request on another connection is answered after it.
  assert.equal((await fetch(`${node.baseUrl}/healthz`)).status, 200);
  // Without the cut-off the node waits for that body for ever: after the 30 s an orchestrator allows
  // before it kills a process, the test gives up and ends the connection itself, so that the node exits.
  let gaveUp = false;
  const orchestratorKills = setTimeout(() => {
    gaveUp = true;
    socket.destroy();
  }, 30_000);
  await node.stop();
  clearTimeout(orchestratorKills);
  assert.equal(gaveUp, false, 'the node had not exited 30 s after it was told to stop');
  assert.equal(closedByTheNode, true, 'the node closed the connection before it exited');
});
