// The Compose `capture` service's listener (scripts/docker-capture starts it):
//
//   node --import tsx scripts/docker-capture-pool.mjs SOCKET [NETNS_ROOT]
//
// Each connection on SOCKET (each harness worker process) gets a capture sidecar
// process of its own, on a private socket beside SOCKET, and the two are spliced
// together. That is what the harness does outside Docker (one sidecar per worker):
// one sidecar serving several workers' sessions at once crashed (SIGSEGV), and a
// crash now ends only the session of the worker it served. The sidecar ends when its
// connection does, and with this process (--die-with-parent). It starts with the Node
// flags and environment the harness starts its own sidecar with (sidecar-launch.ts), and
// keeps to the CPUs its harness process names in its first request, as that one does.
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { sidecarEnv, sidecarNodeArgs } from '../harness/wire/sidecar-launch.ts';

const [socket, netnsRoot = ''] = process.argv.slice(2);
if (!socket) {
  process.stderr.write('usage: node --import tsx scripts/docker-capture-pool.mjs SOCKET [NETNS_ROOT]\n');
  process.exit(2);
}
const START_TIMEOUT_MS = 15_000;
const log = (text) => process.stderr.write(`capture: ${text}\n`);
const live = new Set();
let served = 0;

const server = createServer((client) => {
  const id = ++served;
  const path = `${socket}.${id}`;
  client.pause();
  client.on('error', () => {});
  const child = spawn(
    process.execPath,
    [...sidecarNodeArgs(), '--import', 'tsx', 'harness/wire/sidecar.ts', '--socket', path, '--netns-root', netnsRoot, '--die-with-parent', String(process.pid)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: sidecarEnv() },
  );
  live.add(child);
  let ending = false;
  child.stderr.setEncoding('utf8').on('data', (text) => {
    for (const line of text.split('\n')) if (line) log(`sidecar ${id}: ${line}`);
  });
  const timer = setTimeout(() => {
    log(`sidecar ${id} did not start within ${START_TIMEOUT_MS / 1000} s`);
    child.kill('SIGKILL');
  }, START_TIMEOUT_MS);
  child.stdout.setEncoding('utf8').once('data', () => {
    clearTimeout(timer);
    const upstream = connect(path, () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', (e) => {
      if (!ending) log(`sidecar ${id}: ${e.message}`);
      client.destroy();
    });
    upstream.on('close', () => client.destroy());
  });
  child.on('exit', (code, signal) => {
    clearTimeout(timer);
    live.delete(child);
    rmSync(path, { force: true });
    if (!ending) log(`sidecar ${id} exited (${signal ?? `status ${code}`}); its harness worker gets a new one on its next case`);
    client.destroy();
  });
  client.on('close', () => {
    ending = true;
    child.kill('SIGTERM');
  });
});

function stop() {
  for (const child of live) child.kill('SIGTERM');
  rmSync(socket, { force: true });
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

mkdirSync(dirname(socket), { recursive: true });
rmSync(socket, { force: true });
server.listen(socket, () => log(`ready on ${socket}: one sidecar per connection`));
