// The server closes first, so the server (not the client) ends in TIME_WAIT.
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('server closes first, with a wrong ack', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(7000);
  const conn = await client.connect(server, 7000);
  const peer = await listener.accept();

  await conn.write('hello');
  expect((await peer.read(5)).toString()).toBe('hello');
  await peer.shutdown('write'); // the server's FIN
  expect((await conn.read()).length).toBe(0); // the client reads EOF
  await expect(peer).toPassThrough(['FIN_WAIT_2']); // the client acknowledged the FIN on its own
  await conn.close(); // the client's FIN
  expect((await peer.read()).length).toBe(0);

  await expect(wire).toHaveSegments([
    'client > server SYN',
    'server > client SYN ACK',
    'client > server ACK',
    'client > server PSH ACK seq=1 len=5',
    'server > client ACK ack=5',
    'server > client FIN ACK',
    'client > server ACK ack=fin+1',
    'client > server FIN ACK',
    'server > client ACK ack=fin+1',
  ]);
  await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
  await expect(conn).toHaveStates(['SYN_SENT', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
});
