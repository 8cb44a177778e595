// The three-way handshake (RFC 9293 §3.5): SYN, SYN-ACK, ACK. The client goes
// SYN_SENT → ESTABLISHED, the server's child socket SYN_RECV → ESTABLISHED, and
// the MSS option appears on the SYN and the SYN-ACK only (RFC 9293 §3.7.1).
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('three-way handshake', async ({ hosts, wire, family }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();
  const mss = family === 4 ? 1460 : 1440;

  await expect(wire).toHaveSegments([
    `client > server SYN seq=0 mss=${mss} opts=[mss,sackOK,ts,nop,wscale]`,
    `server > client SYN ACK seq=0 ack=syn+1 mss=${mss} opts=[mss,sackOK,ts,nop,wscale]`,
    'client > server ACK seq=1 ack=1 mss=none opts=[nop,nop,ts]',
  ]);
  await expect(conn).toHaveStates(['SYN_SENT', 'ESTABLISHED']);
  await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED']);
  await expect(listener).toHaveStates(['LISTEN']);
  expect((await conn.info()).state).toBe('ESTABLISHED');
  expect((await conn.info()).sndMss).toBe(mss - 12);
});
