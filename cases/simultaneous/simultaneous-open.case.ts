// Simultaneous open (RFC 9293 §3.5, figure 8): both ends bind fixed ports and connect
// to each other. The wire holds the client's SYN until the server's SYN has been seen,
// so the SYNs always cross: four segments (SYN, SYN, then a SYN-ACK from each side,
// sent at the same moment, so in either order), both sockets
// SYN_SENT → SYN_RECV → ESTABLISHED, one connection that carries data both ways.
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('simultaneous open: SYNs cross', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  await wire.hold('client > server SYN').until('server > client SYN');
  const a = client.socket();
  const b = server.socket();
  await a.bind(5000);
  await b.bind(6000);
  // the client's SYN first, and only once the wire holds it the server's: two hosts
  // sending at the same instant reach the wire in no fixed order
  const opening = a.connect(server.address(), 6000);
  await expect(wire).toHaveSegments(['client > server SYN held']);
  await Promise.all([opening, b.connect(client.address(), 5000)]);

  await a.write('from a');
  await b.write('from b');
  expect((await b.read(6)).toString()).toBe('from a');
  expect((await a.read(6)).toString()).toBe('from b');

  await expect(wire).toHaveSegments(['client > server SYN held', 'server > client SYN', '...']);
  await wire.settle();
  const handshake = wire.segments().filter((s) => s.flags.includes('SYN'));
  expect(handshake.map((s) => `${s.from} ${s.flags}`).slice(2).sort()).toEqual(['client SYN ACK', 'server SYN ACK']);
  for (const s of handshake.slice(2)) {
    expect(s.rack).toBe(1); // each acknowledges the other's SYN
    expect(s.rseq).toBe(0); // with its own SYN's ISN, which makes it no retransmission
    expect(s.marks ?? []).not.toContain('retransmission');
  }
  expect(new Set(handshake.map((s) => s.conn)).size).toBe(1); // one connection
  await expect(a).toPassThrough(['SYN_SENT', 'SYN_RECV', 'ESTABLISHED']);
  await expect(b).toPassThrough(['SYN_SENT', 'SYN_RECV', 'ESTABLISHED']);
  await expect(a).toHaveStates(['SYN_SENT', 'SYN_RECV', 'ESTABLISHED']);
  await expect(b).toHaveStates(['SYN_SENT', 'SYN_RECV', 'ESTABLISHED']);
});
