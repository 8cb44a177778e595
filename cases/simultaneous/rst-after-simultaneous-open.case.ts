// RST after a simultaneous open (RFC 9293 §3.10.7.4): a SYN_RECEIVED entered from
// SYN_SENT has no LISTEN to go back to, so an acceptable RST ends the connection. Linux
// reports ECONNRESET (tcp_reset: SYN_SENT's refusal is ECONNREFUSED, SYN_RECV's a reset)
// through connect() and SO_ERROR.
//
// Both ends connect to each other; the wire holds the client's SYN until the server's
// is seen, so the SYNs always cross. It drops the server's SYN-ACK and its ACK of the
// client's SYN-ACK, so the client stays in SYN_RECV while the server is established;
// the server's abortive close then sends the RST into the client's SYN_RECV.
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('RST after a simultaneous open ends the connection: SO_ERROR ECONNRESET', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  await wire.hold('client > server SYN').until('server > client SYN');
  await wire.drop('server > client SYN ACK');
  await wire.drop('server > client ACK');
  const a = client.socket();
  const b = server.socket();
  await a.bind(5000);
  await b.bind(6000);
  const opening = a.connect(server.address(), 6000);
  await expect(wire).toHaveSegments(['client > server SYN held']);
  await b.connect(client.address(), 5000);
  await expect(a).toPassThrough(['SYN_SENT', 'SYN_RECV']);
  // the server is established on the client's SYN-ACK; the client, whose SYN-ACK was
  // never acknowledged, is not: the RST must find it in SYN_RECV
  expect((await a.info()).state).toBe('SYN_RECV');

  await b.abort(); // RST with the server's next sequence number: exactly what the client expects
  await expect(opening).toFailWith('ECONNRESET');
  expect(await a.getsockopt('SO_ERROR')).toBe(0); // reported once, by connect()

  await expect(wire).toHaveSegments([
    'client > server SYN held',
    'server > client SYN',
    '...',
    'server > client RST ACK seq=1',
  ]);
  await wire.settle();
  const synAcks = wire.segments().filter((s) => s.flags === 'SYN ACK');
  expect(synAcks.map((s) => `${s.from}${s.marks?.includes('dropped') ? ' dropped' : ''}`).sort()).toEqual(['client', 'server dropped']);
  await expect(a).toHaveStates(['SYN_SENT', 'SYN_RECV', 'CLOSED']);
  await expect(b).toPassThrough(['SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'CLOSED']);
});
