/**
 * The harness's end of an agent: requests and their replies, the events the agent
 * sends unasked, and the guest's clock. Guest times are turned into this process's
 * monotonic clock with an offset measured by round trips (the one with the shortest
 * round trip wins), so a guest's states sit in the same timeline as the wire's frames.
 */
import type { Duplex } from 'node:stream';
import { SocketError } from '../sockets/libc.js';
import { InputError } from '../input-error.js';
import { readLines, writeLine } from './lines.js';
import { isTcpState, type TcpState } from '../observe/states.js';
import { PASSIVE_OPS, type AgentEvent, type AgentMessage, type Reply, type Request, type StateEventWire } from './protocol.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type AgentRequest = DistributiveOmit<Request, 'id'>;

/** a call that blocks longest: close() lingering, a poll slice behind a queue of writes */
const REQUEST_TIMEOUT_MS = 30_000;

export class AgentClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; op: string; began?: () => void }>();
  private readonly listeners = new Set<(e: AgentEvent) => void>();
  private dead: Error | null = null;
  /** guest monotonic ns minus ours */
  private offset = 0n;
  /** when the last request that quickens the agent's sampling went out (performance.now()): any but asking for states */
  lastCallAt = 0;

  constructor(
    private readonly channel: Duplex,
    /** what the guest is, for messages: "uml guest tcpl-…-g3" */
    readonly name: string,
  ) {
    readLines(channel, (m) => this.dispatch(m as AgentMessage & { ev?: string; message?: string }));
    channel.resume();
    channel.on('close', () => this.fail(new Error(`the connection to the ${name} closed`)));
    channel.on('error', (e) => this.fail(new Error(`the connection to the ${name} failed: ${e.message}`)));
  }

  private dispatch(m: AgentMessage | { ev: 'died'; message: string }): void {
    if ('ev' in m && m.ev === 'died') return this.fail(new Error(m.message));
    if ('ev' in m && m.ev === 'began') return this.pending.get(m.id)?.began?.();
    if ('id' in m) {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value ?? null);
      else p.reject(errorOf(m, p.op));
      return;
    }
    for (const fn of this.listeners) fn(m as AgentEvent);
  }

  /** Why the agent is gone, or null while it serves. */
  get failure(): Error | null {
    return this.dead;
  }

  fail(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    for (const fn of [...this.failureListeners]) fn(e);
  }

  private readonly failureListeners = new Set<(e: Error) => void>();

  onFailure(fn: (e: Error) => void): () => void {
    if (this.dead) fn(this.dead);
    else this.failureListeners.add(fn);
    return () => this.failureListeners.delete(fn);
  }

  on(fn: (e: AgentEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private suspendedBy: string | null = null;

  /**
   * The guest is gone for now (crashed): calls waiting for it and calls made meanwhile fail
   * at once with EBADF, as calls on the sockets of a host that lost power do.
   */
  suspend(why: string): void {
    this.suspendedBy = why;
    for (const p of this.pending.values()) p.reject(new SocketError('EBADF', `${p.op} (${why})`));
    this.pending.clear();
  }

  resume(): void {
    this.suspendedBy = null;
  }

  get suspended(): boolean {
    return this.suspendedBy !== null;
  }

  /** `began`: called when the agent says it is making the call (a 'sys' request with began: true) */
  request<T = unknown>(req: AgentRequest, timeoutMs = REQUEST_TIMEOUT_MS, began?: () => void): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.suspendedBy) return Promise.reject(new SocketError('EBADF', `${req.op} (${this.suspendedBy})`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the ${this.name} did not answer "${req.op}" within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, {
        op: req.op,
        began,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.write({ ...req, id } as Request);
    });
  }

  private write(req: Request): void {
    if (!PASSIVE_OPS.has(req.op)) this.lastCallAt = performance.now();
    writeLine(this.channel, req);
  }

  /** A request whose reply nobody waits for (teardown). */
  send(req: AgentRequest): void {
    if (this.dead || this.suspendedBy) return;
    const id = this.nextId++;
    this.pending.set(id, { op: req.op, resolve: () => {}, reject: () => {} });
    this.write({ ...req, id } as Request);
  }

  /** Measure the guest clock's offset: a few round trips, the shortest one counts. */
  async calibrate(rounds = 5): Promise<void> {
    let best: bigint | null = null;
    for (let i = 0; i < rounds; i++) {
      const t1 = process.hrtime.bigint();
      const guest = BigInt(await this.request<string>({ op: 'clock' }));
      const t2 = process.hrtime.bigint();
      const rtt = t2 - t1;
      if (best === null || rtt < best) {
        best = rtt;
        this.offset = guest - (t1 + t2) / 2n;
      }
    }
  }

  /** A guest time (ns, decimal) on this process's monotonic clock. */
  toLocal(t: string): bigint {
    return BigInt(t) - this.offset;
  }

  /** The guest's state events, on this process's clock. */
  onStates(fn: (events: (Omit<StateEventWire, 't' | 'from' | 'to'> & { t: bigint; from: TcpState; to: TcpState })[]) => void): () => void {
    return this.on((e) => {
      if (e.ev === 'states') fn(e.events.map((x) => ({ ...x, from: stateOf(x.from), to: stateOf(x.to), t: this.toLocal(x.t) })));
    });
  }

  close(): void {
    this.channel.destroy();
  }
}

function stateOf(s: string): TcpState {
  return isTcpState(s) ? s : 'CLOSED';
}

function errorOf(r: Extract<Reply, { ok: false }>, op: string): Error {
  if (r.code && r.call) return new SocketError(r.code, r.call);
  if (r.input) return new InputError(r.message);
  return Object.assign(new Error(`agent ${op}: ${r.message}`), r.code ? { code: r.code } : {});
}
