/**
 * The linux stack: a host is a network namespace of this machine's kernel, its link a
 * veth pair into the wire namespace. Sockets are made from this process (setns →
 * socket() → setns back); states come from the machine's tracepoint (or, rootless,
 * from sock_diag sampling), not from the host itself.
 */
import { release } from 'node:os';
import { netnsAdd, netnsDel, Rtnl, IF_OPER_UP } from '../../topology/netlink.js';
import {
  addLink,
  applySysctls,
  deletePort,
  linkReady,
  readCounters,
  readPresentSysctls,
  addCounters,
  ZERO,
  withRtnl,
  type Counters,
  type HostSpec,
  type Sysctls,
} from '../../topology/index.js';
import { homeNamespaceFd, namespaceFd, releaseNamespace } from '../../topology/netns.js';
import { hostRxSysctls } from '../../topology/cpus.js';
import { localSyscalls } from '../../sockets/index.js';
import { localNodeSockets } from '../node-sockets.js';
import { localProcesses } from '../process.js';
import { rootless } from '../../topology/privilege.js';
import type { StackHost } from '../host.js';

/** Quiet, deterministic hosts: no DAD, no router solicitations, no autoconf. */
export const HOST_SYSCTLS: Sysctls = {
  'net.ipv6.conf.default.accept_dad': 0,
  'net.ipv6.conf.all.accept_dad': 0,
  'net.ipv6.conf.default.dad_transmits': 0,
  'net.ipv6.conf.default.router_solicitations': 0,
  'net.ipv6.conf.default.accept_ra': 0,
  'net.ipv6.conf.default.autoconf': 0,
};

/** A namespace host's MAC: the case's slot and the host's index in it. */
export function linuxMac(slot: number, index: number): string {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `02:74:63:${hex(slot >> 8)}:${hex(slot & 255)}:${hex(index + 1)}`;
}

export interface Peer {
  ipv4: string;
  ipv6: string;
  mac: string;
}

export class LinuxHost implements StackHost {
  readonly stack = 'linux' as const;
  readonly version = release();
  readonly states = rootless() ? ('sampled' as const) : ('traced' as const);
  readonly stateSource = null;
  readonly sys;
  readonly node;
  readonly processes;
  readonly failure = null;
  /** frames of links that vanished with a crash, counted into the totals */
  private retired = { host: { ...ZERO }, port: { ...ZERO } };
  private gone = false;

  private constructor(
    readonly spec: HostSpec,
    private readonly peers: () => Peer[],
    private readonly sysctls: Sysctls,
    private readonly bridge: boolean,
  ) {
    this.sys = localSyscalls(spec.ns);
    this.node = localNodeSockets(spec.ns);
    this.processes = localProcesses(spec.ns);
  }

  /** The host's namespace and link, link down. `peers` are read once every host is known. */
  static make(spec: HostSpec, peers: () => Peer[], sysctls: Sysctls, bridge: boolean): LinuxHost {
    const h = new LinuxHost(spec, peers, sysctls, bridge);
    h.build();
    return h;
  }

  private build(): void {
    const h = this.spec;
    netnsAdd(h.ns, homeNamespaceFd());
    try {
      // before the link is made: it takes its RPS mask from the namespace's default
      applySysctls(h.ns, { ...hostRxSysctls(h.ns), ...HOST_SYSCTLS, ...this.sysctls });
      addLink(h, this.bridge);
    } catch (e) {
      this.removeNamespace();
      throw e;
    }
  }

  /** Addresses, permanent neighbours for every peer (no ARP/NDP), offloads off. */
  configure(): void {
    const h = this.spec;
    withRtnl(h.ns, (nl) => {
      nl.setUp('lo', true);
      const index = nl.index(h.ifname);
      nl.addAddress(index, h.ipv4, 24);
      nl.addAddress(index, h.ipv6, 64, true);
      for (const peer of this.peers()) {
        nl.addNeighbour(index, peer.ipv4, peer.mac);
        nl.addNeighbour(index, peer.ipv6, peer.mac);
      }
      // Segmentation and checksum offloads off: the wire then carries (and the relay can
      // re-inject) exactly the MSS-sized segments with full checksums the peer receives.
      nl.offloadsOff(h.ifname);
    });
  }

  async up(): Promise<void> {
    const h = this.spec;
    withRtnl(h.ns, (nl) => nl.setUp(h.ifname, true));
    await linkReady(h, () => this.usable());
  }

  /**
   * IPv6 addresses leave the tentative state in a workqueue after the link comes up, even
   * with DAD off, and a segment arriving before that is dropped as not for this host.
   */
  private usable(): true | string {
    const h = this.spec;
    const nl = Rtnl.open(namespaceFd(h.ns), homeNamespaceFd());
    try {
      const link = nl.link(h.ifname);
      const addrs = nl.addresses(link.index);
      const v6 = addrs.find((a) => a.address === h.ipv6);
      const ready =
        link.operstate === IF_OPER_UP && v6 && !v6.tentative && addrs.some((a) => a.address === h.ipv4) && nl.isLocal(h.ipv6) && nl.isLocal(h.ipv4);
      return ready ? true : JSON.stringify({ ...link, addrs });
    } finally {
      nl.close();
    }
  }

  async down(): Promise<void> {
    if (this.gone) return;
    try {
      withRtnl(this.spec.ns, (nl) => nl.setUp(this.spec.ifname, false));
    } catch {
      // gone already
    }
  }

  counters(): { host: Counters; port: Counters } {
    const h = this.spec;
    const host = this.gone ? { ...ZERO } : readCounters(h.ns, h.ifname);
    const port = this.gone ? { ...ZERO } : readCounters(h.wireNs!, h.port);
    return { host: addCounters(host, this.retired.host), port: addCounters(port, this.retired.port) };
  }

  async readSysctls(keys: string[]): Promise<Record<string, string>> {
    return readPresentSysctls(this.spec.ns, keys);
  }

  runDelays(): null {
    return null;
  }

  async crash(): Promise<void> {
    const c = this.counters();
    this.retired = c;
    this.gone = true;
    // deleting the wire end removes the pair at once; a deleted namespace's links go
    // away later, in a kernel workqueue, and would still hold the port's name
    deletePort(this.spec);
    this.removeNamespace();
  }

  async reboot(): Promise<void> {
    this.build();
    this.gone = false;
    this.configure();
  }

  async destroy(): Promise<void> {
    this.gone = true;
    this.removeNamespace();
  }

  private removeNamespace(): void {
    releaseNamespace(this.spec.ns);
    try {
      netnsDel(this.spec.ns);
    } catch {
      // gone already (or never made)
    }
  }

  onFailure(): () => void {
    return () => {};
  }
}
