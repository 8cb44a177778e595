// Reusing a 4-tuple that sits in TIME_WAIT (RFC 9293 §3.6.1, RFC 1122 §4.2.2.13, RFC 6191).
// The client closes first, so the TIME_WAIT is on its side; then a new client socket binds
// the same local port and connects to the same server port again. What Linux does:
//
//   old socket   new socket   timestamps   result
//   no reuse     no reuse     on           bind() → EADDRINUSE (the port is held by TIME_WAIT)
//   reuseAddr    no reuse     on           bind() → EADDRINUSE (both must have SO_REUSEADDR)
//   reuseAddr    reuseAddr    on           connect() succeeds: tcp_twsk_unique() recycles the
//                                          TIME_WAIT because the new SYN's timestamp is newer
//   reuseAddr    reuseAddr    off          connect() → EADDRNOTAVAIL (no way to tell the new
//                                          connection from old duplicates)
//
// (Ephemeral ports are governed by net.ipv4.tcp_tw_reuse instead; this case binds explicitly.)
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';
import type { CaseContext } from '../../harness/index.js';

async function leaveTimeWait(ctx: CaseContext, reuseAddr: boolean, timestamps: boolean) {
  // tcp_rfc1337=1: the client's TIME_WAIT must survive an RST from the closed server
  // answering a repeated FIN (see so-reuseaddr.case.ts); reuse does not depend on it
  const timestampsOff: Record<string, number> = timestamps ? {} : { 'net.ipv4.tcp_timestamps': 0 };
  const sysctls = { client: { 'net.ipv4.tcp_rfc1337': 1, ...timestampsOff }, server: timestampsOff };
  const { client, server } = await ctx.hosts('client', 'server', { sysctls });
  const listener = await server.listen(8080, { reuseAddr: true });
  const old = await client.connect(server, 8080, { localPort: 40000, reuseAddr });
  const peer = await listener.accept();
  await old.shutdown('write');
  await peer.read();
  await expect(old).toPassThrough(['FIN_WAIT_2']);
  await peer.close();
  await old.read();
  await expect(old).toHaveStates(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
  return { client, server, listener, old };
}

tcpCase('4-tuple in TIME_WAIT: without SO_REUSEADDR bind() fails', async (ctx) => {
  const { client } = await leaveTimeWait(ctx, false, true);
  await expect(client.socket({ reuseAddr: false }).bind(40000)).toFailWith('EADDRINUSE');
});

tcpCase('4-tuple in TIME_WAIT: SO_REUSEADDR on the old socket only is not enough', async (ctx) => {
  const { client } = await leaveTimeWait(ctx, true, true);
  await expect(client.socket({ reuseAddr: false }).bind(40000)).toFailWith('EADDRINUSE');
});

tcpCase('4-tuple in TIME_WAIT: SO_REUSEADDR on both and timestamps: connect() recycles it', async (ctx) => {
  const { client, server, listener, old } = await leaveTimeWait(ctx, true, true);
  const again = client.socket({ reuseAddr: true });
  await again.bind(40000);
  await again.connect(server.address(), 8080);
  const peer = await listener.accept();
  expect(peer.remote?.port).toBe(40000);
  await expect(again).toHaveStates(['SYN_SENT', 'ESTABLISHED']);
  // the TIME_WAIT minisock was taken over by the new connection: no longer in sock_diag
  await expect(old).toHaveStates(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED']);
  await expect(ctx.wire).toHaveSegments(['...', 'client > server SYN', 'server > client SYN ACK', 'client > server ACK']);
  const syns = ctx.wire.segments().filter((s) => s.flags === 'SYN');
  expect(syns).toHaveLength(2);
  expect(syns[1].conn).not.toBe(syns[0].conn); // a new connection on the same 4-tuple
});

tcpCase('4-tuple in TIME_WAIT: SO_REUSEADDR on both, timestamps off: EADDRNOTAVAIL', async (ctx) => {
  const { client, server } = await leaveTimeWait(ctx, true, false);
  const again = client.socket({ reuseAddr: true });
  await again.bind(40000);
  await expect(again.connect(server.address(), 8080)).toFailWith('EADDRNOTAVAIL');
});
