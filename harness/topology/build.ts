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
import { execa } from 'execa';
import { ipBatch } from './ip.js';
import { applySysctls, type Sysctls } from './sysctl.js';
import { releaseNamespace } from './netns.js';
import { resourceName, registerOwner } from './owner.js';
import { takeSlot, releaseSlot, slotSubnets } from './slots.js';

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
}

export interface TopologyOptions {
  /** sysctls per host name, applied before the host's link comes up */
  sysctls?: Record<string, Sysctls>;
}

export interface Topology {
  id: string;
  slot: number;
  wireNs: string;
  hosts: HostSpec[];
  /** bring the host links up (after the capture is attached) */
  up(): Promise<void>;
  destroy(): Promise<void>;
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
  if (names.length < 2) throw new Error('a topology needs at least two hosts');
  if (new Set(names).size !== names.length) throw new Error(`host names must be unique: ${names.join(', ')}`);
  for (const n of names) {
    if (!/^[a-z][a-z0-9_]{0,15}$/i.test(n)) throw new Error(`host name "${n}" must be a letter then up to 15 letters, digits or _`);
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
  }));
  const namespaces = [wireNs, ...hosts.map((h) => h.ns)];
  let destroyed = false;

  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    for (const ns of namespaces) releaseNamespace(ns);
    await ipBatch(namespaces.map((ns) => `netns del ${ns}`)).catch(() => deleteOneByOne(namespaces));
    releaseSlot(slot);
  };

  try {
    await ipBatch(namespaces.map((ns) => `netns add ${ns}`));
    applySysctls(wireNs, WIRE_SYSCTLS);
    for (const h of hosts) applySysctls(h.ns, { ...HOST_SYSCTLS, ...options.sysctls?.[h.name] });

    await ipBatch(
      hosts.map((h) => `link add name ${h.ifname} netns ${h.ns} address ${h.mac} type veth peer name ${h.port} netns ${wireNs}`),
    );
    await Promise.all([
      ipBatch(['link set lo up', ...hosts.map((h) => `link set ${h.port} up`)], wireNs),
      ...hosts.map((h) => ipBatch(hostLines(h, hosts), h.ns)),
      ...hosts.map((h) => offloadsOff(h.ns, h.ifname)),
      ...hosts.map((h) => offloadsOff(wireNs, h.port)),
    ]);
  } catch (e) {
    await destroy();
    throw e;
  }

  return {
    id,
    slot,
    wireNs,
    hosts,
    up: () => Promise.all(hosts.map((h) => ipBatch([`link set ${h.ifname} up`], h.ns))).then(() => undefined),
    destroy,
  };
}

function hostLines(h: HostSpec, all: HostSpec[]): string[] {
  const lines = ['link set lo up', `addr add ${h.ipv4}/24 dev ${h.ifname}`, `addr add ${h.ipv6}/64 dev ${h.ifname} nodad`];
  for (const peer of all) {
    if (peer === h) continue;
    lines.push(`neigh add ${peer.ipv4} lladdr ${peer.mac} dev ${h.ifname} nud permanent`);
    lines.push(`neigh add ${peer.ipv6} lladdr ${peer.mac} dev ${h.ifname} nud permanent`);
  }
  return lines;
}

/** Segmentation and checksum offloads off: the wire then carries (and the relay can
 * re-inject) exactly the MSS-sized segments with full checksums the peer receives. */
async function offloadsOff(ns: string, ifname: string): Promise<void> {
  const r = await execa('ip', ['netns', 'exec', ns, 'ethtool', '-K', ifname, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'], {
    reject: false,
  });
  if (r.exitCode !== 0) throw new Error(`ethtool -K ${ifname} in ${ns} failed: ${r.stderr.trim()}`);
}

async function deleteOneByOne(namespaces: string[]): Promise<void> {
  for (const ns of namespaces) await execa('ip', ['netns', 'del', ns], { reject: false });
}
