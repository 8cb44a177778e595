// Connecting to a port with no listener (RFC 9293 §3.10.7.1): the SYN is answered with
// RST/ACK (seq 0, ack = SYN + 1); connect() fails with ECONNREFUSED and the client
// socket goes SYN_SENT → CLOSED. (Relative numbers need the sender's SYN; the RST's
// sender never sent one, so its absolute seq is checked.)
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('connect to a closed port: RST/ACK and ECONNREFUSED', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const sock = client.socket();
  await expect(sock.connect(server.address(), 9)).toFailWith('ECONNREFUSED');

  await expect(wire).toHaveSegments(['client > server SYN', 'server > client RST ACK ack=syn+1']);
  expect(wire.segments()[1].seq).toBe(0);
  await expect(sock).toHaveStates(['SYN_SENT', 'CLOSED']);
});
