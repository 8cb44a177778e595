// A half-open connection (RFC 9293 §3.5.2): the client loses power and comes back with
// no memory of the connection. The server notices nothing until it sends; the rebooted
// client answers the unknown segment with RST, and the server's read fails with ECONNRESET.
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('half-open: the survivor learns of the crash only when it sends', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  await client.connect(server, 8080);
  const peer = await listener.accept();

  await client.crash(); // no FIN, no RST: the server's socket stays ESTABLISHED
  await client.reboot();
  expect((await peer.info()).state).toBe('ESTABLISHED');

  const reply = peer.read();
  await peer.write('anyone there?');
  await expect(reply).toFailWith('ECONNRESET');

  await expect(wire).toHaveSegments([
    'client > server SYN',
    'server > client SYN ACK',
    'client > server ACK',
    'server > client PSH ACK len=13',
    '...', // a retransmission, if the RST is slow to come back
    'client > server RST seq=1',
  ]);
  await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'CLOSED']);
});
