/**
 * A tracefs instance of this process's own (its own buffer, so parallel runs do not
 * mix), with the TCP state and reset events on and the monotonic clock, the clock
 * process.hrtime and the capture sidecar use, so all timestamps compare directly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, rmdirSync, readdirSync, readlinkSync } from 'node:fs';
import { execa } from 'execa';
import { parseTraceLine, type KernelEvent } from './events.js';
import { pastSetpriv } from '../setpriv.js';
import { resourceName, ownerOf, ownerAlive, PREFIX } from '../topology/owner.js';

const EVENTS = [
  'sock/inet_sock_set_state',
  'tcp/tcp_send_reset',
  'tcp/tcp_receive_reset',
  'tcp/tcp_retransmit_skb',
  'tcp/tcp_destroy_sock',
];

let root: string | null = null;

export async function tracefsRoot(): Promise<string> {
  if (root) return root;
  for (const dir of ['/sys/kernel/tracing', '/sys/kernel/debug/tracing']) {
    if (existsSync(`${dir}/instances`)) return (root = dir);
  }
  const r = await execa('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { reject: false });
  if (r.exitCode === 0 && existsSync('/sys/kernel/tracing/instances')) return (root = '/sys/kernel/tracing');
  throw new Error(`tracefs is not available (mount -t tracefs nodev /sys/kernel/tracing failed: ${r.stderr.trim()})`);
}

/** sessions whose instance exists, from its mkdir on: an exit handler may run while one is still opening */
const live = new Set<TraceSession>();

/** Close every session of this process, opened or still opening (synchronous, for exit handlers). */
export function closeAllTraceSessions(): void {
  for (const s of [...live]) s.close();
}

export class TraceSession {
  private reader: ChildProcess | null = null;
  private listeners = new Set<(e: KernelEvent) => void>();
  private markers = new Map<string, () => void>();
  private markerSeq = 0;
  private closed = false;

  private constructor(readonly dir: string) {}

  static async open(): Promise<TraceSession> {
    const base = await tracefsRoot();
    const dir = `${base}/instances/${resourceName('trace')}`;
    mkdirSync(dir);
    const session = new TraceSession(dir);
    live.add(session);
    try {
      writeFileSync(`${dir}/trace_clock`, 'mono');
      writeFileSync(`${dir}/buffer_size_kb`, '4096');
      for (const e of EVENTS) writeFileSync(`${dir}/events/${e}/enable`, '1');
      await pastSetpriv(session.startReader());
    } catch (e) {
      session.close();
      throw e;
    }
    return session;
  }

  /** Returns the reader's pid. */
  private startReader(): number {
    // setpriv: the reader dies with us even on SIGKILL, so the instance can be removed
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', 'cat', `${this.dir}/trace_pipe`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let e: KernelEvent | null;
        try {
          e = parseTraceLine(line);
        } catch {
          continue; // a line of a format this version does not know: not ours to act on
        }
        if (!e) continue;
        if (e.kind === 'marker') this.markers.get(e.text)?.();
        else for (const l of this.listeners) l(e);
      }
    });
    child.unref();
    (child.stdout as unknown as { unref(): void }).unref();
    this.reader = child;
    return child.pid!;
  }

  subscribe(fn: (e: KernelEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves once every event recorded before the call has been delivered. */
  barrier(timeoutMs = 2000): Promise<void> {
    const text = `tcpl-barrier-${process.pid}-${++this.markerSeq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.markers.delete(text);
        reject(new Error(`tracefs did not deliver a marker within ${timeoutMs} ms (${this.dir})`));
      }, timeoutMs);
      this.markers.set(text, () => {
        clearTimeout(timer);
        this.markers.delete(text);
        resolve();
      });
      writeFileSync(`${this.dir}/trace_marker`, text);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    this.reader?.kill('SIGKILL');
    removeInstance(this.dir);
  }
}

/** rmdir the instance, retrying while its reader lets go; false if it is still there. */
function removeInstance(dir: string): boolean {
  // rmdir fails while the reader still holds trace_pipe open; it is going away
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      const until = Date.now() + 10;
      while (Date.now() < until) {
        /* short spin: this also runs from exit handlers, where nothing async may */
      }
    }
  }
  return false;
}

/**
 * Is some process we can see holding a file of instance `name` open? tracefs is one
 * per kernel: a run in another pid namespace (a Docker container) has instances whose
 * pid means nothing here, so its live reader is what tells it is alive.
 */
function heldOpen(name: string): boolean {
  const needle = `/instances/${name}/`;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${p}/fd/${fd}`).includes(needle)) return true;
      } catch {
        // closed meanwhile
      }
    }
  }
  return false;
}

/**
 * Remove tracefs instances left by tcpladder processes that are gone: named `tcpl-…`,
 * owner not alive, no reader holding them. Returns the names actually removed.
 */
export async function cleanInstances(): Promise<string[]> {
  const base = await tracefsRoot().catch(() => null);
  if (!base) return [];
  const removed: string[] = [];
  for (const name of readdirSync(`${base}/instances`)) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = ownerOf(name);
    if (pid === null || ownerAlive(pid)) continue;
    if (heldOpen(name)) continue;
    if (removeInstance(`${base}/instances/${name}`)) removed.push(name);
  }
  return removed;
}
