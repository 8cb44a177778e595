// Writing to a connection the peer has fully closed (RFC 9293 §3.10.7.4): the peer's
// kernel has no socket for the data any more and answers RST; the writer's next
// write fails with EPIPE (and a read with ECONNRESET would have been the other way to learn it).
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('data after the peer has closed: RST, then EPIPE', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();

  await peer.close(); // FIN: the server will neither send nor receive
  expect((await conn.read()).length).toBe(0);
  await conn.write('too late'); // accepted by the client's kernel…
  await expect(wire).toHaveSegments([
    '...',
    'client > server PSH ACK len=8',
    '...', // the client's own ACK of the FIN, when a loaded machine sends it after the data
    'server > client RST', // …refused by the server's
  ]);
  await expect(conn).toPassThrough(['CLOSE_WAIT', 'CLOSED']);
  await expect(conn.write('again')).toFailWith('EPIPE');

  await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSED']);
});
