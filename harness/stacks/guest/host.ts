/**
 * A host that is a guest (User-Mode Linux, gVisor) leased from the run's pool. Its link
 * is the guest's veth pair: the port moves from the pool's park into the case's wire
 * namespace and back; the guest's end sits in the guest's holder namespace. Everything
 * else goes through the agent inside the guest: system calls, Node sockets, programs,
 * sysctls, and the states it samples (the guest has no tracepoint).
 */
import { adoptPort, returnPort, setPortUp, linkReady, readCounters, subCounters, withRtnl, type Counters, type HostSpec } from '../../topology/index.js';
import { IF_OPER_UP } from '../../topology/netlink.js';
import { AgentClient } from '../../agent/client.js';
import { remoteSyscalls } from '../../agent/remote-syscalls.js';
import { remoteNodeSockets } from '../../agent/remote-net.js';
import { remoteProcesses } from '../../agent/remote-process.js';
import { leaseGuest, poolControl, type Lease } from '../pool/client.js';
import { raiseNicQueues } from '../uml/nic-queue.js';
import type { GuestStatus } from '../pool/protocol.js';
import { processTree, runDelays, type RunDelays } from './cpu-wait.js';
import type { HostStateEvent, HostStates, StackHost } from '../host.js';
import type { GuestStack, StateView } from '../types.js';
import type { Peer } from '../linux/host.js';

const NIC: Record<GuestStack, string> = { uml: 'vec0', gvisor: 'eth0' };
const VIEW: Record<GuestStack, StateView> = { uml: 'sampled', gvisor: 'descriptors' };
/** states are asked for at every expectation and at the end: a guest still busy with the case's calls answers later, or not at all */
const SETTLE_TIMEOUT_MS = 5000;
/** the agent's sampling stays quick for a while after a call (GUEST_PACE.hotMs, observe/sample-pace.ts): a poke this soon after one adds nothing */
const POKE_GAP_MS = 20;

export class GuestHost implements StackHost {
  readonly states: StateView;
  readonly stateSource: HostStates;
  readonly sys;
  readonly node;
  readonly processes;
  readonly agent: AgentClient;
  private status: GuestStatus;
  /** the link's counters when the case began: it carried other cases before (the rest runs on across a reboot) */
  private base: { host: Counters; port: Counters } | null = null;
  private attached = false;
  private begun: Parameters<GuestHost['begin']> | null = null;
  /** the guest's processes on this machine, looked up at the first runDelays() */
  private pids: number[] | null = null;

  private constructor(
    readonly stack: GuestStack,
    private readonly lease: Lease,
    readonly spec: HostSpec,
    private readonly slot: number,
  ) {
    this.status = lease.guest;
    this.states = VIEW[stack];
    this.agent = new AgentClient(lease.channel, `${stack} guest ${lease.guest.id} (host ${spec.name})`);
    this.sys = remoteSyscalls(this.agent);
    this.node = remoteNodeSockets(this.agent);
    this.processes = remoteProcesses(this.agent);
    this.stateSource = {
      settle: async () => {
        if (this.agent.failure || this.agent.suspended) return;
        await this.agent.request({ op: 'sample' }, SETTLE_TIMEOUT_MS);
      },
      // a call or a poke makes the agent look and quicken its pace: one lately is enough
      poke: () => {
        if (performance.now() - this.agent.lastCallAt >= POKE_GAP_MS) this.agent.send({ op: 'poke' });
      },
      on: (fn: (events: HostStateEvent[]) => void) => this.agent.onStates(fn),
    };
  }

  /** Lease a ready guest: its MAC and the slots it served lately are known before the case's addresses are. */
  static lease(stack: GuestStack, sysctls: Record<string, string>): Promise<Lease> {
    return leaseGuest(stack, sysctls);
  }

  /** The leased guest as host `spec` (whose ns, ifname and mac are the guest's). */
  static async attach(stack: GuestStack, lease: Lease, spec: HostSpec, slot: number, bridge: boolean): Promise<GuestHost> {
    const g = new GuestHost(stack, lease, spec, slot);
    adoptPort(spec, lease.guest.parkNs, lease.guest.port, bridge);
    g.attached = true;
    await g.agent.calibrate();
    return g;
  }

  /** The case's network in the guest: addresses, neighbours, sysctls (UML: a fresh namespace). */
  async begin(peers: Peer[], sysctls: Record<string, string>, prefixes: string[], ifname = 'eth0'): Promise<void> {
    this.begun = [peers, sysctls, prefixes, ifname];
    const h = this.spec;
    await this.agent.request({
      op: 'begin',
      net: {
        nic: NIC[this.stack],
        ifname: this.stack === 'uml' ? ifname : NIC.gvisor,
        namespace: this.stack === 'uml' ? 'tcpladder-case' : null,
        addresses: [
          { address: h.ipv4, prefix: 24 },
          { address: h.ipv6, prefix: 64 },
        ],
        neighbours: peers.flatMap((p) => [
          { address: p.ipv4, mac: p.mac },
          { address: p.ipv6, mac: p.mac },
        ]),
        sysctls: this.stack === 'uml' ? sysctls : {},
        prefixes,
      },
    });
    // the NIC moved into the case's namespace reopened its packet socket on the host
    if (this.stack === 'uml') raiseNicQueues(this.status.pid!);
    // the port is down until up(): nothing the guest sent so far crossed it
    this.base ??= this.read();
  }

  get version(): string {
    return this.status.release;
  }

  get guest(): string {
    return this.status.id;
  }

  get failure(): Error | null {
    return this.agent.failure;
  }

  onFailure(fn: (e: Error) => void): () => void {
    return this.agent.onFailure(fn);
  }

  private read(): { host: Counters; port: Counters } {
    return { host: readCounters(this.spec.ns, this.spec.ifname), port: readCounters(this.spec.wireNs!, this.spec.port) };
  }

  counters(): { host: Counters; port: Counters } {
    const now = this.read();
    const base = this.base ?? now;
    return { host: subCounters(now.host, base.host), port: subCounters(now.port, base.port) };
  }

  async up(): Promise<void> {
    setPortUp(this.spec, true);
    // the guest's end has carrier once the port is up; then its addresses must be usable inside
    await linkReady(this.spec, () => {
      const state = withRtnl(this.spec.ns, (nl) => nl.link(this.spec.ifname).operstate);
      return state === IF_OPER_UP ? true : `the guest's link in ${this.spec.ns} has no carrier`;
    });
    await this.agent.request({ op: 'ready' });
  }

  async down(): Promise<void> {
    if (!this.attached) return;
    setPortUp(this.spec, false);
  }

  async readSysctls(keys: string[]): Promise<Record<string, string>> {
    return this.agent.request<Record<string, string>>({ op: 'sysctl-read', keys });
  }

  runDelays(): RunDelays | null {
    if (this.status.pid === undefined) return null;
    this.pids ??= processTree(this.status.pid);
    return runDelays(this.pids);
  }

  async crash(): Promise<void> {
    this.agent.suspend('the host crashed');
    await poolControl({ op: 'crash', guest: this.status.id, lease: this.lease.token });
  }

  async reboot(): Promise<void> {
    this.status = (await poolControl({ op: 'reboot', guest: this.status.id, lease: this.lease.token })) as GuestStatus;
    this.pids = null;
    this.agent.resume();
    await this.agent.calibrate();
    await this.begin(...this.begun!);
  }

  /**
   * The guest goes back to the pool, which ends the case in it (the agent's `end`) before
   * it leases it again: the case's own end does not wait for that.
   */
  async destroy(): Promise<void> {
    try {
      if (this.attached) returnPort(this.spec, this.status.parkNs, this.status.port);
    } catch {
      // the pool sees the port missing and replaces the guest
    }
    this.attached = false;
    // a gVisor sandbox keeps the case's TIME_WAIT: the pool keeps its subnet for other guests a while
    await poolControl({ op: 'slot', guest: this.status.id, lease: this.lease.token, slot: this.slot }).catch(() => undefined);
    this.agent.close();
  }
}
