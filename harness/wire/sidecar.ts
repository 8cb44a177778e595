/**
 * The capture sidecar process. It listens on a Unix socket; each `attach` starts a
 * relay session on the ports of one case's wire namespace, frames stream back as
 * they pass, `detach` waits until the expected frames are in and returns counts.
 *
 *   node --import tsx harness/wire/sidecar.ts --socket PATH [--die-with-parent PID] [--netns-root DIR]
 *
 * --die-with-parent PID: end with the parent process PID (the one that starts it), and
 * at once if PID is already gone by the time the sidecar asks to be told.
 *
 * --netns-root DIR: open each wire namespace at DIR + the path the harness sends.
 * The Compose `capture` container shares the harness container's pid namespace and
 * uses `--netns-root /proc/1/root`: the harness's /run/netns bind mounts live in the
 * harness's mount namespace, which /proc/1/root (its init) shows from outside.
 *
 * How it is started, the same for the harness and the Compose service: sidecar-launch.ts.
 * Which CPUs it runs on, the harness tells it in its first request (`ping`).
 */
import { createServer, type Socket } from 'node:net';
import { rmSync, statSync } from 'node:fs';
import { Request, type SidecarMessage } from './protocol.js';
import { FrameBatch, jsonMessage } from './frame-stream.js';
import { Relay } from './relay.js';
import { relayLibrary } from './native-relay.js';
import { bufferSize, SO_SNDBUF, SO_SNDBUFFORCE } from './packet-socket.js';
import { dieWithParent, runOnlyOn } from '../sockets/libc.js';

const DRAIN_TIMEOUT_MS = 2000;
// What the harness has not read yet waits in the kernel, not in the sidecar's memory:
// a message buffer the socket has taken is filled again, where one the socket must
// keep until the harness reads on would be new memory, a page fault per page.
const CLIENT_SEND_BUFFER = 16 * 1024 * 1024;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const socketPath = arg('--socket');
if (!socketPath) {
  process.stderr.write('sidecar: --socket PATH is required\n');
  process.exit(2);
}
const parent = arg('--die-with-parent');
if (parent !== undefined && !dieWithParent(Number(parent))) {
  // it would serve nobody, and nothing would ever end it
  process.stderr.write(`sidecar: its parent ${parent} is gone\n`);
  rmSync(socketPath, { force: true });
  process.exit(1);
}
const netnsRoot = (arg('--netns-root') ?? '').replace(/\/+$/, '');
try {
  // built on a machine's first start (a fraction of a second), before the harness is told it is ready
  relayLibrary();
} catch (e) {
  process.stderr.write(`sidecar: ${(e as Error).message}\n`);
  rmSync(socketPath, { force: true });
  process.exit(1);
}

function keepTo(cpus: number[]): void {
  try {
    runOnlyOn(cpus);
  } catch (e) {
    // a slower relay, not a wrong one
    process.stderr.write(`sidecar: cannot keep to CPUs ${cpus.join(',')}: ${(e as Error).message}\n`);
  }
}

interface Session {
  relay: Relay;
  client: Socket;
  /** frames not yet sent to the client */
  batch: FrameBatch;
}

const sessions = new Map<string, Session>();

function send(client: Socket, msg: SidecarMessage): void {
  flush(client); // frames first: replies and releases must not overtake them
  if (!client.destroyed) client.write(jsonMessage(msg));
}

// Frames gather while the packet sockets are drained and leave in one message per
// session and turn of the event loop (or sooner, when a message is full), so a burst
// costs a few writes instead of thousands.
const flushing = new Set<Socket>();

function framesWaiting(s: Session): void {
  if (flushing.has(s.client)) return;
  flushing.add(s.client);
  setImmediate(() => flush(s.client));
}

function flush(client: Socket): void {
  flushing.delete(client);
  for (const s of sessions.values()) {
    if (s.client !== client) continue;
    if (client.destroyed) s.batch.clear();
    else s.batch.flush();
  }
}

async function waitFor(relay: Relay, expect: number[] | undefined): Promise<void> {
  relay.drain();
  if (!expect) return;
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const stats = relay.portStats();
    if (expect.every((n, i) => (stats[i]?.captured ?? 0) >= n)) return;
    await new Promise((r) => setTimeout(r, 2));
    relay.drain();
  }
}

function relayOf(session: string): Relay {
  const s = sessions.get(session);
  if (!s) throw new Error(`no session ${session}`);
  return s.relay;
}

async function handle(client: Socket, line: string): Promise<void> {
  let req: Request;
  try {
    req = Request.parse(JSON.parse(line));
  } catch (e) {
    send(client, { type: 'error', id: -1, message: `bad request: ${(e as Error).message.split('\n')[0]}` });
    return;
  }
  try {
    switch (req.op) {
      case 'ping':
        if (req.cpus) keepTo(req.cpus);
        send(client, { type: 'ok', id: req.id, version: '2' });
        return;
      case 'attach': {
        if (sessions.has(req.session)) throw new Error(`session ${req.session} is already attached`);
        const session = req.session;
        const batch = new FrameBatch(session, req.snap, client);
        let s: Session | undefined;
        const relay = new Relay(
          req.ports,
          netnsRoot + req.netns,
          req.pcap,
          batch,
          {
            added: () => {
              if (s) framesWaiting(s);
            },
            release: (n, ms) => send(client, { type: 'release', session, n, ms }),
          },
          req.mode,
        );
        s = { relay, client, batch };
        sessions.set(session, s);
        send(client, { type: 'ok', id: req.id });
        return;
      }
      case 'detach': {
        const s = sessions.get(req.session);
        if (!s) throw new Error(`no session ${req.session}`);
        await waitFor(s.relay, req.expect);
        flush(client);
        sessions.delete(req.session);
        // the packet sockets close on a worker thread: the reply does not wait for them
        s.relay.close();
        send(client, { type: 'ok', id: req.id, stats: s.relay.portStats() });
        return;
      }
      case 'sync':
        // every frame already in the packet sockets' queues is read and streamed before the answer
        await waitFor(relayOf(req.session), req.expect);
        send(client, { type: 'ok', id: req.id, stats: relayOf(req.session).portStats() });
        return;
      case 'inject':
        relayOf(req.session).receive(req.from, Buffer.from(req.data, 'base64'), true);
        send(client, { type: 'ok', id: req.id });
        return;
      case 'rule':
        relayOf(req.session).addRule(req.rule);
        send(client, { type: 'ok', id: req.id });
        return;
      case 'cut':
        relayOf(req.session).setCut(req.port, req.cut);
        send(client, { type: 'ok', id: req.id });
        return;
      case 'unplug':
        relayOf(req.session).drop(req.port);
        send(client, { type: 'ok', id: req.id });
        return;
      case 'reopen':
        relayOf(req.session).reopen(req.port);
        send(client, { type: 'ok', id: req.id });
        return;
    }
  } catch (e) {
    send(client, { type: 'error', id: req.id, message: (e as Error).message });
  }
}

const server = createServer((client) => {
  const fd = (client as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd !== undefined && fd >= 0) bufferSize(fd, SO_SNDBUFFORCE, SO_SNDBUF, CLIENT_SEND_BUFFER);
  let pending = '';
  let chain = Promise.resolve();
  client.setEncoding('utf8');
  client.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim()) chain = chain.then(() => handle(client, line));
    }
  });
  client.on('close', () => {
    for (const [id, s] of sessions) {
      if (s.client === client) {
        s.relay.close();
        sessions.delete(id);
      }
    }
  });
  client.on('error', () => {});
});

// before the socket exists: a signal from then on (the parent gone while we start) ends
// us through shutdown(), which removes the socket
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
rmSync(socketPath, { force: true });
// the inode of our socket: a sidecar started after us for the same process (the one
// before it was told to stop) may already listen at the same path when we go
let ours = -1;
server.listen(socketPath, () => process.stdout.write('ready\n'));
// listen() binds at once and calls back a turn later: a signal in between must already
// find the file ours
try {
  ours = statSync(socketPath).ino;
} catch {
  // not bound: listen() reports why in a moment
}

function shutdown(): void {
  // the socket first: a relay that fails to close (its pcap's last write) must not leave it
  try {
    if (statSync(socketPath!).ino === ours) rmSync(socketPath!, { force: true });
  } catch {
    // gone already
  }
  for (const s of sessions.values()) {
    try {
      s.relay.close();
    } catch (e) {
      process.stderr.write(`sidecar: closing a relay on the way out: ${(e as Error).message}\n`);
    }
  }
  process.exit(0);
}
