/**
 * One run of one case in one address family: topology, capture session, kernel
 * observation and sockets, then the trace, the ladder and the cleanup.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { silenceTcp, addCounters, type Sysctls, type Counters } from '../topology/index.js';
import { neighbourIntroductions } from '../stacks/gvisor/neighbours.js';
import { createTopology, runStacks, isStackName, notApplicable, STACKS, type Topology, type StackHost, type StackName, type KnownFailure } from '../stacks/index.js';
import type { ExpectationRecord } from '../expect/expectations.js';
import { sidecar, Wire, PortDrops, completeness, type SidecarClient } from '../wire/index.js';
import { CaseObserver, tupleKey } from '../observe/index.js';
import { registerSubject, checkTransition } from '../expect/index.js';
import { ladderFromTrace, renderLadderText, shortenBulkRuns, writeCaseFiles } from '../report/index.js';
import type { TrackedSocket, SocketCall, SocketContext, Family } from '../sockets/index.js';
import { PendingCalls } from '../sockets/index.js';
import type { CaseTrace, TraceSocket, TraceWireCheck } from '../trace/types.js';
import { CaseHost } from './host.js';
import { caseDir } from './paths.js';
import { resolveHostProfiles, watchedKeys, type ProfilePin } from '../profiles/index.js';
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
  /**
   * the TCP stack of every host ('uml'), or per host name ({ server: 'gvisor' }); hosts
   * without one get the run's (tcpladder run --stack), else linux. A host's pin wins.
   */
  stack?: StackName | Partial<Record<string, StackName>>;
  /**
   * the name of a host's interface inside its namespace or guest (default eth0), e.g.
   * { local: 'tun0' } as packetdrill names it; gVisor's netstack keeps its NIC's name, eth0
   */
  interfaces?: Partial<Record<string, string>>;
}

type HostMap<N extends string> = { [K in N]: CaseHost };

export interface CaseVerdict {
  verdict: 'known-failure' | 'not-applicable';
  why: string;
  entry?: KnownFailure;
}

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
  private readonly stopWatches: (() => void)[] = [];
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
    /** what the case needs of its hosts' stacks (tcpCase's `needs`) */
    private readonly needs: readonly string[] = [],
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
      caughtUp: () => this.wire.settle(),
      changed: (ms) => this.wire.nextFrame(ms, this.abort.signal),
      pcap: this.wire.pcapPath,
      ladder: () => this.ladderText(),
    });
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** script lines of wire frames, for a packetdrill script's ladder */
  private readonly segmentLines = new Map<number, number>();

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
        visibility: () => {
          const h = this.hostNamed(sock.host.name);
          return { view: h.states, closed: sock.isClosed, accepted: sock.accepted, stack: h.stack };
        },
        unanswered: () => this.observer?.unansweredHosts() ?? [],
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
    this.watch(client.onFailure((e) => this.fail(e)));
    const bridge = options.wire === 'bridge';
    const stacks = resolveStacks(names, options.stack);
    this.hostStacks = names.map((n) => stacks[n]);
    const profiles = resolveHostProfiles(names, options.profile, options.sysctls as Record<string, Sysctls> | undefined);
    const sysctls = Object.fromEntries(names.map((n) => [n, profiles[n].sysctls]));
    // what a host's stack cannot do makes the case not applicable there, before anything is made
    for (const n of names) {
      const na = notApplicable(n, stacks[n], this.needs, sysctls[n]);
      if (na) throw na;
    }
    for (const [host, ifname] of Object.entries(options.interfaces ?? {})) {
      if (!names.includes(host as N)) throw new InputError(`hosts(): interface for unknown host "${host}" (hosts: ${names.join(', ')})`);
      if (!/^[a-z][a-z0-9_.-]{0,14}$/i.test(ifname ?? '') || ifname === 'lo') throw new InputError(`hosts(): interface name "${ifname}" for ${host} is not a usable link name`);
    }
    const topo = await createTopology(names, { sysctls, bridge, stacks, interfaces: options.interfaces });
    this.topology = topo;
    // a guest that dies mid-case ends the case too, with its console's last lines
    for (const h of topo.hosts) this.watch(h.onFailure((e) => this.fail(e)));
    await Promise.all(
      topo.hosts.map(async (h) => {
        const keys = watchedKeys(Object.keys(profiles[h.spec.name].sysctls));
        this.hostSettings.set(h.spec.name, { profile: profiles[h.spec.name].profile, sysctls: await h.readSysctls(keys) });
      }),
    );
    this.wire.hosts.push(...topo.hosts.map(({ spec: h }) => ({ name: h.name, mac: h.mac, ipv4: h.ipv4, ipv6: h.ipv6 })));
    this.session = topo.id;
    this.stopFrames = client.onFrames(topo.id, (f) => this.wire.push(f));
    await client.request({
      op: 'attach',
      session: topo.id,
      netns: `/run/netns/${topo.wireNs}`,
      ports: topo.hosts.map(({ spec: h }) => ({ ifname: h.port, hostMac: h.mac, host: h.name })),
      pcap: this.wire.pcapPath,
      snap: 256,
      mode: bridge ? 'bridge' : 'relay',
    });
    this.wire.attach({
      client,
      session: topo.id,
      bridge,
      silence: (name) => {
        const h = this.hostNamed(name);
        if (h.stack !== 'linux') throw new InputError(`wire.raw(${name}): a scripted peer speaks for a linux host, and ${name} runs ${h.stack}`);
        return silenceTcp(h.spec.ns);
      },
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
    const kernel = topo.hosts.filter((h) => h.stateSource === null);
    this.observer = await CaseObserver.start(
      topo.prefixes,
      kernel.map(({ spec: h }) => ({ ns: h.ns, addresses: [h.ipv4, h.ipv6] })),
      topo.hosts.flatMap((h) => (h.stateSource ? [h.stateSource] : [])),
    );
    await Promise.all(topo.hosts.map((h) => h.up()));
    if (!bridge) await this.introduceNeighbours(topo.hosts);
    await this.markLinks('up', topo.hosts);
    this.hostList = topo.hosts.map((h) => new CaseHost(h, this.family, this.ctx, { crash: () => this.crash(h), reboot: () => this.reboot(h), tagSegment: (n, line) => void this.segmentLines.set(n, line) }));
    return Object.fromEntries(this.hostList.map((h) => [h.name, h])) as HostMap<N>;
  }

  /** gVisor hosts learn their peers' MACs before the case (stacks/gvisor/neighbours.ts). */
  private async introduceNeighbours(to: readonly StackHost[]): Promise<void> {
    for (const { from, frame } of neighbourIntroductions(this.topology!.hosts, to)) {
      await this.client!.request({ op: 'inject', session: this.session!, from, data: frame.toString('base64') });
    }
  }

  private hostStacks: StackName[] = [];

  /** The stacks the case's hosts run (linux until hosts() made them). */
  stacks(): StackName[] {
    return this.hostStacks.length ? this.hostStacks : [resolveStacks(['host'], undefined).host];
  }

  private watch(stop: () => void): void {
    this.stopWatches.push(stop);
  }

  /** Something the case cannot go on without is gone (the sidecar, a guest): the case ends at once. */
  private fail(e: Error): void {
    this.sidecarError ??= e;
    this.abort.abort(e);
  }

  private hostNamed(name: string): StackHost {
    const h = this.topology?.hosts.find((x) => x.spec.name === name);
    if (!h) throw new InputError(`unknown host "${name}"`);
    return h;
  }

  /** `hosts`' links are ready, or about to go down: their ports' drops and the relay's refusals count from, or up to, now. */
  private async markLinks(now: 'up' | 'down', hosts: StackHost[]): Promise<void> {
    const stats = await this.client!.portStats(this.session!);
    for (const h of hosts) {
      const i = h.spec.index;
      if (now === 'up') this.drops.linkUp(i, h.counters().port, stats[i]?.refused ?? 0);
      else this.drops.linkDown(i, h.counters().port, stats[i]?.refused ?? 0);
    }
  }

  /** Power loss: nothing the host does reaches the wire any more, its TCP state is gone without FIN or RST. */
  private async crash(h: StackHost): Promise<void> {
    const i = h.spec.index;
    await this.markLinks('down', [h]);
    await h.down();
    // the frames the host sent before its link went down are captured, not lost with the handle
    const expect = this.topology!.hosts.map((x) => (x === h ? h.counters().host.tx : 0));
    await this.client!.request({ op: 'sync', session: this.session!, expect });
    // unplug before the link goes: from then on the relay sends this host nothing and
    // counts its frames as refused
    await this.client!.request({ op: 'unplug', session: this.session!, port: i });
    for (const s of this.sockets) if (s.host.name === h.spec.name) s.forceClose();
    this.observer?.hostGone(h.spec.ns);
    await h.crash();
    this.calls.push({ t: process.hrtime.bigint(), ms: 0, host: h.spec.name, socket: h.spec.name, call: 'crash', result: 'ok' });
  }

  /** The host comes back with the same addresses and no TCP state. */
  private async reboot(h: StackHost): Promise<void> {
    const i = h.spec.index;
    await h.reboot();
    if (h.stateSource === null) this.observer?.hostBack(h.spec.ns);
    await this.client!.request({ op: 'reopen', session: this.session!, port: i });
    await h.up();
    if (!this.wire.bridged) await this.introduceNeighbours([h]);
    await this.markLinks('up', [h]);
    this.calls.push({ t: process.hrtime.bigint(), ms: 0, host: h.spec.name, socket: h.spec.name, call: 'reboot', result: 'ok' });
  }

  /** Drops of each wire port while its host's link was up (the rest are expected). */
  private readonly drops = new PortDrops();

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
  snapshot(status: CaseTrace['status'] = 'passed', error?: string, errorKind?: CaseTrace['errorKind'], verdict?: CaseVerdict, records: readonly ExpectationRecord[] = []): CaseTrace {
    const obs = this.observer;
    const noted = records.filter((r) => r.outcome !== 'passed');
    return {
      version: 1,
      case: this.name,
      file: this.file,
      family: this.family === 6 ? 'ipv6' : 'ipv4',
      status,
      ...(error ? { error } : {}),
      ...(errorKind ? { errorKind } : {}),
      ...(verdict ? { why: verdict.why, ...(verdict.entry ? { known: { matcher: verdict.entry.matcher, expected: verdict.entry.expected } } : {}) } : {}),
      ...(noted.length ? { expectations: noted } : {}),
      startedAt: this.startedAt.toISOString(),
      durationMs: Number(process.hrtime.bigint() - this.t0) / 1e6,
      hosts: (this.topology?.hosts ?? []).map(({ spec: h, stack, version, states, guest }) => ({
        name: h.name,
        ipv4: h.ipv4,
        ipv6: h.ipv6,
        mac: h.mac,
        stack,
        version,
        states,
        ...(guest ? { guest } : {}),
        ...this.hostSettings.get(h.name),
      })),
      segments: this.wire.segments().map((s) => (this.segmentLines.has(s.n) ? { ...s, line: this.segmentLines.get(s.n) } : s)),
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
      files: { pcap: 'wire.pcap', ladder: 'ladder.txt', svg: 'ladder.svg', mermaid: 'ladder.mmd' },
    };
  }

  ladderText(): string {
    const trace = this.snapshot();
    // a case that failed before hosts() made its hosts (no sidecar, no root …) has no ladder
    if (trace.hosts.length < 2) return '(no ladder: the case ended before its hosts were made)\n';
    return renderLadderText(shortenBulkRuns(ladderFromTrace(trace)));
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
  /**
   * `verdict`: the case is a known failure (its error explained by an entry of a stack's
   * list) or not applicable; `records`: what became of its expectations.
   */
  async finish(error: unknown, timedOut = false, verdict?: CaseVerdict, records: readonly ExpectationRecord[] = []): Promise<{ trace: CaseTrace; error: Error | null }> {
    if (this.finished) throw new Error('finish() called twice');
    this.finished = true;
    this.calls.push(...this.pendingCalls.take(timedOut ? 'timeout' : 'the end of the case'));
    let failure = error instanceof Error ? error : error ? new Error(String(error)) : null;
    // the sidecar's (or a guest's) death explains whatever the case body saw after it (ECANCELED, a timeout)
    if (this.sidecarError) failure = this.sidecarError;
    const topo = this.topology;
    try {
      if (topo && this.client && this.session) {
        await this.observer?.settle().catch(() => undefined);
        const hosts = topo.hosts;
        await this.markLinks('down', hosts);
        if (this.wire.bridged) {
          // the bridge tap sits on the first host's port and sees the other host's frames
          // only as the bridge hands them over: silence the other host first and let its
          // last frames through before the first host's link (and so the tap's port) goes down
          const [first, second] = hosts;
          await second.down();
          const expect = [0, second.counters().host.tx];
          await this.client.request({ op: 'sync', session: this.session, expect }).catch(() => undefined);
          await first.down();
        } else {
          await Promise.all(hosts.map((h) => h.down()));
        }
        const counted = hosts.map((h) => h.counters());
        const stats = await this.client.detach(this.session, counted.map((c) => c.host.tx));
        const ports = hosts.map((h) => h.counters().port);
        this.stopFrames();
        // a segment held for good explains what the case saw after it
        const late = this.wire.problem();
        if (late && late.message !== failure?.message) failure = failure ? new Error(`${late.message}\nthe case then failed: ${failure.message}`) : late;
        this.wireCheck = completeness(stats, counted.map((c) => c.host), ports, this.drops.dropsWhileUp, hosts.map((h) => h.spec.name), this.wire.bridged);
        if (!this.wireCheck!.complete && !failure) failure = new Error(`capture incomplete: ${this.wireCheck!.problem}`);
        if (!failure) {
          const invalid = this.invalidTransitions();
          if (invalid.length) failure = new Error(`transitions outside the RFC 793 diagram:\n  ${invalid.join('\n  ')}`);
        }
      }
    } catch (e) {
      failure ??= e as Error;
    } finally {
      for (const stop of this.stopWatches) stop();
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
    // a known failure stays one only when nothing else went wrong after it (capture, teardown)
    const status: CaseTrace['status'] = verdict?.verdict === 'not-applicable' ? 'not-applicable' : !failure ? 'passed' : verdict && failure === error ? 'known-failure' : 'failed';
    const trace = this.snapshot(status, failure ? firstLine(failure) : undefined, errorKind, verdict, records);
    writeCaseFiles(this.dir, trace);
    return { trace, error: failure };
  }
}

function firstLine(e: Error): string {
  return (e.message || String(e)).split('\n')[0];
}

/** The stack of each host: its pin in the case, else the run's (--stack), else linux. */
function resolveStacks(names: string[], pin: HostsOptions['stack']): Record<string, StackName> {
  const run = runStacks();
  const out: Record<string, StackName> = {};
  for (const n of names) out[n] = (typeof pin === 'string' ? pin : pin?.[n]) ?? run.hosts[n] ?? run.all ?? 'linux';
  if (pin !== undefined && typeof pin !== 'string') {
    for (const host of Object.keys(pin)) {
      if (!names.includes(host)) throw new InputError(`hosts(): stack for unknown host "${host}" (hosts: ${names.join(', ')})`);
    }
  }
  for (const [host, stack] of Object.entries(out)) {
    if (!isStackName(stack)) throw new InputError(`hosts(): unknown stack "${stack}" for host ${host} (stacks: ${STACKS.join(', ')})`);
  }
  return out;
}

/** How the observer saw states, and for sampling the gaps between its samples. */
function statesSeen(obs: CaseObserver): NonNullable<CaseTrace['states']> {
  const gaps = obs.sampling();
  return { source: obs.kind, ...(gaps ? { sampleMs: gaps } : {}) };
}
