// RST in SYN_RCVD (RFC 9293 §3.10.7.4, first check): a peer answers the listener's
// SYN-ACK with RST. The half-made connection is dropped, nothing reaches accept(),
// and the listener, still in LISTEN, accepts the next connection normally.
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('RST in SYN_RCVD: the listener goes on listening', async ({ hosts, wire }) => {
  // the scripted peer speaks for a silenced namespace host: it stays linux whatever stack the run asks for
  const { raw, server, client } = await hosts('raw', 'server', 'client', { stack: { raw: 'linux' } });
  const listener = await server.listen(8080);
  const peer = await wire.raw(raw);
  const half = peer.connection(server, 8080);

  await half.send('SYN', { options: [{ name: 'mss', mss: 1460 }] });
  await expect(peer).toReceive('server > raw SYN ACK ack=syn+1');
  await half.send('RST'); // seq = SND.NXT, inside the listener's window

  const conn = await client.connect(server, 8080);
  const accepted = await listener.accept();
  expect(accepted.remote?.address).toBe(client.address());
  await conn.write('hello');
  expect((await accepted.read(5)).toString()).toBe('hello');

  await expect(wire).toHaveSegments([
    'raw > server SYN injected',
    'server > raw SYN ACK',
    'raw > server RST injected',
    'client > server SYN',
    'server > client SYN ACK',
    'client > server ACK',
    '...',
  ]);
  await expect(listener).toHaveStates(['LISTEN']);
  await expect(accepted).toHaveStates(['SYN_RECV', 'ESTABLISHED']);
});
