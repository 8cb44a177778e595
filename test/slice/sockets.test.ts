// Socket outcomes through the public API, real sockets in real namespaces: data left
// unread stays in the kernel (pauseReading), errno names come back (ECONNREFUSED,
// EADDRINUSE), and once the run is over nothing of it is left on the machine.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tcpCase, patternBytes, SocketError, type CaseHost, type TcpSocket } from '../../harness/index.js';
import { stopSidecar } from '../../harness/wire/index.js';
import { closeTraceSession } from '../../harness/observe/index.js';
import { ownNamespaces, ownSidecars, ownSlots, ownTraceInstances, until } from './cleanup-check.js';

/** Recv-Q of `sock` as sock_diag (ss) reports it inside its host. */
function recvQ(host: CaseHost, sock: TcpSocket): number {
  const out = execFileSync('ip', ['netns', 'exec', host.ns, 'ss', '-tnH', 'state', 'established'], { encoding: 'utf8' });
  // Recv-Q Send-Q Local:Port Peer:Port
  const row = out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((c) => c[2]?.endsWith(`:${sock.local!.port}`) && c[3]?.endsWith(`:${sock.remote!.port}`));
  if (!row) throw new Error(`no such socket in ss output:\n${out}`);
  return Number(row[0]);
}

async function waitFor(what: string, test: () => boolean, ms = 3000): Promise<void> {
  if (!(await until(test, ms))) throw new Error(`timed out waiting for ${what}`);
}

const SIZE = 50_000;

tcpCase('pauseReading: what the peer sends stays in the receive queue', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();

  conn.pauseReading();
  await peer.write(SIZE);
  // everything arrived and was acknowledged, and all of it is still queued in the kernel
  await waitFor('50 000 bytes in the receive queue', () => recvQ(client, conn) === SIZE);
  // the wire reports frames a little after the kernel has them; the last segment may be
  // sent twice (tail loss probe: the paused reader delays its ACK)
  const sent = () => Math.max(0, ...wire.segments().filter((s) => s.from === 'server' && s.len > 0).map((s) => s.rseq + s.len - 1));
  await waitFor('the wire to show 50 000 bytes', () => sent() === SIZE);
  await waitFor('the last byte acknowledged', () => wire.segments().some((s) => s.from === 'client' && s.rack === SIZE + 1));
  expect((await conn.info()).state).toBe('ESTABLISHED');
  expect(recvQ(server, peer)).toBe(0);

  // a later read gets every byte, in order; then the queue is empty
  const got = await conn.read(SIZE);
  expect(got.equals(patternBytes(SIZE))).toBe(true);
  expect(recvQ(client, conn)).toBe(0);
});

tcpCase('errno names: ECONNREFUSED, EADDRINUSE', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');

  // no listener: the server answers the SYN with RST, connect() fails with ECONNREFUSED
  await expect(client.connect(server, 9)).toFailWith('ECONNREFUSED');
  const err = await client.connect(server, 9).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SocketError);
  expect((err as SocketError).code).toBe('ECONNREFUSED');
  await expect(wire).toHaveSegments([
    'client > server SYN',
    'server > client RST ACK ack=syn+1',
    'client > server SYN',
    'server > client RST ACK ack=syn+1',
  ]);

  // bind twice to one address and port
  const first = server.socket({ reuseAddr: false });
  await first.bind(7000);
  await expect(server.socket({ reuseAddr: false }).bind(7000)).toFailWith('EADDRINUSE');
  // SO_REUSEADDR does not let a second socket take a listening port
  await server.listen(8080, { reuseAddr: true });
  await expect(server.listen(8080, { reuseAddr: true })).toFailWith('EADDRINUSE');
  await expect(server.listen(8080)).toFailWith('EADDRINUSE');

  // the failed calls did not crash anything: the host still works
  const listener = await server.listen(8081);
  const conn = await client.connect(server, 8081);
  await listener.accept();
  expect((await conn.info()).state).toBe('ESTABLISHED');
});

describe('after the cases', () => {
  it('no namespace or slot of this process is left, and closing the session leaves no tracefs instance or sidecar', async () => {
    expect(ownNamespaces()).toEqual([]);
    expect(ownSlots()).toEqual([]);
    closeTraceSession();
    expect(await ownTraceInstances()).toEqual([]);
    stopSidecar();
    expect(await until(() => ownSidecars().length === 0, 3000)).toBe(true);
  });
});
