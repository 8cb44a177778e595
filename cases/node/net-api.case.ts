// What a Node program puts on the wire: the same hosts driven through Node's own `net`
// module. end() is a FIN (a half-close); destroy() with unread data and
// resetAndDestroy() are RSTs; allowHalfOpen decides whether Node answers a FIN with
// its own at once; server.close() stops listening but leaves open connections alone.
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

const once = <T>(emitter: NodeJS.EventEmitter, event: string) => new Promise<T>((r) => emitter.once(event, r as never));

tcpCase('node: socket.end() sends FIN', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const srv = await server.node.listen(8080, { allowHalfOpen: true });
  const sock = await client.node.connect(server, 8080);
  const peer = await srv.nextConnection();
  const eof = once(peer, 'end');
  peer.resume();
  sock.end();
  await eof;
  await expect(wire).toHaveSegments(['client > server SYN', 'server > client SYN ACK', 'client > server ACK', 'client > server FIN ACK', '...']);
  await expect(sock).toPassThrough(['ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2']);
  await expect(peer).toPassThrough(['ESTABLISHED', 'CLOSE_WAIT']);
});

tcpCase('node: destroy() with unread data sends RST', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  // Node reads ahead into its own buffer even when paused, so bytes would be "unread"
  // only for the application, not for the kernel, and close with a FIN. A server made
  // with pauseOnConnect reads nothing from an accepted socket: once the server's kernel
  // has acknowledged the bytes, they wait there unread.
  const srv = await server.node.listen(8080, { pauseOnConnect: true });
  const sock = await client.node.connect(server, 8080);
  const peer = await srv.nextConnection();
  sock.write(Buffer.alloc(1000));
  await expect(wire).toHaveSegments(['...', 'server > client ACK ack=1001', '...']);
  peer.destroy();
  const err = await once<NodeJS.ErrnoException>(sock, 'error');
  expect(err.code).toBe('ECONNRESET');
  await expect(wire).toHaveSegments(['...', 'server > client ACK ack=1001', '...', 'server > client RST ACK', '...']);
  await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'CLOSED']);
});

tcpCase('node: resetAndDestroy() sends RST', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const srv = await server.node.listen(8080);
  const sock = await client.node.connect(server, 8080);
  const peer = await srv.nextConnection();
  const err = once<NodeJS.ErrnoException>(peer, 'error');
  sock.resetAndDestroy();
  expect((await err).code).toBe('ECONNRESET');
  await expect(wire).toHaveSegments(['client > server SYN', 'server > client SYN ACK', 'client > server ACK', 'client > server RST ACK']);
  await expect(sock).toHaveStates(['SYN_SENT', 'ESTABLISHED', 'CLOSED']);
});

for (const allowHalfOpen of [false, true]) {
  tcpCase(`node: allowHalfOpen ${allowHalfOpen} — does the server answer a FIN with its own?`, async ({ hosts, wire }) => {
    const { client, server } = await hosts('client', 'server');
    const srv = await server.node.listen(8080, { allowHalfOpen });
    const sock = await client.node.connect(server, 8080, { allowHalfOpen: true });
    const peer = await srv.nextConnection();
    const eof = once(peer, 'end');
    peer.resume();
    sock.end();
    await eof;
    if (allowHalfOpen) {
      // the server stays in CLOSE_WAIT and can still send
      peer.write('still here');
      await expect(wire).toHaveSegments(['...', 'server > client PSH ACK len=10', '...']);
      await expect(peer).toPassThrough(['ESTABLISHED', 'CLOSE_WAIT']);
      const segs = (await wire.settle(), wire.segments());
      expect(segs.filter((s) => s.from === 'server' && s.flags.includes('FIN'))).toHaveLength(0);
    } else {
      // Node ends its side as soon as it reads EOF
      await expect(wire).toHaveSegments(['...', 'client > server FIN ACK', '...', 'server > client FIN ACK', '...']);
      await expect(peer).toPassThrough(['ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
    }
  });
}

tcpCase('node: server.close() stops listening, open connections stay', async ({ hosts }) => {
  const { client, server } = await hosts('client', 'server');
  const srv = await server.node.listen(8080);
  const sock = await client.node.connect(server, 8080);
  const peer = await srv.nextConnection();
  const closed = new Promise<void>((r) => srv.close(() => r()));
  await expect(srv).toHaveStates(['LISTEN', 'CLOSED']);
  await expect(client.node.connect(server, 8080)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  peer.write('still connected');
  const data = await once<Buffer>(sock, 'data');
  expect(data.toString()).toBe('still connected');
  await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED']);
  sock.destroy(); // the client closes; Node's server side (allowHalfOpen false) answers with its FIN
  await closed; // close() calls back once the last connection is gone
  await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
});
