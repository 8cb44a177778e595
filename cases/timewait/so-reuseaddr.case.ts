// SO_REUSEADDR and a listener's port (RFC 9293 leaves this to the API; Linux rule in
// inet_csk_bind_conflict()): a server whose connections sit in TIME_WAIT closes its
// listener and binds the port again. A bind conflicts with an existing socket on the
// same address and port unless BOTH have SO_REUSEADDR and the existing one is not
// listening. The TIME_WAIT sockets inherited the flag from the old listener.
//
//   old listener   its state      new socket   bind()
//   reuseAddr      closed (TW)    reuseAddr    ok           both set, nothing listens
//   reuseAddr      closed (TW)    no reuse     EADDRINUSE   the new one lacks the flag
//   no reuse       closed (TW)    reuseAddr    EADDRINUSE   the TIME_WAIT sockets lack it
//   no reuse       closed (TW)    no reuse     EADDRINUSE
//   reuseAddr      LISTEN         reuseAddr    EADDRINUSE   never over a listening socket
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

// The server must keep its TIME_WAIT. If the client's FIN is sent twice (a tail-loss
// probe when the server's ACK is slow), the TIME_WAIT acknowledges it again, the client,
// closed by then, answers with RST, and with tcp_rfc1337=0 (the default) that RST ends
// the TIME_WAIT (RFC 1337). The bind rules do not depend on it.
const keepTimeWait = { server: { 'net.ipv4.tcp_rfc1337': 1 } };

const rows = [
  { old: true, closeListener: true, neu: true, result: 'ok' },
  { old: true, closeListener: true, neu: false, result: 'EADDRINUSE' },
  { old: false, closeListener: true, neu: true, result: 'EADDRINUSE' },
  { old: false, closeListener: true, neu: false, result: 'EADDRINUSE' },
  { old: true, closeListener: false, neu: true, result: 'EADDRINUSE' },
] as const;

for (const row of rows) {
  const name = `SO_REUSEADDR: old ${row.old ? 'reuseAddr' : 'no reuse'}${row.closeListener ? '' : ' still listening'}, new ${row.neu ? 'reuseAddr' : 'no reuse'} → ${row.result}`;
  tcpCase(name, async ({ hosts }) => {
    const { client, server } = await hosts('client', 'server', { sysctls: keepTimeWait });
    const listener = await server.listen(8080, { reuseAddr: row.old });
    const conn = await client.connect(server, 8080);
    const peer = await listener.accept();
    await peer.close(); // the server closes first: TIME_WAIT on the server
    await conn.read();
    // the client's ACK of that FIN must reach the server before the client's own FIN:
    // crossing, the stale ACK would draw an RST that kills the TIME_WAIT (RFC 1337)
    await expect(peer).toPassThrough(['FIN_WAIT_2']);
    await conn.close();
    await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    if (row.closeListener) await listener.close();

    const again = server.socket({ reuseAddr: row.neu });
    if (row.result === 'ok') {
      await again.bind(8080);
      await again.listen();
      await expect(again).toHaveStates(['LISTEN']);
    } else {
      await expect(again.bind(8080)).toFailWith(row.result);
    }
  });
}
