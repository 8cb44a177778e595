/**
 * One run of one case in one address family: topology, capture session, kernel
 * observation and sockets, then the trace, the ladder and the cleanup.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTopology, inNamespace, silenceTcp, linkReady, type Topology, type Sysctls } from '../topology/index.js';
import { ipBatch } from '../topology/ip.js';
import { sidecar, Wire, type SidecarClient, type PortStats } from '../wire/index.js';
import { CaseObserver, tupleKey } from '../observe/index.js';
import { registerSubject, checkTransition } from '../expect/index.js';
import { ladderFromTrace, renderLadderText, renderLadderSvg } from '../report/index.js';
import type { TrackedSocket, SocketCall, SocketContext, Family } from '../sockets/index.js';
import { PendingCalls } from '../sockets/index.js';
import type { CaseTrace, TraceSocket, TraceWireCheck } from '../trace/types.js';
import { CaseHost } from './host.js';
import { caseDir } from './paths.js';
import { resolveHostProfiles, readHostSysctls, type ProfilePin } from '../profiles/index.js';
import { InputError, isInputError, placeIn } from '../input-error.js';
import { shownPath } from '../runner/paths.js';

export interface HostsOptions {
  /** sysctls per host name, e.g. { server: { 'net.ipv4.tcp_timestamps': 0 } } */
  sysctls?: Partial<Record<string, Sysctls>>;
  /**
   * sysctl profile (cases/profiles/<name>.json) for every host, or per host name:
   * { server: 'rfc1337' }. Hosts without one get the run's (tcpladder run --profile);
   * `sysctls` apply on top.
   */
  profile?: ProfilePin;
  /** relay (default): the sidecar forwards and can apply rules; bridge: a kernel bridge forwards, the sidecar only records */
  wire?: 'relay' | 'bridge';
}

type HostMap<N extends string> = { [K in N]: CaseHost };

export class CaseRun {
  readonly t0 = process.hrtime.bigint();
  readonly startedAt = new Date();
  readonly dir: string;
  readonly wire: Wire;
  private readonly abort = new AbortController();
  private topology: Topology | null = null;
  private observer: CaseObserver | null = null;
  private client: SidecarClient | null = null;
  private sidecarError: Error | null = null;
  private stopSidecarWatch: () => void = () => {};
  private session: string | null = null;
  private stopFrames: () => void = () => {};
  private readonly sockets: TrackedSocket[] = [];
  private readonly calls: SocketCall[] = [];
  private readonly pendingCalls = new PendingCalls();
  private readonly labels = new Map<string, number>();
  private hostList: CaseHost[] = [];
  private wireCheck: TraceWireCheck | null = null;
  private finished = false;
  /** per host: the profile in force and the TCP sysctls read back from its namespace */
  private hostSettings = new Map<string, { profile: string | null; sysctls: Record<string, string> }>();

  constructor(
    readonly name: string,
    readonly file: string,
    readonly family: Family,
  ) {
    this.dir = caseDir(name, family);
    mkdirSync(this.dir, { recursive: true });
    this.wire = new Wire([], this.t0, join(this.dir, 'wire.pcap'), family);
    registerSubject(this.wire, {
      kind: 'segments',
      hosts: () => this.wire.hosts.map((h) => h.name),
      segments: () => {
        this.wire.check();
        return this.wire.segments();
      },
      changed: (ms) => this.wire.nextFrame(ms, this.abort.signal),
      pcap: this.wire.pcapPath,
      ladder: () => this.ladderText(),
    });
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  private readonly ctx: SocketContext = {
    signal: this.abort.signal,
    transitions: async (sock) => {
      await this.observer?.settle();
      return this.socketTrace(sock).transitions;
    },
    record: (call) => {
      this.calls.push(call);
      this.observer?.sampleNow();
    },
    adopt: (sock, target = sock) => {
      this.sockets.push(sock);
      registerSubject(target, {
        kind: 'states',
        label: `${sock.label} (${sock.host.name})`,
        transitions: () => this.ctx.transitions(sock),
        ladder: () => this.ladderText(),
        pcap: this.wire.pcapPath,
      });
    },
    started: (call) => this.pendingCalls.start(call),
    nextLabel: (host) => {
      const n = (this.labels.get(host) ?? 0) + 1;
      this.labels.set(host, n);
      return `${host}#${n}`;
    },
  };

  async hosts<N extends string>(names: N[], options: HostsOptions = {}): Promise<HostMap<N>> {
    if (this.topology) throw new InputError('hosts() can be called once per case');
    for (const key of Object.keys(options.sysctls ?? {})) {
      if (!names.includes(key as N)) throw new InputError(`hosts(): sysctls for unknown host "${key}" (hosts: ${names.join(', ')})`);
    }
    const client = await sidecar();
    this.client = client;
    // a sidecar that dies mid-case ends the case at once, with its own message
    this.stopSidecarWatch = client.onFailure((e) => {
      this.sidecarError ??= e;
      this.abort.abort(e);
    });
    const bridge = options.wire === 'bridge';
    const profiles = resolveHostProfiles(names, options.profile, options.sysctls as Record<string, Sysctls> | undefined);
    const sysctls = Object.fromEntries(names.map((n) => [n, profiles[n].sysctls]));
    const topo = await createTopology(names, { sysctls, bridge });
    this.topology = topo;
    for (const h of topo.hosts) {
      this.hostSettings.set(h.name, { profile: profiles[h.name].profile, sysctls: readHostSysctls(h.ns, Object.keys(profiles[h.name].sysctls)) });
    }
    this.wire.hosts.push(...topo.hosts.map((h) => ({ name: h.name, mac: h.mac, ipv4: h.ipv4, ipv6: h.ipv6 })));
    this.session = topo.id;
    this.stopFrames = client.onFrames(topo.id, (f) => this.wire.push(f));
    await client.request({
      op: 'attach',
      session: topo.id,
      netns: `/run/netns/${topo.wireNs}`,
      ports: topo.hosts.map((h) => ({ ifname: h.port, hostMac: h.mac, host: h.name })),
      pcap: this.wire.pcapPath,
      snap: 256,
      mode: bridge ? 'bridge' : 'relay',
    });
    this.wire.attach({
      client,
      session: topo.id,
      bridge,
      silence: (name) => silenceTcp(topo.hosts.find((h) => h.name === name)!.ns),
      adoptPeer: (peer) =>
        registerSubject(peer, {
          kind: 'received',
          hosts: () => this.wire.hosts.map((h) => h.name),
          label: `scripted peer ${peer.name}`,
          host: peer.name,
          segments: () => this.wire.segments(),
          cursor: () => peer.cursor,
          consume: (n) => (peer.cursor = n),
          changed: (ms) => this.wire.nextFrame(ms, this.abort.signal),
          ladder: () => this.ladderText(),
          pcap: this.wire.pcapPath,
        }),
    });
    const first = topo.hosts[0];
    this.observer = await CaseObserver.start(
      [first.ipv4.slice(0, first.ipv4.lastIndexOf('.') + 1), first.ipv6.slice(0, first.ipv6.lastIndexOf(':') + 1)],
      topo.hosts.map((h) => ({ ns: h.ns, addresses: [h.ipv4, h.ipv6] })),
    );
    await topo.up();
    topo.hosts.forEach((_, i) => this.linkUp(i));
    this.hostList = topo.hosts.map((h) => new CaseHost(h, this.family, this.ctx, { crash: () => this.crash(h.name), reboot: () => this.reboot(h.name) }));
    return Object.fromEntries(this.hostList.map((h) => [h.name, h])) as HostMap<N>;
  }

  /** Power loss: nothing the host does reaches the wire any more, its TCP state is gone without FIN or RST. */
  private async crash(name: string): Promise<void> {
    const topo = this.topology!;
    const i = topo.hosts.findIndex((h) => h.name === name);
    const h = topo.hosts[i];
    this.linkDown(i);
    await ipBatch([`link set ${h.ifname} down`], h.ns);
    // the frames the host sent before its link went down are captured, not lost with the handle
    const expect = topo.hosts.map((_, j) => (j === i ? readCounters(h.ns, h.ifname).tx + (this.retired[i]?.host.tx ?? 0) : 0));
    await this.client!.request({ op: 'sync', session: this.session!, expect });
    // unplug before reading the counters: from then on frames for this host are counted
    // as unsent by the relay, not as drops on a port about to vanish with its counters
    await this.client!.request({ op: 'unplug', session: this.session!, port: i });
    this.retire(i, readCounters(h.ns, h.ifname), readCounters(topo.wireNs, h.port));
    for (const s of this.sockets) if (s.host.name === name) s.forceClose();
    this.observer?.hostGone(h.ns);
    await topo.crash(name);
    this.crashed.add(i);
    this.calls.push({ t: process.hrtime.bigint(), ms: 0, host: name, socket: name, call: 'crash', result: 'ok' });
  }

  /** The host comes back with the same addresses and no TCP state. */
  private async reboot(name: string): Promise<void> {
    const topo = this.topology!;
    const i = topo.hosts.findIndex((h) => h.name === name);
    const h = topo.hosts[i];
    await topo.reboot(name);
    this.crashed.delete(i);
    this.observer?.hostBack(h.ns);
    await this.client!.request({ op: 'reopen', session: this.session!, port: i });
    await ipBatch([`link set ${h.ifname} up`], h.ns);
    await linkReady(h);
    this.linkUp(i);
    this.calls.push({ t: process.hrtime.bigint(), ms: 0, host: name, socket: name, call: 'reboot', result: 'ok' });
  }

  /**
   * Per host: its wire port's tx_dropped when the host's link was last made ready (null
   * while the link is down or gone), and the frames the port dropped while it was up.
   * Drops while a link comes up or goes down are expected; any other is the wire losing
   * frames behind the capture's back.
   */
  private readyDrops: (number | null)[] = [];
  private dropsWhileUp: number[] = [];
  /** hosts crashed and not rebooted: their namespace and link are gone */
  private readonly crashed = new Set<number>();
  private linkUp(i: number): void {
    const topo = this.topology!;
    this.readyDrops[i] = readCounters(topo.wireNs, topo.hosts[i].port).txDropped;
  }
  private linkDown(i: number): void {
    const topo = this.topology!;
    const base = this.readyDrops[i];
    if (base === null || base === undefined) return;
    this.dropsWhileUp[i] = (this.dropsWhileUp[i] ?? 0) + readCounters(topo.wireNs, topo.hosts[i].port).txDropped - base;
    this.readyDrops[i] = null;
  }

  private hostCounters(i: number): Counters {
    const h = this.topology!.hosts[i];
    return this.crashed.has(i) ? zero() : readCounters(h.ns, h.ifname);
  }

  /** Counters of a link about to vanish, added to the totals at the end. */
  private retired: { host: Counters; port: Counters }[] = [];
  private retire(i: number, host: Counters, port: Counters): void {
    const r = (this.retired[i] ??= { host: zero(), port: zero() });
    for (const k of ['rx', 'tx', 'txDropped'] as const) {
      r.host[k] += host[k];
      r.port[k] += port[k];
    }
  }

  private seconds(t: bigint): number {
    return Number(t - this.t0) / 1e9;
  }

  private socketTrace(sock: TrackedSocket): TraceSocket {
    const fmt = (e: { address: string; port: number } | null) =>
      e ? (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`) : null;
    let transitions: TraceSocket['transitions'] = [];
    if (sock.local && this.observer) {
      const tuple = { saddr: sock.local.address, sport: sock.local.port, daddr: sock.remote?.address ?? '', dport: sock.remote?.port ?? 0 };
      const h = this.observer.historyOf(tuple, sock.tupleSince);
      if (h) transitions = h.transitions.map((t) => ({ t: this.seconds(t.t), from: t.from, to: t.to, source: t.source }));
      const sampledAt = this.observer.lastSample();
      // never listed by any sample: in none of the kernel's tables, which is CLOSED
      // (a connect() refused within a sample's gap); seen CLOSED, not a transition
      if (transitions.length === 0 && sampledAt !== null) transitions = [{ t: this.seconds(sampledAt), from: 'CLOSED', to: 'CLOSED', source: 'sampled' }];
    }
    return { label: sock.label, host: sock.host.name, local: fmt(sock.local), remote: fmt(sock.remote), transitions };
  }

  /** The trace as it stands now. */
  snapshot(status: CaseTrace['status'] = 'passed', error?: string, errorKind?: CaseTrace['errorKind']): CaseTrace {
    const obs = this.observer;
    return {
      version: 1,
      case: this.name,
      file: this.file,
      family: this.family === 6 ? 'ipv6' : 'ipv4',
      status,
      ...(error ? { error } : {}),
      ...(errorKind ? { errorKind } : {}),
      startedAt: this.startedAt.toISOString(),
      durationMs: Number(process.hrtime.bigint() - this.t0) / 1e6,
      hosts: (this.topology?.hosts ?? []).map((h) => ({ name: h.name, ipv4: h.ipv4, ipv6: h.ipv6, mac: h.mac, ...this.hostSettings.get(h.name) })),
      segments: this.wire.segments(),
      otherFrames: this.wire.otherFrames(),
      sockets: this.sockets.map((s) => this.socketTrace(s)),
      calls: this.calls.map((c) => ({ ...c, t: this.seconds(c.t) })),
      ...(obs ? { states: statesSeen(obs) } : {}),
      kernelEvents: (obs?.events ?? [])
        .filter((e) => e.kind !== 'state' && e.kind !== 'marker')
        .map((e) => ({
          t: this.seconds(e.t),
          kind: e.kind,
          tuple: 'saddr' in e ? tupleKey(e) : '',
          ...('state' in e && e.state ? { state: e.state } : {}),
        })),
      wire: this.wireCheck,
      ...(this.wire.rules.length ? { rules: this.wire.rules } : {}),
      files: { pcap: 'wire.pcap', ladder: 'ladder.txt', svg: 'ladder.svg' },
    };
  }

  ladderText(): string {
    const trace = this.snapshot();
    // a case that failed before hosts() made its hosts (no sidecar, no root …) has no ladder
    if (trace.hosts.length < 2) return '(no ladder: the case ended before its hosts were made)\n';
    return renderLadderText(ladderFromTrace(trace));
  }

  /** Transitions that are neither in the RFC 793 diagram nor a documented Linux deviation. */
  invalidTransitions(): string[] {
    const out: string[] = [];
    for (const s of this.sockets) {
      for (const t of this.socketTrace(s).transitions) {
        // two samples apart is not one transition: what happened between them is unseen
        if (t.source === 'sampled') continue;
        const c = checkTransition(t.from, t.to);
        if (c.verdict === 'invalid') out.push(`${s.label}: ${c.note}`);
      }
    }
    return out;
  }

  /** Stop the hosts talking, check the capture is complete, record, clean up. */
  async finish(error: unknown, timedOut = false): Promise<{ trace: CaseTrace; error: Error | null }> {
    if (this.finished) throw new Error('finish() called twice');
    this.finished = true;
    this.calls.push(...this.pendingCalls.take(timedOut ? 'timeout' : 'the end of the case'));
    let failure = error instanceof Error ? error : error ? new Error(String(error)) : null;
    // the sidecar's death explains whatever the case body saw after it (ECANCELED, a timeout)
    if (this.sidecarError) failure = this.sidecarError;
    const topo = this.topology;
    try {
      if (topo && this.client && this.session) {
        await this.observer?.settle().catch(() => undefined);
        topo.hosts.forEach((_, i) => this.linkDown(i));
        if (this.wire.bridged) {
          // the bridge tap sits on the first host's port and sees the other host's frames
          // only as the bridge hands them over: silence the other host first and let its
          // last frames through before the first host's link (and so the tap's port) goes down
          const [first, second] = topo.hosts;
          await ipLinkDown(second.ns, second.ifname);
          const expect = [0, this.hostCounters(1).tx + (this.retired[1]?.host.tx ?? 0)];
          await this.client.request({ op: 'sync', session: this.session, expect }).catch(() => undefined);
          await ipLinkDown(first.ns, first.ifname);
        } else {
          await Promise.all(topo.hosts.map((h) => ipLinkDown(h.ns, h.ifname)));
        }
        const add = (a: Counters, b: Counters | undefined): Counters =>
          b ? { rx: a.rx + b.rx, tx: a.tx + b.tx, txDropped: a.txDropped + b.txDropped } : a;
        const sent = topo.hosts.map((_, i) => add(this.hostCounters(i), this.retired[i]?.host));
        const stats = await this.client.detach(this.session, sent.map((c) => c.tx));
        const ports = topo.hosts.map((h, i) => add(readCounters(topo.wireNs, h.port), this.retired[i]?.port));
        this.stopFrames();
        // a segment held for good explains what the case saw after it
        const late = this.wire.problem();
        if (late && late.message !== failure?.message) failure = failure ? new Error(`${late.message}\nthe case then failed: ${failure.message}`) : late;
        this.wireCheck = completeness(stats, sent, ports, this.dropsWhileUp, topo.hosts.map((h) => h.name), this.wire.bridged);
        if (!this.wireCheck.complete && !failure) failure = new Error(`capture incomplete: ${this.wireCheck.problem}`);
        if (!failure) {
          const invalid = this.invalidTransitions();
          if (invalid.length) failure = new Error(`transitions outside the RFC 793 diagram:\n  ${invalid.join('\n  ')}`);
        }
      }
    } catch (e) {
      failure ??= e as Error;
    } finally {
      this.stopSidecarWatch();
      this.abort.abort();
      for (const s of this.sockets) s.forceClose();
      this.observer?.close();
      await topo?.destroy().catch(() => undefined);
    }
    let errorKind: CaseTrace['errorKind'];
    if (failure && isInputError(failure)) {
      errorKind = 'input';
      // its one line begins with the place in the case file that asked for the bad thing
      const at = placeIn(failure, this.file);
      if (at) failure.message = `${shownPath(this.file)}:${at.line}:${at.column}: ${failure.message}`;
    }
    const trace = this.snapshot(failure ? 'failed' : 'passed', failure ? firstLine(failure) : undefined, errorKind);
    writeOutputs(this.dir, trace);
    return { trace, error: failure };
  }
}

function firstLine(e: Error): string {
  return (e.message || String(e)).split('\n')[0];
}

function writeOutputs(dir: string, trace: CaseTrace): void {
  writeFileSync(join(dir, 'trace.json'), JSON.stringify(trace, null, 1) + '\n');
  if (trace.hosts.length < 2) return; // failed before its hosts were made: nothing to draw
  const ladder = ladderFromTrace(trace);
  writeFileSync(join(dir, 'ladder.txt'), renderLadderText(ladder));
  writeFileSync(join(dir, 'ladder.svg'), renderLadderSvg(ladder));
}

async function ipLinkDown(ns: string, ifname: string): Promise<void> {
  await ipBatch([`link set ${ifname} down`], ns).catch(() => undefined);
}

interface Counters {
  rx: number;
  tx: number;
  txDropped: number;
}

function zero(): Counters {
  return { rx: 0, tx: 0, txDropped: 0 };
}

/** Packet counters of `ifname` as its own namespace sees them. */
function readCounters(ns: string, ifname: string): Counters {
  const text = inNamespace(ns, () => readFileSync('/proc/thread-self/net/dev', 'utf8'));
  const line = text.split('\n').find((l) => l.trim().startsWith(`${ifname}:`));
  if (!line) return { tx: 0, rx: 0, txDropped: 0 };
  const f = line.split(':')[1].trim().split(/\s+/).map(Number);
  return { rx: f[1], tx: f[9], txDropped: f[11] };
}

/**
 * Every frame a host sent was captured, and every frame the relay delivered reached
 * its host, except those its wire port dropped while the host's link was not up yet
 * (the hosts' links come up one after the other) or going down, or that found the port
 * gone (a crashed host). The wire port dropping a frame while the host's link was up
 * is a loss the capture did not see. In bridge mode the kernel forwards, so the
 * relay's deliveries are not counted; the other checks hold.
 */
function completeness(stats: PortStats[], host: Counters[], port: Counters[], whileUp: number[], names: string[], bridged: boolean): TraceWireCheck {
  const ports = names.map((name, i) => ({
    host: name,
    sent: host[i].tx,
    captured: stats[i]?.captured ?? 0,
    delivered: stats[i]?.delivered ?? 0,
    received: host[i].rx,
    droppedBeforeUp: port[i].txDropped - (whileUp[i] ?? 0) + (stats[i]?.unsent ?? 0),
    droppedWhileUp: whileUp[i] ?? 0,
  }));
  const problems = ports.flatMap((p) => [
    ...(p.captured !== p.sent ? [`${p.host} sent ${p.sent} frames, the sidecar captured ${p.captured}`] : []),
    ...(p.droppedWhileUp ? [`the wire dropped ${p.droppedWhileUp} frame${p.droppedWhileUp === 1 ? '' : 's'} to ${p.host} while its link was up`] : []),
    ...(!bridged && p.received + p.droppedBeforeUp + p.droppedWhileUp !== p.delivered
      ? [`the sidecar delivered ${p.delivered} frames to ${p.host}, it received ${p.received} (${p.droppedBeforeUp} dropped while its link was down or gone)`]
      : []),
  ]);
  return { ports, complete: problems.length === 0, ...(problems.length ? { problem: problems.join('; ') } : {}) };
}

/** How the observer saw states, and for sampling the gaps between its samples. */
function statesSeen(obs: CaseObserver): NonNullable<CaseTrace['states']> {
  const gaps = obs.sampling();
  return { source: obs.kind, ...(gaps ? { sampleMs: gaps } : {}) };
}
