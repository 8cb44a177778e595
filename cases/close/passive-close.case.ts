// Passive close seen from the client (RFC 9293 §3.6): the server closes first, so the
// roles of the active-close case swap. The server goes FIN_WAIT_1 → FIN_WAIT_2 →
// TIME_WAIT and the client CLOSE_WAIT → LAST_ACK → CLOSED; the client reads EOF.
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('passive close: the server closes first', async ({ hosts, wire }) => {
  // tcp_rfc1337=1 on the host that keeps TIME_WAIT: a tail-loss probe may repeat the
  // peer's FIN; TIME_WAIT acknowledges it again, the peer (closed by then) answers with
  // RST, and with the default 0 that RST would end the TIME_WAIT (RFC 1337; see
  // cases/timewait/rst-in-time-wait.case.ts). The close itself does not depend on it.
  const { client, server } = await hosts('client', 'server', { sysctls: { server: { 'net.ipv4.tcp_rfc1337': 1 } } });
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();

  await peer.close(); // FIN from the server
  expect((await conn.read()).length).toBe(0); // the client reads EOF
  await expect(peer).toPassThrough(['FIN_WAIT_2']); // the FIN's ACK came on its own
  await conn.close();

  await expect(wire).toHaveSegments([
    'client > server SYN',
    'server > client SYN ACK',
    'client > server ACK',
    'server > client FIN ACK',
    'client > server ACK ack=fin+1',
    'client > server FIN ACK',
    'server > client ACK ack=fin+1',
  ]);
  await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
  await expect(conn).toHaveStates(['SYN_SENT', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
});
