// Reset generation (RFC 9293 §3.10.7.1 and §3.5.2): a segment that belongs to no
// connection gets RST. If it carries ACK, the RST takes its sequence number from that
// ACK (seq = SEG.ACK, no ACK flag); otherwise the RST has seq 0 and acknowledges
// SEG.SEQ + SEG.LEN. Both to a listening port (an ACK out of nowhere) and to a closed port.
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('segment for no connection: RST as RFC 793 prescribes', async ({ hosts, wire }) => {
  // the scripted peer speaks for a silenced namespace host: it stays linux whatever stack the run asks for
  const { raw, server } = await hosts('raw', 'server', { stack: { raw: 'linux' } });
  await server.listen(8080);
  const peer = await wire.raw(raw);

  // an ACK to the listening port: RST seq = its ack
  await peer.send({ to: 'server', sport: 40001, dport: 8080, seq: 1000, ack: 5000, flags: 'ACK' });
  await expect(peer).toReceive('server > raw RST');
  // an ACK to a closed port: the same
  await peer.send({ to: 'server', sport: 40002, dport: 9, seq: 2000, ack: 7000, flags: 'ACK' });
  await expect(peer).toReceive('server > raw RST');
  // data without ACK to a closed port: RST ACK, seq 0, ack = seq + len
  await peer.send({ to: 'server', sport: 40003, dport: 9, seq: 3000, flags: 'PSH', payload: 'hello' });
  await expect(peer).toReceive('server > raw RST ACK');

  await wire.settle();
  const rsts = wire.segments().filter((s) => s.from === 'server');
  expect(rsts.map((s) => [s.flags, s.seq, s.ack, s.dport])).toEqual([
    ['RST', 5000, 0, 40001],
    ['RST', 7000, 0, 40002],
    ['RST ACK', 0, 3005, 40003],
  ]);
});
