// No MSS option on a SYN (RFC 9293 §3.7.1, RFC 6691): the receiver must assume the
// default, 536 bytes for IPv4 and 1220 for IPv6. A scripted peer opens a connection
// with a SYN that carries no options at all; every data segment the server then sends
// to it is at most that size.
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('SYN without MSS: the peer falls back to 536 / 1220', async ({ hosts, wire, family }) => {
  // the scripted peer speaks for a silenced namespace host: it stays linux whatever stack the run asks for
  const { raw, server } = await hosts('raw', 'server', { stack: { raw: 'linux' } });
  const listener = await server.listen(8080);
  const peer = await wire.raw(raw);
  const conn = peer.connection(server, 8080);
  const mss = family === 4 ? 536 : 1220;

  await conn.send('SYN', { options: [], win: 65535 });
  await expect(peer).toReceive('server > raw SYN ACK ack=syn+1');
  await conn.send('ACK', { win: 65535 });
  const child = await listener.accept();
  expect((await child.info()).sndMss).toBe(mss);

  await child.write(4 * mss);
  for (let i = 0; i < 4; i++) {
    await expect(peer).toReceive(`server > raw PSH? ACK len=${mss}`);
    await conn.send('ACK', { win: 65535 });
  }
  await wire.settle();
  const data = wire.segments().filter((s) => s.from === 'server' && s.len > 0);
  expect(Math.max(...data.map((s) => s.len))).toBe(mss);
});
