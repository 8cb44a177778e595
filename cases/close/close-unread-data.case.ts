// Closing with unread data (RFC 2525 §2.17, RFC 9293 §3.10.4): a server that closes
// while bytes it never read sit in its receive queue sends RST, not FIN, so the peer
// learns the data was lost. The client's read fails with ECONNRESET and the server
// leaves no TIME_WAIT behind.
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('close with unread data sends RST', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();

  peer.pauseReading();
  await conn.write(1000);
  await expect(wire).toHaveSegments(['...', 'client > server PSH ACK len=1000', 'server > client ACK ack=+len']);
  await peer.close();
  await expect(conn.read()).toFailWith('ECONNRESET');

  await expect(wire).toHaveSegments([
    'client > server SYN',
    'server > client SYN ACK',
    'client > server ACK',
    'client > server PSH ACK len=1000',
    'server > client ACK',
    'server > client RST ACK seq=1 ack=1001',
  ]);
  await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'CLOSED']); // no TIME_WAIT
  await expect(conn).toHaveStates(['SYN_SENT', 'ESTABLISHED', 'CLOSED']);
});
