/**
 * The harness's end of the sidecar: starts the local sidecar process (or connects
 * to the one named by TCPLADDER_SIDECAR, e.g. a Compose container), sends requests,
 * routes streamed frames to their session.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { STATE_DIR } from '../topology/owner.js';
import { relayCpus } from '../topology/cpus.js';
import { programArgs } from '../bundle.js';
import { sidecarEnv, sidecarNodeArgs } from './sidecar-launch.js';
import { decodeFrameBatch, KIND_FRAMES, MessageReader, type BatchedFrame } from './frame-stream.js';
import type { PortStats, ReleaseEvent, Reply, SidecarMessage } from './protocol.js';

const START_TIMEOUT_MS = 15000;
const REQUEST_TIMEOUT_MS = 10000;
/** how long a case waits for a remote sidecar that died to be back */
const RECONNECT_WAIT_MS = 10000;
const READ_BUFFER_BYTES = 256 * 1024;

type DistributiveOmit<T, K extends keyof any> = T extends unknown ? Omit<T, K> : never;
type Req = DistributiveOmit<import('zod').input<typeof import('./protocol.js').Request>, 'id'>;

export class SidecarClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private readonly sessions = new Map<string, (f: BatchedFrame | ReleaseEvent) => void>();
  private dead: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly child: ChildProcess | null,
    private readonly stderr: () => string,
  ) {
    socket.unref();
    // When the sidecar dies, its connection usually breaks before the exit is seen:
    // give the exit (and the stderr that says why) a moment to arrive.
    const fail = (why: string) => {
      if (!child || child.exitCode !== null) return this.fail(new Error(why));
      const timer = setTimeout(() => this.fail(new Error(why)), 300);
      child.once('exit', () => clearTimeout(timer));
    };
    socket.on('close', () => fail(`the capture sidecar closed its connection${this.stderrTail()}`));
    socket.on('error', (e) => fail(`the capture sidecar connection failed: ${e.message}${this.stderrTail()}`));
    child?.on('exit', (code, signal) => this.fail(new Error(`the capture sidecar exited (${signal ?? code})${this.stderrTail()}`)));
  }

  /** The sidecar process this process started; null for a remote one (Compose). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  private stderrTail(): string {
    const s = this.stderr().trim();
    return s ? `: ${s.split("\n").slice(-12).join(" | ")}` : '';
  }

  private fail(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    for (const fn of [...this.failureListeners]) fn(e);
  }

  private readonly failureListeners = new Set<(e: Error) => void>();

  /** Why the sidecar is gone, or null while it serves. */
  get failure(): Error | null {
    return this.dead;
  }

  /** Call `fn` when the sidecar dies or its connection breaks (at once if it already has). */
  onFailure(fn: (e: Error) => void): () => void {
    if (this.dead) {
      fn(this.dead);
      return () => {};
    }
    this.failureListeners.add(fn);
    return () => this.failureListeners.delete(fn);
  }

  private dispatchFrames(body: Buffer): void {
    const { session, frames } = decodeFrameBatch(body);
    const fn = this.sessions.get(session);
    if (fn) for (const f of frames) fn(f);
  }

  private dispatch(msg: SidecarMessage): void {
    if (msg.type === 'release') {
      this.sessions.get(msg.session)?.(msg);
    } else if (msg.type === 'ok' || msg.type === 'error') {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      p?.resolve(msg);
    }
  }

  request(req: Req): Promise<Reply & { type: 'ok' }> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the capture sidecar did not answer "${req.op}" within ${REQUEST_TIMEOUT_MS / 1000} s`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          if (r.type === 'error') reject(new Error(`capture sidecar: ${r.message}`));
          else resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(JSON.stringify({ ...req, id }) + '\n');
    });
  }

  onFrames(session: string, fn: (f: BatchedFrame | ReleaseEvent) => void): () => void {
    this.sessions.set(session, fn);
    return () => this.sessions.delete(session);
  }

  /** The ports' counts once the frames waiting now have been handled. */
  async portStats(session: string): Promise<PortStats[]> {
    return (await this.request({ op: 'sync', session })).stats ?? [];
  }

  async detach(session: string, expect?: number[]): Promise<PortStats[]> {
    try {
      const r = await this.request({ op: 'detach', session, expect });
      return r.stats ?? [];
    } finally {
      this.sessions.delete(session);
    }
  }

  close(): void {
    this.socket.destroy();
    this.child?.kill('SIGTERM');
  }

  private onMessage(kind: number, body: Buffer): void {
    if (kind === KIND_FRAMES) this.dispatchFrames(body);
    else this.dispatch(JSON.parse(body.toString('utf8')) as SidecarMessage);
  }

  static async connectTo(path: string, child: ChildProcess | null = null, stderr = () => ''): Promise<SidecarClient> {
    const reader = new MessageReader();
    let client: SidecarClient | null = null;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(
        {
          path,
          // every read into the same buffer: the reader copies each message out
          onread: {
            buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
            callback: (bytes, buffer) => {
              reader.feed(buffer.subarray(0, bytes), (kind, body) => client?.onMessage(kind, body));
              return true;
            },
          },
        },
        () => resolve(s),
      );
      s.once('error', (e: NodeJS.ErrnoException) =>
        reject(Object.assign(new Error(`cannot reach the capture sidecar at ${path}: ${e.message}`), { code: e.code })),
      );
    });
    client = new SidecarClient(socket, child, stderr);
    // the first request: where the sidecar is to run (the hosts take in frames elsewhere)
    const cpus = relayCpus();
    await client.request({ op: 'ping', ...(cpus ? { cpus: cpus.sidecar } : {}) });
    return client;
  }

  /**
   * Connect to a sidecar that runs elsewhere (TCPLADDER_SIDECAR: the Compose `capture`
   * service), waiting up to `waitMs` for its socket to appear and accept.
   */
  static async connectRemote(path: string, waitMs = remoteWaitMs()): Promise<SidecarClient> {
    const deadline = Date.now() + waitMs;
    const hint = () => `is the capture sidecar running? In Docker Compose see \`docker compose logs capture\``;
    for (;;) {
      try {
        return await SidecarClient.connectTo(path, null, hint);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== 'ENOENT' && code !== 'ECONNREFUSED') || Date.now() >= deadline) {
          throw new Error(
            `no capture sidecar answers at ${path} (TCPLADDER_SIDECAR) after ${waitMs / 1000} s: ${(e as Error).message}. ` +
              'Start it first (Docker Compose: the `capture` service), or unset TCPLADDER_SIDECAR to let the harness start its own.',
          );
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Start a sidecar process for this process and connect to it. */
  static async start(): Promise<SidecarClient> {
    mkdirSync(`${STATE_DIR}/sock`, { recursive: true });
    const path = `${STATE_DIR}/sock/sidecar-${process.pid}.sock`;
    const script = fileURLToPath(new URL('./sidecar.ts', import.meta.url));
    const program = await programArgs(script, 'sidecar', process.env.TCPLADDER_SIDECAR_TSX !== '1');
    // the bundle names its source, so that ps (and whoever looks for the sidecar) still sees harness/wire/sidecar.ts
    const entry = program.bundle ? [...program.args, '--source', script] : program.args;
    const child = spawn(process.execPath, [...sidecarNodeArgs(), ...entry, '--socket', path, '--die-with-parent', String(process.pid)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: sidecarEnv(),
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-4000);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the capture sidecar did not start within ${START_TIMEOUT_MS / 1000} s${stderr ? `: ${stderr}` : ''}`)), START_TIMEOUT_MS);
      child.stdout!.setEncoding('utf8').once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the capture sidecar exited with ${code} before it was ready: ${stderr.trim()}`));
      });
    });
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    return SidecarClient.connectTo(path, child, () => stderr);
  }
}

function remoteWaitMs(): number {
  const ms = Number(process.env.TCPLADDER_SIDECAR_WAIT_MS);
  return Number.isFinite(ms) && ms >= 0 ? ms : START_TIMEOUT_MS;
}

let shared: Promise<SidecarClient> | null = null;
let current: SidecarClient | null = null;
/** A remote sidecar that was waited for in vain: later cases fail at once instead of waiting again. */
let remoteFailure: Error | null = null;

/** The sidecar of this process, started on first use. */
export function sidecar(): Promise<SidecarClient> {
  // A sidecar that died failed the case it served, with the reason; the next case gets
  // a new one (a remote one, restarted by its container, within RECONNECT_WAIT_MS).
  let again = false;
  if (current?.failure) {
    current.close();
    current = null;
    shared = null;
    again = true;
  }
  if (!shared) {
    const remote = process.env.TCPLADDER_SIDECAR;
    if (remote && remoteFailure) return Promise.reject(remoteFailure);
    shared = remote
      ? SidecarClient.connectRemote(remote, again ? Math.min(remoteWaitMs(), RECONNECT_WAIT_MS) : remoteWaitMs())
      : SidecarClient.start();
    shared.then(
      (c) => (current = c),
      (e: Error) => {
        shared = null;
        if (remote) remoteFailure = e;
      },
    );
  }
  return shared;
}

/** Synchronous, for exit handlers. */
export function stopSidecar(): void {
  current?.close();
  current = null;
  shared = null;
}
