// An RST arriving in TIME_WAIT (RFC 1337, "TIME-WAIT assassination"). RFC 793 says an
// acceptable RST closes the connection in any state, which can kill TIME_WAIT early and
// let old duplicates into a new incarnation; RFC 1337 proposes ignoring RST in TIME_WAIT.
// Linux: net.ipv4.tcp_rfc1337=0 (default) — the RST kills the TIME_WAIT socket;
// =1 — it is ignored and TIME_WAIT runs its course. The case asserts whichever the
// server's profile says, so a diff of two profiles shows the difference.
import { expect } from 'vitest';
import { tcpCase, type CaseContext } from '../../harness/index.js';

async function rstIntoTimeWait({ hosts, wire }: CaseContext, pin?: 1) {
  const sysctls = pin ? { server: { 'net.ipv4.tcp_rfc1337': pin } } : {};
  // the scripted peer speaks for a silenced namespace host: it stays linux whatever stack the run asks for
  const { raw, server } = await hosts('raw', 'server', { sysctls, stack: { raw: 'linux' } });
  const listener = await server.listen(8080);
  const peer = await wire.raw(raw);
  const conn = peer.connection(server, 8080);
  await conn.send('SYN', { options: [{ name: 'mss', mss: 1460 }] });
  await expect(peer).toReceive('server > raw SYN ACK');
  await conn.send('ACK');
  const child = await listener.accept();

  await child.close(); // the server closes first: it will hold the TIME_WAIT
  await expect(peer).toReceive('server > raw FIN ACK');
  await conn.send('FIN ACK');
  await expect(peer).toReceive('server > raw ACK ack=fin+1');
  await expect(child).toPassThrough(['FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);

  await conn.send('RST'); // seq = the peer's SND.NXT: exactly what the TIME_WAIT socket expects
  const rfc1337 = (await server.sysctl('net.ipv4.tcp_rfc1337')) === '1';
  if (rfc1337) {
    await new Promise((r) => setTimeout(r, 300));
    await expect(child).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
  } else {
    await expect(child).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED']);
  }
}

tcpCase('RST in TIME_WAIT: killed (rfc1337=0) or ignored (rfc1337=1), as the profile says', (ctx) => rstIntoTimeWait(ctx));
tcpCase('RST in TIME_WAIT: ignored with tcp_rfc1337=1', (ctx) => rstIntoTimeWait(ctx, 1));
