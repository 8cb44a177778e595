/**
 * Runs a parsed script as packetdrill's run.c does: events in order, each at its
 * time; inbound packets from the scripted peer, outbound packets matched against
 * what the local host puts on the wire, system calls on the local host (a call
 * written with `...` blocks while the script goes on), commands inside the local
 * host, %{ }% assertions on TCP_INFO. The first failure ends the script with
 * packetdrill's kind of message, `file:line: …`.
 */
import { execFileSync } from 'node:child_process';
import type { CaseHost } from '../case/host.js';
import type { SocketCall, SocketContext } from '../sockets/index.js';
import type { TraceSegment } from '../trace/types.js';
import type { Wire } from '../wire/index.js';
import type { RawPeer } from '../wire/raw-peer.js';
import type { Event, Script, SyscallSpec, TcpPacket } from './ast.js';
import { CodeError, CodeScope, exprText } from './code-exec.js';
import { ExecState, type LiveAddresses } from './exec-state.js';
import { inboundSegment } from './inbound.js';
import { aggregate, learnOutbound, outboundMismatch } from './outbound.js';
import { actualPacketText, scriptPacketText } from './packet-text.js';
import { CallMismatch, CallUnsupported, runSyscall, type CallOptions, type Outcome } from './run-syscall.js';
import { scriptError, unsupported } from './script-error.js';
import type { ScriptSocket } from './script-socket.js';
import { checkSupported } from './support.js';
import { SYMBOLS } from './symbols.js';
import { inSegsOf } from './tcp-in-segs.js';
import { formatSeconds, timingError, toleranceAt, type TimeCheck, type Tolerance } from './timing.js';
import { ArgError, describeExpr } from './values.js';
import { tcpInfoFields, TCP_INFO_MAX_SIZE } from '../sockets/index.js';
import { NotApplicable, longestWaitMs, type RunDelays, type StackName } from '../stacks/index.js';
import { withRtnl } from '../topology/index.js';

export interface ScriptEnv {
  local: CaseHost;
  remote: CaseHost;
  raw: RawPeer;
  wire: Wire;
  /** the IP version of this run */
  version: 'ipv4' | 'ipv6' | 'ipv4-mapped-ipv6';
  tolerance: Tolerance;
  /** how long a call not written with `...` may wait for its socket (ms) */
  waitLimitMs: number;
  signal: AbortSignal;
  sockets: SocketContext;
  tagSegment(n: number, line: number): void;
  /** the script's folder: commands run there (scripts source ../common/defaults.sh and the like) */
  dir: string;
}

/** packetdrill's default addresses, the names scripts use for the two ends */
const DEFAULT_IPS = { ipv4: ['192.168.0.1', '192.0.2.1'], ipv6: ['fd3d:a0b:17d6::1', 'fd3d:fa7b:d17d::1'] };
/** µs an outbound packet written with `*` may take */
const ANY_TIME_WAIT_US = 10_000_000;
/** how long past its window a late packet is still waited for, to report when it came */
const LATE_GRACE_US = 1_000_000;
/** the MTU of packetdrill's tun0 without --mtu, as of the hosts' links */
const DEFAULT_MTU = 1500;
/** the largest MTU a veth takes */
const MAX_LINK_MTU = 65535;
/** how long the local host may take to take in an injected segment */
const INJECT_WAIT_MS = 1000;

type Timed = Event & {
  timeUs: number;
  endUs?: number;
  blockingEndUs?: number;
  /**
   * when it happened, known to lie between these two script times: later relative times
   * count from there (a system call acts somewhere between its start and its return; an
   * injected packet reaches the host between its recording and the host's InSegs moving)
   */
  done?: { lo: number; hi: number };
  /** how far the base its time counts from is uncertain (the previous event's done.hi - done.lo) */
  slackUs: number;
  /** when the event it follows surely happened (the host cannot have meant to answer before) */
  afterUs: number;
  /** its time by the script's own arithmetic (relative times added to written times), for TS val checks */
  nominalUs: number;
};

interface Pending {
  line: number;
  name: string;
  done: Promise<void>;
  finished: boolean;
}

/** The local host's NIC as a script's hosts make it: tun0 (gVisor's NIC cannot be renamed: eth0). */
export function scriptNic(stack: StackName): string {
  return stack === 'gvisor' ? 'eth0' : 'tun0';
}

export async function runScript(script: Script, env: ScriptEnv): Promise<void> {
  checkSupported(script);
  if (script.options.dryRun) return;
  await new ScriptRun(script, env).run();
}

class ScriptRun {
  private readonly st: ExecState;
  private liveStart = 0n;
  private last: Timed | null = null;
  /** index into the wire's segments of the next local → remote one to look at */
  private cursor = 0;
  /** segments the scripted peer injected so far */
  private injected = 0;
  /** the events run so far */
  private readonly history: Timed[] = [];
  private inSegs = 0;
  /** the local host's CPU waits at the end of the last event (a guest's; null on linux) */
  private delays: RunDelays | null = null;
  private pending: Pending | null = null;
  private failure: Error | null = null;
  private readonly failed: Promise<never>;
  private fail: (e: Error) => void = () => {};
  private readonly code = new CodeScope();
  private readonly file: string;
  /** stops the script's calls still waiting when it ends */
  private readonly stop = new AbortController();

  constructor(
    private readonly script: Script,
    private readonly env: ScriptEnv,
  ) {
    this.file = script.file;
    this.failed = new Promise<never>((_, reject) => (this.fail = (e) => ((this.failure ??= e), reject(e))));
    this.failed.catch(() => undefined);
    const o = script.options;
    const mapped = env.version === 'ipv4-mapped-ipv6';
    const v6 = env.version === 'ipv6';
    const local = v6 ? env.local.ipv6 : env.local.ipv4;
    const remote = v6 ? env.remote.ipv6 : env.remote.ipv4;
    const ips = v6 ? DEFAULT_IPS.ipv6 : DEFAULT_IPS.ipv4;
    const net: LiveAddresses = {
      domain: v6 || mapped ? SYMBOLS.AF_INET6 : SYMBOLS.AF_INET,
      local: mapped ? `::ffff:${local}` : local,
      remote: mapped ? `::ffff:${remote}` : remote,
      scriptLocal: [o.localIp ?? ips[0], ...(mapped ? [`::ffff:${ips[0]}`] : [])],
      scriptRemote: [(o.remoteIp ?? ips[1]).replace(/\/\d+$/, ''), ...(mapped ? [`::ffff:${ips[1]}`] : [])],
      bindPort: o.bindPort,
      connectPort: o.connectPort,
    };
    this.st = new ExecState(env.local.sys, env.local.name, net, env.sockets, AbortSignal.any([env.signal, this.stop.signal]), env.local.stack === 'linux');
  }

  private nowUs(): number {
    return this.usAt(process.hrtime.bigint());
  }

  private usAt(t: bigint): number {
    return Number(t - this.liveStart) / 1000;
  }

  /** What the host did differs from the script: `file:line: what`. */
  private error(line: number, what: string): Error {
    return new Error(`${this.file}:${line}: ${what}`);
  }

  async run(): Promise<void> {
    const { script, env } = this;
    if (script.options.mtu !== undefined) await this.setMtu(script.options.mtu);
    this.fitInbound(script.options.mtu ?? DEFAULT_MTU);
    this.inSegs = this.readInSegs();
    try {
      for (const s of script.options.initScripts) await this.command(s, script.events[0].line, 'init script');
      if (script.init) await this.command(script.init.command, script.init.line, 'init command');
      this.liveStart = process.hrtime.bigint();
      this.delays = this.env.local.runDelays();
      for (let i = 0; i < script.events.length; i++) {
        const e = script.events[i];
        if (i === 0 && (e.time.kind === 'absolute' || e.time.kind === 'relative') && e.time.usecs !== 0) throw scriptError(this.file, e.line, 'first event should be at time 0');
        const ev = this.adjust(e);
        this.history.push(ev);
        await Promise.race([this.runEvent(ev), this.failed]);
        this.last = ev;
        this.delays = this.env.local.runDelays();
      }
    } finally {
      if (script.cleanup) await this.command(script.cleanup.command, script.cleanup.line, 'cleanup command').catch((e: Error) => (this.failure ??= e));
    }
    await this.endPending();
    if (this.failure) throw this.failure;
  }

  /**
   * The script is over (its cleanup command too): as packetdrill's syscalls_free, a
   * blocking call still in progress gets a moment (1 s, times the run's factor) to
   * return, and is checked when it does; one still blocked then ends the script with
   * packetdrill's error on its line, and is stopped (packetdrill stops its thread).
   */
  private async endPending(): Promise<void> {
    const p = this.pending;
    if (!p || p.finished || this.failure) return;
    const idle = await Promise.race([p.done.then(() => true), this.failed.catch(() => true), sleep(this.env.waitLimitMs).then(() => false)]);
    if (idle || p.finished) return;
    this.failure ??= this.error(p.line, `runtime error: exiting while a blocking system call is in progress (${p.name}() still blocked when the script ended)`);
    this.stop.abort();
    await Promise.race([p.done, sleep(500)]);
  }

  /** packetdrill's adjust_relative_event_times: script µs since the start for this event. */
  private adjust(e: Event): Timed {
    const t = e.time;
    const inbound = (x: Event | null) => x?.kind === 'packet' && x.packet.direction === 'inbound';
    // packetdrill counts from the moment the previous event ended: ours ended when the
    // peer's packet reached the host, or when the host's packet went on the wire, or
    // somewhere in a system call, not when tcpladder learnt of it
    const absolute = t.kind === 'absolute' || t.kind === 'absolute-range';
    const now = this.nowUs();
    const base = absolute ? { lo: 0, hi: 0 } : this.last && inbound(this.last) && inbound(e) ? { lo: this.last.timeUs, hi: this.last.timeUs } : (this.last?.done ?? { lo: now, hi: now });
    const offset = base.lo;
    // an absolute time: the host can answer only as late as the previous event happened
    const lateness = absolute && this.last?.done ? Math.max(0, this.last.done.hi - this.last.timeUs) : 0;
    const lastNominal = this.last?.nominalUs ?? 0;
    const nominalUs = absolute ? t.usecs : t.kind === 'any' ? lastNominal : lastNominal + t.usecs;
    const timed: Timed = { ...e, timeUs: t.kind === 'any' ? offset : t.usecs + offset, slackUs: base.hi - base.lo + lateness, nominalUs, afterUs: this.last?.done?.lo ?? 0 };
    if (t.kind === 'absolute-range' || t.kind === 'relative-range') timed.endUs = t.endUsecs + offset;
    if (e.kind === 'syscall' && e.syscall.blockingEndUsecs !== undefined) timed.blockingEndUs = e.syscall.blockingEndUsecs + (t.kind === 'relative' ? offset : 0);
    if (this.last && (t.kind === 'absolute' || t.kind === 'absolute-range') && this.last.time.kind.startsWith('absolute') && timed.timeUs < this.last.timeUs) {
      throw scriptError(this.file, e.line, `time goes backward in script from ${this.last.timeUs} usec to ${timed.timeUs} usec`);
    }
    return timed;
  }

  private async runEvent(ev: Timed): Promise<void> {
    switch (ev.kind) {
      case 'packet': {
        const p = ev.packet as TcpPacket;
        if (p.direction === 'outbound') return this.outbound(ev, p);
        return this.inbound(ev, p);
      }
      case 'syscall':
        return this.syscall(ev, ev.syscall);
      case 'command':
        await this.waitFor(ev, 'command');
        return this.command(ev.command, ev.line, 'command');
      case 'code':
        await this.waitFor(ev, 'data collection for code');
        return this.runCode(ev);
    }
  }

  /** Sleep until the event's time, then check it is on time (packetdrill's wait_for_event). */
  private async waitFor(ev: Timed, what: string): Promise<void> {
    const target = this.liveStart + BigInt(Math.round(ev.timeUs * 1000));
    for (;;) {
      const left = Number(target - process.hrtime.bigint()) / 1e6;
      if (left <= 0) break;
      if (this.env.signal.aborted) throw new Error('the case ended');
      await new Promise((r) => (left > 2 ? setTimeout(r, left - 1) : setImmediate(r)));
    }
    // packetdrill fails an event that starts late; here a late start is tcpladder's own
    // (its thread is shared with the capture and the observer), so it is not checked:
    // what the host answers is given the previous event's lateness instead (adjust())
  }

  // ---- packets

  /** packetdrill's find_or_create_socket_for_script_packet for an inbound packet. */
  private socketForInbound(p: TcpPacket, line: number): ScriptSocket {
    const under = this.st.underTest;
    if (!under || under.phase === 'listening') {
      const child = this.st.newSocket('passive-packet-received');
      child.localPort = this.st.net.bindPort;
      child.remotePort = this.st.ephemeralPort();
      child.remoteIsn = p.seq.start >>> 0;
      this.st.underTest = child;
      return child;
    }
    if (!under) throw this.error(line, 'error handling packet: no matching socket for script packet');
    return under;
  }

  private async inbound(ev: Timed, p: TcpPacket): Promise<void> {
    const sock = this.socketForInbound(p, ev.line);
    if (p.flags.syn && !p.flags.ack && sock.liveFd < 0 && (sock.phase === 'passive-synack-sent' || sock.phase === 'passive-synack-acked')) {
      // a new SYN to a handshake that never reached accept(): the host answers it with a
      // new ISN, so the handshake starts again (packetdrill would keep the first one's)
      sock.phase = 'passive-packet-received';
      sock.remoteIsn = p.seq.start >>> 0;
    }
    if (sock.phase === 'passive-synack-sent' && p.flags.ack) sock.phase = 'passive-synack-acked';
    else if (sock.phase === 'active-syn-sent' && p.flags.syn && p.flags.ack) {
      sock.phase = 'active-syn-acked';
      sock.remoteIsn = p.seq.start >>> 0;
    }
    await this.waitFor(ev, 'inbound packet');
    let seg;
    try {
      seg = inboundSegment(p, sock, this.script.options.tcpTsEcrScaled);
    } catch (e) {
      throw this.error(ev.line, `error handling packet: ${(e as Error).message}`);
    }
    try {
      await this.env.raw.send({ to: this.env.local.name, ...seg });
    } catch (e) {
      throw this.error(ev.line, `error handling packet: the scripted peer could not send it: ${(e as Error).message}`);
    }
    const sent = await this.injectedSegment(ev.line);
    this.env.tagSegment(sent.n, ev.line);
    const sentUs = (sent.t - this.startSeconds()) * 1e6;
    await this.taken(ev.line);
    ev.done = { lo: sentUs, hi: Math.max(sentUs, this.nowUs()) };
  }

  /** The segment the peer just injected, as the wire recorded it (its time is when it really went out). */
  private async injectedSegment(line: number): Promise<TraceSegment> {
    const k = this.injected++;
    const until = Date.now() + INJECT_WAIT_MS;
    for (;;) {
      const mine = this.env.wire.segments().filter((s) => s.from === this.env.remote.name);
      if (mine.length > k) return mine[k];
      if (Date.now() > until) throw this.error(line, `error handling packet: the injected packet did not show on the wire within ${INJECT_WAIT_MS} ms`);
      await this.env.wire.nextFrame(INJECT_WAIT_MS, this.env.signal);
    }
  }

  /**
   * Whether taken() can wait for the local host's TCP to take an injected segment in
   * (its InSegs, read from this process: a namespace host); a guest takes it in on its
   * own time.
   */
  private get intakeKnown(): boolean {
    return this.env.local.stack === 'linux';
  }

  /** Wait until the local host's TCP has taken in every segment injected so far. */
  private async taken(line: number): Promise<void> {
    this.inSegs++;
    if (!this.intakeKnown) return;
    const until = Date.now() + INJECT_WAIT_MS;
    for (let spins = 0; this.readInSegs() < this.inSegs; spins++) {
      if (Date.now() > until) throw this.error(line, `error handling packet: the local host's TCP did not receive the injected packet within ${INJECT_WAIT_MS} ms`);
      // a few quick looks, then sleep: spinning would take the CPU the kernel needs to deliver it
      await new Promise((r) => (spins < 20 ? setImmediate(r) : setTimeout(r, 1)));
    }
  }

  private readInSegs(): number {
    return this.intakeKnown ? inSegsOf(this.env.local.ns) : 0;
  }

  private async outbound(ev: Timed, p: TcpPacket): Promise<void> {
    const sock = this.st.underTest;
    if (!sock) throw this.error(ev.line, 'error handling packet: no matching socket for script packet');
    const tol = toleranceAt(this.env.tolerance, ev.endUs ?? ev.timeUs, this.last?.timeUs ?? null);
    const windowEnd = ev.time.kind === 'any' ? this.nowUs() + ANY_TIME_WAIT_US : (ev.endUs ?? ev.timeUs) + ev.slackUs + tol;
    const parts: TraceSegment[] = [];
    let got = 0;
    do {
      const seg = await this.nextOutbound(sock, p, windowEnd + (ev.time.kind === 'any' ? 0 : LATE_GRACE_US));
      if (!seg) {
        const what = parts.length ? `live packet payload: expected ${p.seq.len} bytes vs actual ${got} bytes` : `no outbound packet by ${formatSeconds(windowEnd)} sec`;
        throw this.error(ev.line, `error handling packet: ${what}\nscript packet: ${formatSeconds(ev.timeUs).padStart(9)} ${scriptPacketText(p)}`);
      }
      parts.push(seg);
      this.env.tagSegment(seg.n, ev.line);
      got += seg.len;
    } while (got < p.seq.len && !this.script.options.strictSegments);
    const live = aggregate(parts);
    if (sock.phase === 'passive-packet-received' && p.flags.syn && p.flags.ack) {
      sock.phase = 'passive-synack-sent';
      sock.scriptLocalIsn = p.seq.start >>> 0;
      sock.liveLocalIsn = live.seq;
    }
    const actualUs = (live.t - this.startSeconds()) * 1e6;
    const heldUs = this.heldUs();
    learnOutbound(p, live, sock, actualUs - ev.nominalUs, heldUs);
    ev.done = { lo: actualUs, hi: actualUs };
    const checks = { tsTickUsecs: this.script.options.tcpTsTickUsecs, toleranceUsecs: this.env.tolerance.usecs, lateUs: actualUs - ev.nominalUs };
    const tsHeldUs = heldUs + (sock.firstTs?.heldUs ?? 0);
    const mismatch =
      outboundMismatch(p, live, sock, { ...checks, tsHeldUs }) ??
      (ev.time.kind === 'any' ? null : this.timing(ev.line, { what: 'outbound packet', expectedUs: ev.timeUs, endUs: ev.endUs, slackUs: ev.slackUs, actualUs, toleranceUs: tol, heldAfterUs: ev.afterUs }, heldUs));
    if (!mismatch && tsHeldUs > 0 && outboundMismatch(p, live, sock, checks)) {
      this.warn(ev.line, `outbound TS val off by more than the tolerance, within it once the ${(tsHeldUs / 1000).toFixed(1)} ms its host waited for a CPU are counted`);
    }
    if (mismatch) {
      const message =
        `error handling packet: ${mismatch}\n` +
        `script packet: ${formatSeconds(ev.timeUs).padStart(9)} ${scriptPacketText(p)}\n` +
        `actual packet: ${formatSeconds(actualUs).padStart(9)} ${actualPacketText(live, sock)}`;
      if (this.script.options.nonFatal.includes('packet')) this.warn(ev.line, message);
      else throw this.error(ev.line, message);
    }
  }

  /** How long the local host (a guest) surely waited for a CPU of this machine since the previous event, µs; 0 on linux. */
  private heldUs(): number {
    const now = this.delays && this.env.local.runDelays();
    return now ? Math.round(longestWaitMs(this.delays!, now) * 1000) : 0;
  }

  /** timingError(), where a guest answering late is given `heldUs` (heldUs()), noted in the trace when that decides. */
  private timing(line: number, check: TimeCheck, heldUs: number): string | null {
    const err = timingError(check);
    if (!err || heldUs === 0 || check.actualUs <= (check.endUs ?? check.expectedUs)) return err;
    const held = timingError({ ...check, heldUs });
    if (!held) this.warn(line, `${check.what} ${((check.actualUs - (check.endUs ?? check.expectedUs)) / 1000).toFixed(1)} ms late, within the tolerance once the ${(heldUs / 1000).toFixed(1)} ms its host waited for a CPU meanwhile are counted`);
    return held;
  }

  private startSeconds(): number {
    return Number(this.liveStart - this.env.wire.t0) / 1e9;
  }

  /**
   * The next segment the local host sent on the socket under test (others are passed
   * over, as packetdrill's sniffer passes over packets of other sockets), or null when
   * none came by `untilUs`.
   */
  private async nextOutbound(sock: ScriptSocket, p: TcpPacket, untilUs: number): Promise<TraceSegment | null> {
    const { local, remote } = this.env;
    for (;;) {
      const segs = this.env.wire.segments();
      for (; this.cursor < segs.length; this.cursor++) {
        const s = segs[this.cursor];
        if (s.from !== local.name || s.to !== remote.name) continue;
        const syn = s.flags.split(' ').includes('SYN');
        const ack = s.flags.split(' ').includes('ACK');
        if (sock.phase === 'active-connecting' && p.flags.syn && !p.flags.ack && syn && !ack && s.dport === sock.remotePort) {
          sock.phase = 'active-syn-sent';
          sock.localPort = s.sport;
          sock.liveLocalIsn = s.seq;
          sock.scriptLocalIsn = p.seq.start >>> 0;
          this.cursor++;
          return s;
        }
        if (s.sport === sock.localPort && s.dport === sock.remotePort) {
          this.cursor++;
          return s;
        }
      }
      const left = untilUs - this.nowUs();
      if (left <= 0) return null;
      if (this.env.signal.aborted) throw new Error('the case ended');
      await this.env.wire.nextFrame(Math.max(1, Math.ceil(left / 1000)), this.env.signal);
    }
  }

  private warn(line: number, message: string): void {
    this.env.sockets.record({ t: process.hrtime.bigint(), ms: 0, host: this.env.local.name, socket: 'script', call: 'warning', result: `${this.file}:${line}: ${message.split('\n')[0]}`, line } as SocketCall);
  }

  // ---- system calls

  private async syscall(ev: Timed, spec: SyscallSpec): Promise<void> {
    const blocking = ev.blockingEndUs !== undefined;
    if (this.pending && !this.pending.finished) {
      const idle = await Promise.race([this.pending.done.then(() => true), sleep(1000).then(() => false)]);
      if (!idle && blocking) throw this.error(ev.line, `runtime error in ${spec.name} call: blocking system call while another blocking system call is already in progress`);
    }
    if (!blocking) {
      await this.waitFor(ev, 'system call start');
      const lo = this.nowUs();
      const settled = await this.call(ev, spec, false);
      ev.done = { lo, hi: settled.hi };
      return;
    }
    let started: () => void = () => {};
    let startedUs: number | null = null;
    const dequeued = new Promise<void>((r) => (started = r));
    const pending: Pending = { line: ev.line, name: spec.name, finished: false, done: Promise.resolve() };
    pending.done = (async () => {
      try {
        await this.waitFor(ev, 'system call start');
        // packetdrill's next relative time counts from when the call really started,
        // not from when the previous event ended (a call at +.1 starts .1 later)
        startedUs = this.nowUs();
        const settled = await this.call(ev, spec, true, started);
        const tol = toleranceAt(this.env.tolerance, ev.blockingEndUs!, ev.timeUs);
        // the events it waited for (the peer's packets, the host's answers) may have come
        // late, by tcpladder's doing: its return is expected as much later as they were
        const drift = Math.max(0, ...this.history.filter((x) => x !== ev && x.nominalUs >= ev.nominalUs && x.done).map((x) => x.done!.hi - (ev.timeUs + x.nominalUs - ev.nominalUs)));
        const check = { what: 'system call return', expectedUs: ev.blockingEndUs!, slackUs: ev.slackUs + drift, toleranceUs: tol };
        // it returned somewhere in [settled.lo, settled.hi]: late only if surely late, early only if surely early
        const surelyEarly = settled.hi < check.expectedUs - tol;
        const err = timingError({ ...check, actualUs: surelyEarly ? settled.hi : Math.max(settled.lo, Math.min(settled.hi, check.expectedUs)) });
        if (err) throw this.error(ev.line, err);
      } catch (e) {
        this.fail(e as Error);
      } finally {
        pending.finished = true;
        started();
      }
    })();
    this.pending = pending;
    const before = this.nowUs();
    await dequeued;
    ev.done = { lo: startedUs ?? before, hi: this.nowUs() };
  }

  /** Run one call; resolves with when it surely completed: after `lo` (its start, or its last wait's), by `hi`. */
  private async call(ev: Timed, spec: SyscallSpec, mayBlock: boolean, onBlocked?: () => void): Promise<{ lo: number; hi: number }> {
    const t = process.hrtime.bigint();
    // the script's own fd numbers: fd3 made the call (socket(): the fd it makes)
    const scriptFd = spec.name === 'socket' ? spec.result : spec.args[0];
    const call: SocketCall & { line: number } = {
      t,
      ms: 0,
      host: this.env.local.name,
      socket: scriptFd?.kind === 'int' ? `fd${scriptFd.text}` : 'script',
      call: spec.name,
      args: spec.args.map(describeExpr).join(', '),
      result: '(pending)',
      line: ev.line,
    };
    const ended = this.env.sockets.started(call);
    let outcome: Outcome | null = null;
    let error: Error | null = null;
    let settled = { lo: this.usAt(t), hi: this.nowUs() };
    try {
      const opts: CallOptions = { mayBlock, waitLimitMs: this.env.waitLimitMs, onBlocked };
      outcome = await runSyscall(this.st, spec, opts);
      settled = { lo: this.usAt(opts.notReadyUntil ?? t), hi: this.nowUs() };
    } catch (e) {
      error = e as Error;
    }
    const fdResult = (spec.name === 'socket' || spec.name === 'accept') && outcome && outcome.result >= 0 && spec.result.kind === 'int';
    const shown = outcome && (fdResult ? describeExpr(spec.result) : outcome.errno ? `${outcome.result} ${outcome.errno}` : String(outcome.result));
    const result = shown || (error?.message.split('\n')[0] ?? '?');
    if (ended()) this.env.sockets.record({ ...call, ms: Number(process.hrtime.bigint() - t) / 1e6, result });
    if (!error) return settled;
    if (error instanceof CallUnsupported) throw unsupported(this.file, ev.line, error.message);
    if (error instanceof ArgError) throw scriptError(this.file, ev.line, `${spec.name}(): ${error.message}`);
    if (error instanceof CallMismatch) {
      const message = `runtime error in ${spec.name} call: ${error.message}`;
      if (this.script.options.nonFatal.includes('syscall')) {
        this.warn(ev.line, message);
        return settled;
      }
      throw this.error(ev.line, message);
    }
    throw error;
  }

  // ---- commands and code

  private async command(command: string, line: number, what: string): Promise<void> {
    // PACKETDRILL_PID: the pid of the process that makes the script's system calls, as
    // packetdrill exports it; its commands' shell is that process's child, so $PPID in a
    // script names the same process (the kernel's set_sysctls.py writes
    // /tmp/sysctl_restore_$PACKETDRILL_PID.sh, the cleanup line runs ..._${PPID}.sh). On a
    // namespace host that is this process; in a guest, the agent that runs both.
    const here = this.env.local.stack === 'linux';
    const script = here ? command : `export PACKETDRILL_PID=$PPID; ${command}`;
    const proc = await this.env.local.spawn('/bin/sh', ['-c', script], {
      cwd: this.env.dir,
      env: { PACKETDRILL_PID: here ? String(process.pid) : undefined },
      label: `${what} (line ${line})`,
    });
    const exit = await proc.exited;
    if (exit.code === 0) return;
    const tail = (proc.stderr.trim() || proc.stdout.trim()).split('\n').slice(-5).join('\n  ');
    const status = exit.signal ? `killed by ${exit.signal}` : `non-zero status ${exit.code}`;
    throw this.error(line, `error executing ${what} '${command}': ${status}${tail ? `\n  ${tail}` : ''}`);
  }

  private async runCode(ev: Timed & { kind: 'code' }): Promise<void> {
    const sock = this.st.underTest;
    if (!sock || sock.liveFd < 0) throw this.error(ev.line, 'runtime error in code: no socket to use for code');
    const statements = ev.code.statements!;
    const t = process.hrtime.bigint();
    const text = statements.map((s) => (s.kind === 'assert' ? `assert ${exprText(s.test)}` : `${s.name} = ${exprText(s.value)}`)).join('; ');
    // where taken() could not wait for the host to take the last injected segment in,
    // the asserts may come true until the event's tolerance runs out, as a packet may
    const untilUs = this.intakeKnown ? -Infinity : ev.timeUs + ev.slackUs + toleranceAt(this.env.tolerance, ev.timeUs, this.last?.timeUs ?? null);
    let result = 'ok';
    let reads = 0;
    try {
      for (;;) {
        let fields: Record<string, number>;
        try {
          fields = tcpInfoFields(await this.st.sys.getsockopt(sock.liveFd, SYMBOLS.IPPROTO_TCP, SYMBOLS.TCP_INFO, TCP_INFO_MAX_SIZE));
        } catch (e) {
          throw this.error(ev.line, `runtime error in code: can't find getsockopt to get TCP info (${(e as Error).message})`);
        }
        reads++;
        try {
          this.code.run(statements, fields);
          break;
        } catch (e) {
          if (!(e instanceof CodeError) || this.nowUs() >= untilUs) {
            throw e instanceof CodeError ? this.error(e.line, `error in Python code: ${e.message}`) : this.error(ev.line, `error in Python code: ${(e as Error).message}`);
          }
          await sleep(1);
        }
      }
    } catch (e) {
      result = (e as Error).message;
      throw e;
    } finally {
      if (reads > 1) result += ` (TCP_INFO read ${reads} times)`;
      this.env.sockets.record({ t, ms: Number(process.hrtime.bigint() - t) / 1e6, host: this.env.local.name, socket: sock.label || 'script', call: '%{ }%', args: text, result, line: ev.line } as SocketCall);
    }
  }

  // ---- flags

  /**
   * packetdrill writes inbound packets into a TUN device, which takes a packet of any
   * size whatever its MTU; a veth drops a frame longer than the receiving end's MTU (and
   * a packet socket refuses to send one longer than its port's). So when the script
   * injects a packet longer than the MTU, the local host's link and its wire port get an
   * MTU that holds it, and the local host's routes over the link keep the script's MTU:
   * what the host sends and the MSS it announces stay those of the script's --mtu (or
   * 1500), as on packetdrill's tun0. A guest's NIC takes no more than its MTU: left as is.
   */
  private fitInbound(mtu: number): void {
    const { local } = this.env;
    if (local.stack !== 'linux') return;
    const ipHeader = this.env.version === 'ipv6' ? 40 : 20;
    // the TCP header with its options is at most 60 bytes
    const longest = Math.max(0, ...this.script.events.map((e) => (e.kind === 'packet' && e.packet.direction === 'inbound' && e.packet.protocol === 'tcp' ? ipHeader + 60 + e.packet.seq.len : 0)));
    if (longest <= mtu) return;
    const linkMtu = Math.min(MAX_LINK_MTU, longest);
    const what = `packets of up to ${longest} bytes to ${local.name}`;
    const ip = (ns: string, args: string[]) => {
      try {
        return execFileSync('ip', ['-n', ns, ...args], { stdio: 'pipe', encoding: 'utf8' });
      } catch (e) {
        throw new Error(`${what}: ip -n ${ns} ${args.join(' ')}: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
      }
    };
    if (local.spec.wireNs) setLinkMtu(local.spec.wireNs, local.spec.port, linkMtu, what);
    setLinkMtu(local.ns, local.spec.ifname, linkMtu, what);
    for (const family of ['-4', '-6']) {
      for (const route of ip(local.ns, [family, 'route', 'show', 'dev', local.spec.ifname]).split('\n')) {
        const words = route.trim().split(/\s+/).filter(Boolean);
        if (!words.length || words[0] === 'multicast' || words[0].startsWith('fe80:')) continue;
        const mtuAt = words.indexOf('mtu');
        if (mtuAt >= 0) words.splice(mtuAt, 2);
        ip(local.ns, [family, 'route', 'change', ...words, 'dev', local.spec.ifname, 'mtu', String(mtu)]);
      }
    }
  }

  /** --mtu: the local host's interface, the wire's ports and the remote's interface. */
  private async setMtu(mtu: number): Promise<void> {
    const { local, remote } = this.env;
    const setLink = (ns: string, dev: string) => setLinkMtu(ns, dev, mtu, `--mtu=${mtu}`);
    // the wire first, so that no frame meets a smaller MTU on its way
    for (const s of [local.spec, remote.spec]) if (s.wireNs) setLink(s.wireNs, s.port);
    setLink(remote.ns, remote.spec.ifname);
    if (local.stack === 'linux') return setLink(local.ns, local.spec.ifname);
    const ifname = scriptNic(local.stack);
    const p = await local.spawn('ip', ['link', 'set', 'dev', ifname, 'mtu', String(mtu)], { label: `--mtu=${mtu}` });
    const exit = await p.exited;
    if (exit.code === 0) return;
    const said = p.stderr.trim() || (exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code}, nothing on stderr`);
    // a guest's NIC is what its stack makes of it: UML's vector NIC takes at most 1500,
    // gVisor's netstack sets no MTU; the script cannot run there as written (the needs of
    // capabilities.ts say so before any host is made: this is reached only if they are wrong)
    throw new NotApplicable(`--mtu=${mtu}: ip link set dev ${ifname} mtu ${mtu} on ${local.name}: ${said} (${local.stack})`);
  }
}

/** `ip -n NS link set DEV mtu N` for a namespace of this machine: netlink from this process, no `ip` to start. */
function setLinkMtu(ns: string, dev: string, mtu: number, what: string): void {
  try {
    withRtnl(ns, (nl) => nl.setLink(dev, { mtu }));
  } catch (e) {
    throw new Error(`${what}: the MTU of ${dev} in namespace ${ns}: ${(e as Error).message}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
