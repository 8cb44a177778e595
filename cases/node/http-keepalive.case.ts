// A real Node HTTP/1.1 server (http-keepalive-server.mjs, started with host.spawn in
// the server host) keeps an idle connection open after its last response, advertising
// `Keep-Alive: timeout=<server.keepAliveTimeout>` (Node's default is 5 s; 1 s here,
// given on its command line). Since Node 20 the server waits one second longer than it
// advertises (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER), so that a client reusing the
// connection just before the advertised timeout does not race the close. Then it
// closes it: socket.destroy() with nothing left to send or read is a close(), so the
// server sends FIN, not RST. The client reads the response, then EOF once the timeout
// has run out, and closes in turn: it is the passive closer (CLOSE_WAIT → LAST_ACK),
// the server goes FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT.
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

const SERVER = fileURLToPath(new URL('./http-keepalive-server.mjs', import.meta.url));
const KEEP_ALIVE_MS = 1000;
/** what Node 20 adds to keepAliveTimeout before it closes (lib/_http_server.js) */
const NODE_BUFFER_MS = 1000;

tcpCase('node http keep-alive: the server closes an idle connection with FIN after keepAliveTimeout', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const http = await server.spawn(process.execPath, [SERVER, '8080', String(KEEP_ALIVE_MS), server.address()], { ready: 'listening' });

  const conn = await client.connect(server, 8080);
  await conn.write('GET / HTTP/1.1\r\nHost: server\r\n\r\n');
  const response = (await conn.read()).toString('latin1'); // to EOF: the server closes when idle
  expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  expect(response).toMatch(/\r\nConnection: keep-alive\r\n/i);
  expect(response).toMatch(new RegExp(`\\r\\nKeep-Alive: timeout=${KEEP_ALIVE_MS / 1000}\\r\\n`, 'i'));
  expect(response.endsWith('hello from tcpladder\n')).toBe(true);

  // Linux delays the ACK of a FIN that carries no data: let it go out on its own
  // before closing, or the client's FIN would carry it.
  await expect(wire).toHaveSegments(['...', 'server > client FIN ACK', 'client > server ACK ack=fin+1', '...']);
  await conn.close();
  await http.waitForOutput('closed');

  await expect(wire).toHaveSegments([
    'client > server SYN',
    'server > client SYN ACK',
    'client > server ACK',
    'client > server PSH ACK', // the request
    '...', // the server's ACK, unless the response carries it
    'server > client PSH ACK', // the response, in one segment
    'client > server ACK',
    'server > client FIN ACK', // keepAliveTimeout + 1 s later
    'client > server ACK ack=fin+1',
    'client > server FIN ACK',
    'server > client ACK ack=fin+1',
  ]);

  // The FIN comes keepAliveTimeout + 1 s after the response: not at once, not at the
  // advertised timeout, and not at Node's 5 s default.
  const segments = wire.segments();
  const responseAt = segments.findLast((s) => s.from === 'server' && s.len > 0)!.t;
  const finAt = segments.find((s) => s.from === 'server' && s.flags.includes('FIN'))!.t;
  const idleMs = (finAt - responseAt) * 1000;
  expect(idleMs).toBeGreaterThan(KEEP_ALIVE_MS + NODE_BUFFER_MS - 100);
  expect(idleMs).toBeLessThan(KEEP_ALIVE_MS + NODE_BUFFER_MS + 700);

  await expect(conn).toHaveStates(['SYN_SENT', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
  expect(http.stdout).toMatch(/^request GET \/ from /m);
});
