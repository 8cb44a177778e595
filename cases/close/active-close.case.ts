// Active close by the client (RFC 9293 §3.6): FIN, ACK, FIN, ACK. A FIN consumes one
// sequence number, so the peer acknowledges FIN seq + 1. The closer goes
// FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT; the peer CLOSE_WAIT → LAST_ACK → CLOSED.
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('active close: FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT', async ({ hosts, wire }) => {
  // tcp_rfc1337=1 on the host that keeps TIME_WAIT: a tail-loss probe may repeat the
  // peer's FIN; TIME_WAIT acknowledges it again, the peer (closed by then) answers with
  // RST, and with the default 0 that RST would end the TIME_WAIT (RFC 1337; see
  // cases/timewait/rst-in-time-wait.case.ts). The close itself does not depend on it.
  const { client, server } = await hosts('client', 'server', { sysctls: { client: { 'net.ipv4.tcp_rfc1337': 1 } } });
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();
  await conn.shutdown('write'); // FIN
  expect((await peer.read()).length).toBe(0); // EOF
  // Linux delays the ACK of a FIN that carries no data; closing at once would let the
  // server's FIN carry that ACK (three segments, not four). Wait for the ACK first.
  await expect(conn).toPassThrough(['FIN_WAIT_2']);
  await peer.close();
  expect((await conn.read()).length).toBe(0);

  await expect(wire).toHaveSegments([
    'client > server SYN',
    'server > client SYN ACK',
    'client > server ACK',
    'client > server FIN ACK',
    'server > client ACK ack=fin+1',
    'server > client FIN ACK',
    'client > server ACK ack=fin+1',
  ]);
  await expect(conn).toHaveStates(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
  await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
});
