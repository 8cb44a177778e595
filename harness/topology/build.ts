/**
 * One case's network: a namespace per host and a wire namespace between them.
 *
 *   host ns "client"            wire ns                 host ns "server"
 *   eth0 (MAC 02:74:…:01) ── veth ── p0   [relay]   p1 ── veth ── eth0 (MAC …:02)
 *
 * The wire side has no IP stack of its own (IPv6 disabled, no addresses), so the
 * only frames on it are the hosts'. Host links stay down until the capture is
 * attached, so the capture sees every frame a host ever sends.
 */
import { applySysctls, type Sysctls } from './sysctl.js';
import { releaseNamespace, namespaceFd, homeNamespaceFd } from './netns.js';
import { Rtnl, netnsAdd, netnsDel, IF_OPER_UP } from './netlink.js';
import { resourceName, registerOwner } from './owner.js';
import { takeSlot, releaseSlot, slotSubnets } from './slots.js';
import { InputError } from '../input-error.js';

export interface HostSpec {
  name: string;
  index: number;
  ns: string;
  ifname: string;
  mac: string;
  ipv4: string;
  ipv6: string;
  /** the wire-side end of this host's link, inside the wire namespace */
  port: string;
  /** the wire namespace that holds `port` */
  wireNs?: string;
}

export interface TopologyOptions {
  /** sysctls per host name, applied before the host's link comes up */
  sysctls?: Partial<Record<string, Sysctls>>;
  /** join the wire ports with a kernel bridge (the sidecar then only records) */
  bridge?: boolean;
}

export interface Topology {
  id: string;
  slot: number;
  wireNs: string;
  hosts: HostSpec[];
  /** bring the host links up (after the capture is attached) */
  up(): Promise<void>;
  destroy(): Promise<void>;
  /** the host's namespace and link vanish, with all its TCP state */
  crash(host: string): Promise<void>;
  /** the host comes back: same name, MAC and addresses, link down until up() */
  reboot(host: string): Promise<void>;
}

let caseSeq = 0;

/** Quiet, deterministic hosts: no DAD, no router solicitations, no autoconf. */
const HOST_SYSCTLS: Sysctls = {
  'net.ipv6.conf.default.accept_dad': 0,
  'net.ipv6.conf.all.accept_dad': 0,
  'net.ipv6.conf.default.dad_transmits': 0,
  'net.ipv6.conf.default.router_solicitations': 0,
  'net.ipv6.conf.default.accept_ra': 0,
  'net.ipv6.conf.default.autoconf': 0,
};

const WIRE_SYSCTLS: Sysctls = {
  'net.ipv6.conf.default.disable_ipv6': 1,
  'net.ipv6.conf.all.disable_ipv6': 1,
};

function mac(slot: number, host: number): string {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `02:74:63:${hex(slot >> 8)}:${hex(slot & 255)}:${hex(host + 1)}`;
}

export async function createTopology(names: string[], options: TopologyOptions = {}): Promise<Topology> {
  if (names.length < 2) throw new InputError('a topology needs at least two hosts');
  if (new Set(names).size !== names.length) throw new InputError(`host names must be unique: ${names.join(', ')}`);
  for (const n of names) {
    if (!/^[a-z][a-z0-9_]{0,15}$/i.test(n)) throw new InputError(`host name "${n}" must be a letter then up to 15 letters, digits or _`);
  }
  registerOwner();
  const slot = takeSlot();
  const id = resourceName(++caseSeq);
  const wireNs = `${id}-wire`;
  const net = slotSubnets(slot);
  const hosts: HostSpec[] = names.map((name, index) => ({
    name,
    index,
    ns: `${id}-h${index}`,
    ifname: 'eth0',
    mac: mac(slot, index),
    ipv4: net.ipv4(index + 1),
    ipv6: net.ipv6(index + 1),
    port: `p${index}`,
    wireNs,
  }));
  const namespaces = [wireNs, ...hosts.map((h) => h.ns)];
  let destroyed = false;

  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    for (const ns of namespaces) {
      releaseNamespace(ns);
      try {
        netnsDel(ns);
      } catch {
        // already gone (or never made): nothing left to remove
      }
    }
    releaseSlot(slot);
  };

  try {
    for (const ns of namespaces) netnsAdd(ns, homeNamespaceFd());
    applySysctls(wireNs, WIRE_SYSCTLS);
    for (const h of hosts) applySysctls(h.ns, { ...HOST_SYSCTLS, ...options.sysctls?.[h.name] });

    withRtnl(wireNs, (nl) => {
      for (const h of hosts) addVeth(nl, h, wireNs);
      nl.setUp('lo', true);
      if (options.bridge) makeBridge(nl, hosts);
      for (const h of hosts) nl.setUp(h.port, true);
      for (const h of hosts) nl.offloadsOff(h.port);
    });
    for (const h of hosts) configureHost(h, hosts);
  } catch (e) {
    await destroy();
    throw e;
  }

  return {
    id,
    slot,
    wireNs,
    hosts,
    up: async () => {
      for (const h of hosts) withRtnl(h.ns, (nl) => nl.setUp(h.ifname, true));
      await Promise.all(hosts.map((h) => linkReady(h)));
    },
    destroy,
    crash: async (name) => {
      const h = hostNamed(hosts, name);
      releaseNamespace(h.ns);
      // deleting the wire end removes the pair at once; a deleted namespace's links go
      // away later, in a kernel workqueue, and would still hold the port's name
      withRtnl(wireNs, (nl) => nl.delLink(h.port));
      netnsDel(h.ns);
    },
    reboot: async (name) => {
      const h = hostNamed(hosts, name);
      netnsAdd(h.ns, homeNamespaceFd());
      applySysctls(h.ns, { ...HOST_SYSCTLS, ...options.sysctls?.[h.name] });
      withRtnl(wireNs, (nl) => {
        addVeth(nl, h, wireNs);
        if (options.bridge) nl.setMaster(h.port, 'br0');
        nl.setUp(h.port, true);
        nl.offloadsOff(h.port);
      });
      configureHost(h, hosts);
    },
  };
}

const READY_TIMEOUT_MS = 5000;

/**
 * Wait until a host can really use its link: IPv6 addresses leave the tentative state
 * in a workqueue after the link comes up, even with DAD off, and a segment arriving
 * before that is dropped as not for this host.
 */
export async function linkReady(h: HostSpec): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const nl = rtnlIn(h.ns);
  const wire = h.wireNs ? rtnlIn(h.wireNs) : null;
  try {
    for (;;) {
      const link = nl.link(h.ifname);
      const addrs = nl.addresses(link.index);
      const v6 = addrs.find((a) => a.address === h.ipv6);
      // the wire end too: until the kernel has activated its queue, frames sent into it are lost
      const port = wire ? wire.link(h.port).operstate : IF_OPER_UP;
      const ready =
        link.operstate === IF_OPER_UP &&
        port === IF_OPER_UP &&
        v6 &&
        !v6.tentative &&
        addrs.some((a) => a.address === h.ipv4) &&
        nl.isLocal(h.ipv6) &&
        nl.isLocal(h.ipv4);
      if (ready) {
        // The port's operational state is set a moment before the kernel gives its queue a
        // working qdisc (both in one linkwatch step under the RTNL lock); a frame the relay
        // sends in between is dropped without a trace. A request that takes the same lock
        // (setting the port up again: no change) returns only after that step is complete.
        wire?.setUp(h.port, true);
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`host ${h.name}: link ${h.ifname} in ${h.ns} not ready after ${READY_TIMEOUT_MS / 1000} s (${JSON.stringify({ ...link, port, addrs })})`);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  } finally {
    nl.close();
    wire?.close();
  }
}

/** A netlink socket inside namespace `ns`, for the length of `fn`. */
function rtnlIn(ns: string): Rtnl {
  return Rtnl.open(namespaceFd(ns), homeNamespaceFd());
}

function withRtnl<T>(ns: string, fn: (nl: Rtnl) => T): T {
  const nl = rtnlIn(ns);
  try {
    return fn(nl);
  } finally {
    nl.close();
  }
}

function makeBridge(nl: Rtnl, hosts: HostSpec[]): void {
  nl.addBridge('br0');
  // multicast off: the bridge device would otherwise send IGMP reports of its own to the hosts
  nl.setMulticast('br0', false);
  for (const h of hosts) nl.setMaster(h.port, 'br0');
  nl.setUp('br0', true);
}

function hostNamed(hosts: HostSpec[], name: string): HostSpec {
  const h = hosts.find((x) => x.name === name);
  if (!h) throw new Error(`unknown host "${name}"`);
  return h;
}

/** the host's end in its namespace, the wire's end (the port) in the wire namespace */
function addVeth(nl: Rtnl, h: HostSpec, wireNs: string): void {
  nl.addVeth(h.ifname, h.mac, namespaceFd(h.ns), h.port, namespaceFd(wireNs));
}

/** Addresses, permanent neighbours for every peer (no ARP/NDP), offloads off. */
function configureHost(h: HostSpec, all: HostSpec[]): void {
  withRtnl(h.ns, (nl) => {
    nl.setUp('lo', true);
    const index = nl.index(h.ifname);
    nl.addAddress(index, h.ipv4, 24);
    nl.addAddress(index, h.ipv6, 64, true);
    for (const peer of all) {
      if (peer === h) continue;
      nl.addNeighbour(index, peer.ipv4, peer.mac);
      nl.addNeighbour(index, peer.ipv6, peer.mac);
    }
    // Segmentation and checksum offloads off: the wire then carries (and the relay can
    // re-inject) exactly the MSS-sized segments with full checksums the peer receives.
    nl.offloadsOff(h.ifname);
  });
}

/** Silence a host's own TCP stack: it neither answers nor resets; a scripted peer speaks for it. */
export async function silenceTcp(ns: string): Promise<void> {
  const rules = `table inet tcpladder_raw {
  chain in { type filter hook input priority -400; policy accept; meta l4proto tcp drop; }
  chain out { type filter hook output priority -400; policy accept; meta l4proto tcp drop; }
}
`;
  const { execa } = await import('execa'); // loaded when needed: it costs ~70 ms at start-up in every worker
  const r = await execa('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: rules, reject: false });
  if (r.exitCode !== 0) throw new Error(`nft in ${ns} failed: ${r.stderr.trim()}`);
}
