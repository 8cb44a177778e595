// Abortive close (RFC 9293 §3.10.4 ABORT; SO_LINGER {on, 0}): close() sends RST
// instead of FIN, discards queued data and leaves no TIME_WAIT. The peer's read
// fails with ECONNRESET, not EOF.
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('abortive close: SO_LINGER 0 sends RST', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();

  await conn.abort();
  await expect(peer.read()).toFailWith('ECONNRESET');

  await expect(wire).toHaveSegments([
    'client > server SYN',
    'server > client SYN ACK',
    'client > server ACK',
    'client > server RST ACK seq=1',
  ]);
  await expect(conn).toHaveStates(['SYN_SENT', 'ESTABLISHED', 'CLOSED']);
  await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'CLOSED']);
});
