// A small Node HTTP/1.1 server with keep-alive, run inside a case's host by
// http-keepalive.case.ts through host.spawn():
//
//   node http-keepalive-server.mjs PORT KEEP_ALIVE_TIMEOUT_MS [ADDRESS]
//
// It listens on ADDRESS (default: every address of its host, IPv4 and IPv6; the case
// gives its host's own: in a gVisor sandbox shared by one case after another, a wildcard
// port also meets earlier cases' TIME_WAIT sockets), answers every request with
// a short text body, keeps the connection open for the next request, and prints one
// line per event so the case (and its call log) can follow it.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 8080);
const keepAliveTimeout = Number(process.argv[3] ?? 5000);
const host = process.argv[4] ?? '::';

const server = createServer((req, res) => {
  console.log(`request ${req.method} ${req.url} from ${req.socket.remoteAddress}`);
  res.setHeader('content-type', 'text/plain');
  res.end('hello from tcpladder\n');
});
server.keepAliveTimeout = keepAliveTimeout;
server.on('connection', (socket) => {
  const peer = `${socket.remoteAddress} port ${socket.remotePort}`;
  console.log(`connection from ${peer}`);
  socket.on('close', () => console.log(`closed ${peer}`));
});
server.listen({ port, host, ipv6Only: false }, () => {
  console.log(`listening on port ${port}, keepAliveTimeout ${server.keepAliveTimeout} ms`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
