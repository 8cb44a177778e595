// Simultaneous close (RFC 9293 §3.6, figure 13): both ends close at once. The wire
// holds the client's FIN until the server's FIN has been seen, so the FINs cross:
// each end receives a FIN that does not acknowledge its own and goes
// FIN_WAIT_1 → CLOSING → TIME_WAIT.
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('simultaneous close: FINs cross', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();

  // every client FIN is held (a slow wire can make the client retransmit it)
  await wire.hold('client > server FIN ACK', { count: -1 }).until('server > client FIN ACK');
  await conn.shutdown('write');
  // the server's FIN only once the wire holds the client's: two hosts sending at the
  // same instant reach the wire in no fixed order
  await expect(wire).toHaveSegments(['...', 'client > server FIN ACK held', '...']);
  await peer.shutdown('write');
  expect((await conn.read()).length).toBe(0);
  expect((await peer.read()).length).toBe(0);

  await expect(wire).toHaveSegments([
    'client > server SYN',
    'server > client SYN ACK',
    'client > server ACK',
    'client > server FIN ACK ack=1 held',
    '...',
    'server > client FIN ACK ack=1',
    '...',
  ]);
  await expect(conn).toHaveStates(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT']);
  await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT']);
  await wire.settle();
  // each acknowledges the other's FIN (the server twice if it got a retransmitted FIN too)
  const acks = wire.segments().filter((s) => s.flags === 'ACK' && s.rack === 2);
  expect([...new Set(acks.map((s) => s.from))].sort()).toEqual(['client', 'server']);
});
