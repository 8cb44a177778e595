/**
 * Real TCP traffic for the tshark agreement test, run inside a network namespace:
 * `ip netns exec NS node --import tsx test/packet/traffic.ts PORT`.
 * Over IPv4 and IPv6 loopback: handshake, data both ways, half-close (the client's
 * FIN, then the server still sends), close, an abortive close (RST), and a connect
 * to a closed port (RST from the kernel). Prints "done" when finished.
 */
import net from 'node:net';
import { once } from 'node:events';

const port = Number(process.argv[2] ?? 5001);

function listen(server: net.Server, host: string, p: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, host, () => resolve());
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function scenario(host: string): Promise<void> {
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    sock.on('error', () => undefined); // the RST scenario resets it
    sock.on('data', () => undefined);
    sock.on('end', () => {
      // half-close: the client sent FIN, the server still sends, then closes
      sock.write(Buffer.alloc(3000, 0x55));
      sock.end();
    });
  });
  await listen(server, host, port);

  const c = net.connect({ host, port, allowHalfOpen: true });
  await once(c, 'connect');
  c.write(Buffer.alloc(60000, 0x41));
  await sleep(50);
  c.write(Buffer.alloc(10000, 0x42));
  c.end();
  let got = 0;
  c.on('data', (d: Buffer) => (got += d.length));
  await once(c, 'end');
  if (got !== 3000) throw new Error(`client read ${got} bytes after its FIN, expected 3000`);
  c.destroy();
  await once(c, 'close');

  const r = net.connect({ host, port });
  r.on('error', () => undefined);
  await once(r, 'connect');
  r.write('abort me');
  await sleep(20);
  r.resetAndDestroy();
  await sleep(20);

  const refused = net.connect({ host, port: port + 1 });
  const err = await new Promise<NodeJS.ErrnoException>((resolve) => refused.once('error', resolve));
  if (err.code !== 'ECONNREFUSED') throw err;

  await new Promise<void>((resolve) => server.close(() => resolve()));
}

await scenario('127.0.0.1');
await scenario('::1');
process.stdout.write('done\n');
