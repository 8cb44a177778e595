// Why TIME_WAIT exists (RFC 9293 §3.6.1): the active closer's final ACK is lost. The
// peer, still in LAST_ACK, retransmits its FIN; the closer answers from TIME_WAIT
// with a new ACK, and the peer reaches CLOSED.
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('lost final ACK: the FIN is retransmitted and answered from TIME_WAIT', async ({ hosts, wire }) => {
  // tcp_rfc1337=1 on the host that keeps TIME_WAIT: a tail-loss probe may repeat the
  // peer's FIN; TIME_WAIT acknowledges it again, the peer (closed by then) answers with
  // RST, and with the default 0 that RST would end the TIME_WAIT (RFC 1337; see
  // cases/timewait/rst-in-time-wait.case.ts). The close itself does not depend on it.
  const { client, server } = await hosts('client', 'server', { sysctls: { client: { 'net.ipv4.tcp_rfc1337': 1 } } });
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();
  await conn.shutdown('write');
  expect((await peer.read()).length).toBe(0);
  await expect(conn).toPassThrough(['FIN_WAIT_2']);

  await wire.drop('client > server ACK'); // the next pure ACK from the client: the final one
  await peer.close();

  await expect(wire).toHaveSegments([
    'client > server SYN',
    'server > client SYN ACK',
    'client > server ACK',
    'client > server FIN ACK',
    'server > client ACK ack=fin+1',
    'server > client FIN ACK',
    'client > server ACK ack=fin+1 dropped',
    'server > client FIN ACK retransmission',
    'client > server ACK ack=fin+1',
  ]);
  await expect(conn).toHaveStates(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
  await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
});
