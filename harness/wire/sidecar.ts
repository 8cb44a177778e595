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
 */
import { createServer, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { Request, type SidecarMessage, type FrameEvent, type FrameBatch } from './protocol.js';
import { Relay } from './relay.js';
import { dieWithParent } from '../sockets/libc.js';

const DRAIN_TIMEOUT_MS = 2000;

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

const sessions = new Map<string, { relay: Relay; client: Socket }>();

function send(client: Socket, msg: SidecarMessage): void {
  flush(client); // frames first: replies and releases must not overtake them
  if (!client.destroyed) client.write(JSON.stringify(msg) + '\n');
}

// Frames queue up while the capture handles are being drained and leave in one
// message per session, so a burst costs one write instead of thousands.
const queued = new Map<Socket, Map<string, FrameEvent[]>>();

function enqueue(client: Socket, f: FrameEvent): void {
  let bySession = queued.get(client);
  if (!bySession) {
    bySession = new Map();
    queued.set(client, bySession);
    setImmediate(() => flush(client));
  }
  const list = bySession.get(f.session);
  if (list) list.push(f);
  else bySession.set(f.session, [f]);
}

function flush(client: Socket): void {
  const bySession = queued.get(client);
  if (!bySession) return;
  queued.delete(client);
  if (client.destroyed) return;
  for (const [session, frames] of bySession) client.write(JSON.stringify({ type: 'frames', session, frames } satisfies FrameBatch) + '\n');
}

async function waitFor(relay: Relay, expect: number[] | undefined): Promise<void> {
  if (!expect) return;
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const stats = relay.portStats();
    if (expect.every((n, i) => (stats[i]?.captured ?? 0) >= n)) return;
    await new Promise((r) => setTimeout(r, 2));
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
        send(client, { type: 'ok', id: req.id, version: '1' });
        return;
      case 'attach': {
        if (sessions.has(req.session)) throw new Error(`session ${req.session} is already attached`);
        const snap = req.snap;
        const session = req.session;
        const relay = new Relay(
          req.ports,
          netnsRoot + req.netns,
          req.pcap,
          {
            frame: (f) =>
              enqueue(client, {
                type: 'frame',
                session,
                n: f.n,
                time: f.time.toString(),
                port: f.port,
                to: f.to,
                length: f.data.length,
                data: f.data.subarray(0, snap).toString('base64'),
                ...(f.fate ? { fate: f.fate } : {}),
                ...(f.rule ? { rule: f.rule } : {}),
                ...(f.triggerPassed !== undefined ? { triggerPassed: f.triggerPassed.toString() } : {}),
              }),
            release: (n, ms) => send(client, { type: 'release', session, n, ms }),
          },
          req.mode,
        );
        sessions.set(req.session, { relay, client });
        send(client, { type: 'ok', id: req.id });
        return;
      }
      case 'detach': {
        const s = sessions.get(req.session);
        if (!s) throw new Error(`no session ${req.session}`);
        await waitFor(s.relay, req.expect);
        sessions.delete(req.session);
        s.relay.close();
        send(client, { type: 'ok', id: req.id, stats: s.relay.portStats() });
        return;
      }
      case 'sync':
        await waitFor(relayOf(req.session), req.expect);
        // capture handles are dispatched in the poll phase; two turns of the loop
        // let every frame already in their buffers through before the answer
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
        send(client, { type: 'ok', id: req.id });
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

rmSync(socketPath, { force: true });
server.listen(socketPath, () => process.stdout.write('ready\n'));

function shutdown(): void {
  for (const s of sessions.values()) s.relay.close();
  rmSync(socketPath!, { force: true });
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
