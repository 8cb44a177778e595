// Bulk-transfer receiver for bench/throughput.ts, run inside a host's namespace:
//   node tcp-sink.mjs ADDRESS PORT
// Prints "listening", then, for the first connection, one JSON line
// {"bytes": n, "ms": t} with t from accept to EOF, and exits.
import { createServer } from 'node:net';

const [address, port] = process.argv.slice(2);
const server = createServer((sock) => {
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  sock.on('data', (b) => (bytes += b.length));
  sock.on('end', () => {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    process.stdout.write(JSON.stringify({ bytes, ms }) + '\n');
    sock.end();
    server.close();
  });
  sock.on('error', (e) => {
    process.stderr.write(`sink: ${e.message}\n`);
    process.exit(1);
  });
});
server.listen(Number(port), address, () => process.stdout.write('listening\n'));
setTimeout(() => {
  process.stderr.write('sink: no transfer within 120 s\n');
  process.exit(1);
}, 120_000).unref();
