// Half-close (RFC 9293 §3.6): after shutdown(SHUT_WR) the client has sent its FIN but
// can still receive. The server reads EOF, then sends 100 KiB, then closes; the
// client receives every byte, in order, before its own EOF.
import { expect } from 'vitest';
import { tcpCase, patternBytes, coveredRanges } from '../../harness/index.js';

const SIZE = 100 * 1024;

tcpCase('half-close: the closer still receives', async ({ hosts, wire }) => {
  // tcp_rfc1337=1 on the host that keeps TIME_WAIT: a tail-loss probe may repeat the
  // peer's FIN; TIME_WAIT acknowledges it again, the peer (closed by then) answers with
  // RST, and with the default 0 that RST would end the TIME_WAIT (RFC 1337; see
  // cases/timewait/rst-in-time-wait.case.ts). The close itself does not depend on it.
  const { client, server } = await hosts('client', 'server', { sysctls: { client: { 'net.ipv4.tcp_rfc1337': 1 } } });
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();

  await conn.shutdown('write');
  expect((await peer.read()).length).toBe(0); // EOF: the client's FIN arrived
  await expect(conn).toPassThrough(['FIN_WAIT_2']); // the FIN is acknowledged on its own
  const received = conn.read(); // to EOF
  await peer.write(SIZE);
  await peer.close();
  expect((await received).equals(patternBytes(SIZE))).toBe(true);

  await expect(wire).toHaveSegments([
    'client > server SYN',
    'server > client SYN ACK',
    'client > server ACK',
    'client > server FIN ACK len=0',
    'server > client ACK ack=fin+1',
    '...',
    'server > client FIN PSH? ACK',
    '...',
    'client > server ACK ack=fin+1',
    '...', // a tail-loss probe may repeat the FIN when the ACK is slow to come back
  ]);
  // the bytes covered, not the sum of lengths: a tail-loss probe may send the last segment twice
  expect(coveredRanges(wire.segments().filter((s) => s.from === 'server'))).toEqual([[1, SIZE + 1]]);
  await expect(conn).toHaveStates(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
  await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
});
