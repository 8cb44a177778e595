// MSS (RFC 9293 §3.7.1, RFC 6691): each SYN announces the largest segment its sender
// can receive, MTU − 40 for IPv4 and MTU − 60 for IPv6 (1460 / 1440 on these 1500-byte
// links). TCP_MAXSEG set before connect/listen lowers what a socket announces, and the
// peer then never sends it a larger segment; a 64 KiB write proves it.
import { expect } from 'vitest';
import { tcpCase, coveredRanges } from '../../harness/index.js';

tcpCase('MSS: each SYN announces MTU − 40 / − 60', async ({ hosts, wire, family }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  await client.connect(server, 8080);
  await listener.accept();
  const mss = family === 4 ? 1460 : 1440;
  await expect(wire).toHaveSegments([`client > server SYN mss=${mss}`, `server > client SYN ACK mss=${mss}`, 'client > server ACK mss=none']);
});

tcpCase('MSS: maxSeg 600 on the server caps every segment sent to it', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080, { maxSeg: 600 });
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();
  const got = peer.read(64 * 1024);
  await conn.write(64 * 1024);
  expect((await got).length).toBe(64 * 1024);

  await expect(wire).toHaveSegments(['client > server SYN', 'server > client SYN ACK mss=600', 'client > server ACK', '...']);
  await wire.settle();
  const data = wire.segments().filter((s) => s.from === 'client' && s.len > 0);
  // the bytes covered, not the sum of lengths: a tail-loss probe may send the last segment twice
  expect(coveredRanges(data)).toEqual([[1, 64 * 1024 + 1]]);
  // 600 minus the 12 bytes of the timestamp option every segment carries
  expect(Math.max(...data.map((s) => s.len))).toBe(588);
  expect((await conn.info()).sndMss).toBe(588);
});
