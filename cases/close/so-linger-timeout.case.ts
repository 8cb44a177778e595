// SO_LINGER with a timeout (RFC 9293 leaves close() semantics to the API; POSIX close()):
// with linger {on, 2 s} close() blocks until the data and the FIN are acknowledged, or
// the 2 s pass. A slow reader makes close() wait for it; a peer whose ACKs are all lost
// makes close() return after the timeout, while the kernel goes on retransmitting in the
// background. Tolerances: the reader's delay is 500 ms and close() must take at least
// that and finish before the 2 s limit (1.9 s: nothing else in the exchange takes more
// than a few ms); in the timeout case close() must take the full 2 s, and it must return
// then — without the timeout it would block forever, as no ACK ever arrives, so 5 s is
// a bound that only a broken linger can cross, however loaded the machine.
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

const KIB = 1024;

tcpCase('SO_LINGER 2 s: close() waits until a slow reader has acknowledged everything', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080, { rcvBuf: 4 * KIB });
  // the client's send buffer takes the whole write at once; the server's 4 KiB window does not
  const conn = await client.connect(server, 8080, { linger: { seconds: 2 }, sndBuf: 512 * KIB });
  const peer = await listener.accept();
  peer.pauseReading();
  await conn.write(64 * KIB); // more than the server's window: most stays queued in the client

  const started = performance.now();
  const closing = conn.close();
  await new Promise((r) => setTimeout(r, 500));
  const received = await peer.read(); // read everything, to EOF
  await closing;
  const ms = performance.now() - started;

  expect(received.length).toBe(64 * KIB);
  expect(ms).toBeGreaterThanOrEqual(500);
  expect(ms).toBeLessThan(1900);
  await expect(wire).toHaveSegments(['...', 'client > server FIN PSH? ACK', '...', 'server > client ACK ack=fin+1', '...']);
  await expect(conn).toPassThrough(['ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2']);
});

tcpCase('SO_LINGER 2 s: with every ACK lost, close() returns after the timeout', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080, { linger: { seconds: 2 } });
  await listener.accept();
  await wire.drop('server > client ACK', { count: -1 }); // from now on the server's ACKs never arrive
  await conn.write(4 * KIB);

  const started = performance.now();
  await conn.close();
  const ms = performance.now() - started;

  expect(ms).toBeGreaterThanOrEqual(1990);
  expect(ms).toBeLessThan(5000);
  // the data and the FIN went out, were acknowledged by the server, and every ACK was lost
  await expect(wire).toHaveSegments(['...', 'client > server FIN PSH? ACK', '...', 'server > client ACK dropped', '...']);
  await wire.settle();
  expect(wire.segments().some((s) => s.from === 'client' && s.marks?.includes('retransmission'))).toBe(true);
});
