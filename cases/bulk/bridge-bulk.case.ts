// Bridge mode: a kernel bridge forwards, the sidecar only records. For bulk transfers
// where no wire rules are needed: 8 MiB from server to client, every byte arrives,
// every frame is in the pcap, and the segments on the wire cover every byte sent.
import { expect } from 'vitest';
import { tcpCase, patternBytes, coveredRanges } from '../../harness/index.js';

const SIZE = 8 * 1024 * 1024;

tcpCase('bridge mode: bulk transfer, every frame recorded', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server', { wire: 'bridge' });
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();

  const received = conn.read();
  await peer.write(SIZE);
  await peer.close();
  expect((await received).equals(patternBytes(SIZE))).toBe(true);
  await conn.close();

  await expect(wire).toHaveSegments(['client > server SYN', 'server > client SYN ACK', 'client > server ACK', '...', 'server > client ACK ack=fin+1']);
  // the bytes covered, not the sum of lengths: segments may be repeated or reordered
  expect(coveredRanges(wire.segments().filter((s) => s.from === 'server'))).toEqual([[1, SIZE + 1]]);
  // 8 MiB through a guest's stack on a busy machine: gVisor's took 27 s in a matrix, past the default 20 s (× 2 there)
}, { timeout: 60_000 });
