/**
 * The agent: one long-lived process inside a guest (User-Mode Linux, gVisor) that makes
 * a case's socket calls there with the harness's own socket code (sockets/syscalls.ts),
 * reports the states it samples, and runs host.node sockets and host.spawn programs.
 * Process creation is slow in a guest (~0.4 s in UML), so nothing is spawned per call.
 */
import { release } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { localSyscalls, type Syscalls } from '../sockets/syscalls.js';
import { SocketError } from '../sockets/libc.js';
import { readPresentSysctls, applySysctls } from '../topology/sysctl.js';
import { decodeSockaddr } from '../sockets/sockaddr.js';
import { Request, PASSIVE_OPS, type AgentEvent, type Endpoint, type Reply, type StateEventWire, type SysArg } from './protocol.js';
import { readLines, writeLine } from './lines.js';
import { GuestNet } from './guest-net.js';
import { sockDiagStates, tcpInfoStates, type GuestStates } from './guest-states.js';
import { GuestNode } from './guest-node.js';
import { GuestSpawn } from './guest-spawn.js';

export interface AgentOptions {
  /** how states are seen: sock_diag (UML) or TCP_INFO on the case's descriptors (gVisor) */
  states: 'sockdiag' | 'tcpinfo';
}

/** The calls a request may name, and nothing else of Syscalls. */
const CALLS = new Set(['socket', 'setsockopt', 'getsockopt', 'bind', 'listen', 'connect', 'accept', 'recv', 'send', 'shutdown', 'close', 'poll', 'names', 'fcntl', 'ioctlInt']);

export class Agent {
  private net: GuestNet | null = null;
  private sys: Syscalls = localSyscalls(null);
  private states: GuestStates | null = null;
  private pendingStates: StateEventWire[] = [];
  /** the case's descriptors, with the address each was asked to connect to */
  private readonly fds = new Map<number, Endpoint | undefined>();
  private node: GuestNode;
  private readonly spawner: GuestSpawn;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly options: AgentOptions,
  ) {
    this.node = new GuestNode(this.sys, (e) => this.send(e));
    this.spawner = new GuestSpawn(() => this.net?.namespace ?? null, (e) => this.send(e));
  }

  start(): void {
    readLines(this.input, (m) => void this.onMessage(m));
    this.send({ ev: 'ready' });
  }

  private send(m: AgentEvent | Reply): void {
    // states before anything else: an event the kernel made before a reply is seen first
    if (this.pendingStates.length && !('ev' in m && m.ev === 'states')) this.flushStates();
    writeLine(this.output, m);
  }

  private flushStates(): void {
    const events = this.pendingStates;
    this.pendingStates = [];
    writeLine(this.output, { ev: 'states', events });
  }

  private async onMessage(raw: unknown): Promise<void> {
    const parsed = Request.safeParse(raw);
    if (!parsed.success) {
      const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : -1;
      this.send({ id, ok: false, input: true, message: `bad request: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
      return;
    }
    const r = parsed.data;
    // a call is something happening: states seen before it are before it, and the pace
    // quickens. Asking for states (the harness waiting on an expectation) is not: one look.
    const passive = PASSIVE_OPS.has(r.op);
    if (!passive) this.states?.poke();
    try {
      const value = await this.handle(r);
      if (passive) this.states?.sample();
      else this.states?.poke();
      this.send({ id: r.id, ok: true, ...(value !== undefined ? { value } : {}) });
    } catch (e) {
      const err = e as Error & { code?: string; input?: boolean };
      this.send({
        id: r.id,
        ok: false,
        message: err.message,
        ...(e instanceof SocketError ? { code: e.code, call: e.call } : err.code ? { code: err.code } : {}),
        ...(err.name === 'InputError' ? { input: true } : {}),
      });
    }
  }

  private async handle(r: Request): Promise<unknown> {
    switch (r.op) {
      case 'hello':
        return { release: release(), now: String(process.hrtime.bigint()), pid: process.pid };
      case 'clock':
        return String(process.hrtime.bigint());
      case 'begin':
        return this.begin(r.net);
      case 'end':
        return this.end();
      case 'ready':
        if (!this.net) throw new Error('no case has begun');
        await this.net.ready();
        return null;
      case 'sys':
        if (r.began) writeLine(this.output, { ev: 'began', id: r.id });
        return this.syscall(r.call, r.args);
      case 'sample':
      case 'poke':
        return null;
      case 'sysctl-read':
        return readPresentSysctls(this.net?.namespace ?? null, r.keys);
      case 'sysctl-write':
        applySysctls(this.net?.namespace ?? null, r.values);
        return null;
      case 'spawn':
        return this.spawner.start(r);
      case 'signal':
        this.spawner.signal(r.pid, r.signal);
        return null;
      case 'net':
        return this.node.handle(r);
    }
  }

  private async begin(net: import('./protocol.js').CaseNet): Promise<null> {
    if (this.net) await this.end();
    this.net = await GuestNet.make(net);
    this.sys = localSyscalls(net.namespace);
    this.node = new GuestNode(this.sys, (e) => this.send(e));
    const mine = (a: string) => net.prefixes.some((p) => a.startsWith(p));
    const emit = (e: StateEventWire) => this.pendingStates.push(e);
    this.states =
      this.options.states === 'sockdiag'
        ? sockDiagStates(net.namespace!, mine, emit)
        : tcpInfoStates(() => this.caseFds(), mine, emit);
    return null;
  }

  private *caseFds(): Iterable<[number, Endpoint | undefined]> {
    yield* this.fds;
    yield* this.node.fds();
  }

  private async end(): Promise<null> {
    this.states?.sample();
    this.states?.close();
    this.states = null;
    if (this.pendingStates.length) this.flushStates();
    this.spawner.killAll();
    this.node.closeAll();
    for (const fd of this.fds.keys()) this.sys.closeNow(fd);
    this.fds.clear();
    this.net?.undo();
    this.net = null;
    this.sys = localSyscalls(null);
    return null;
  }

  private async syscall(call: string, args: SysArg[]): Promise<unknown> {
    if (!CALLS.has(call)) throw Object.assign(new Error(`unknown system call "${call}"`), { name: 'InputError' });
    const decoded = args.map((a) => (a !== null && typeof a === 'object' ? Buffer.from(a.b64, 'base64') : a));
    const fn = (this.sys as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[call];
    const result = await fn(...decoded);
    this.track(call, decoded, result);
    return encodeResult(result);
  }

  /** Keep the case's descriptors: they are closed at its end, and sampled in gVisor. */
  private track(call: string, args: unknown[], result: unknown): void {
    if ((call === 'socket' || call === 'accept') && typeof result === 'number') this.fds.set(result, undefined);
    else if (call === 'close') this.fds.delete(args[0] as number);
    else if (call === 'connect' && this.fds.has(args[0] as number)) {
      try {
        this.fds.set(args[0] as number, decodeSockaddr(args[1] as Buffer));
      } catch {
        // not an inet address: nothing to sample by
      }
    }
  }
}

/** Buffers as base64, also inside a result's fields (names()). */
function encodeResult(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return { b64: v.toString('base64') };
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeResult(x)]));
  return v;
}
