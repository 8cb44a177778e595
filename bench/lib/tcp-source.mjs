// Bulk-transfer sender for bench/throughput.ts, run inside a host's namespace:
//   node tcp-source.mjs ADDRESS PORT BYTES
// Connects, writes BYTES as fast as the connection takes them, half-closes, and exits
// when the peer has closed too.
import { connect } from 'node:net';

const [address, port, total] = process.argv.slice(2);
const chunk = Buffer.alloc(256 * 1024, 0x61);
let left = Number(total);
const sock = connect({ host: address, port: Number(port) }, function pump() {
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    left -= n;
    if (!sock.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return sock.once('drain', pump);
  }
  sock.end();
});
sock.on('error', (e) => {
  process.stderr.write(`source: ${e.message}\n`);
  process.exit(1);
});
sock.resume();
sock.on('close', () => process.exit(0));
