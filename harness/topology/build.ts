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
import { ipBatch, ipJson } from './ip.js';
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

    await ipBatch(hosts.map((h) => vethLine(h, wireNs)));
    await Promise.all([
      ipBatch(['link set lo up', ...(options.bridge ? bridgeLines(hosts) : []), ...hosts.map((h) => `link set ${h.port} up`)], wireNs),
      ...hosts.map((h) => configureHost(h, hosts, wireNs)),
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
    up: async () => {
      await Promise.all(hosts.map((h) => ipBatch([`link set ${h.ifname} up`], h.ns)));
      await Promise.all(hosts.map((h) => linkReady(h)));
    },
    destroy,
    crash: async (name) => {
      const h = hostNamed(hosts, name);
      releaseNamespace(h.ns);
      // deleting the wire end removes the pair at once; a deleted namespace's links go
      // away later, in a kernel workqueue, and would still hold the port's name
      await ipBatch([`link del ${h.port}`], wireNs);
      await ipBatch([`netns del ${h.ns}`]);
    },
    reboot: async (name) => {
      const h = hostNamed(hosts, name);
      await ipBatch([`netns add ${h.ns}`]);
      applySysctls(h.ns, { ...HOST_SYSCTLS, ...options.sysctls?.[h.name] });
      await ipBatch([vethLine(h, wireNs)]);
      const enslave = options.bridge ? [`link set ${h.port} master br0`] : [];
      await Promise.all([ipBatch([...enslave, `link set ${h.port} up`], wireNs), configureHost(h, hosts, wireNs)]);
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
  for (;;) {
    const [link] = await ipJson<{ operstate: string; addr_info?: { local: string; tentative?: boolean; dadfailed?: boolean }[] }[]>(['-n', h.ns, 'addr', 'show', 'dev', h.ifname]);
    const v6 = link?.addr_info?.find((a) => a.local === h.ipv6);
    const ready = link?.operstate === 'UP' && v6 && !v6.tentative && link.addr_info?.some((a) => a.local === h.ipv4);
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`host ${h.name}: link ${h.ifname} in ${h.ns} not ready after ${READY_TIMEOUT_MS / 1000} s (${JSON.stringify(link)})`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function bridgeLines(hosts: HostSpec[]): string[] {
  // multicast off: the bridge device would otherwise send IGMP reports of its own to the hosts
  return ['link add br0 type bridge', 'link set br0 multicast off', ...hosts.map((h) => `link set ${h.port} master br0`), 'link set br0 up'];
}

function hostNamed(hosts: HostSpec[], name: string): HostSpec {
  const h = hosts.find((x) => x.name === name);
  if (!h) throw new Error(`unknown host "${name}"`);
  return h;
}

function vethLine(h: HostSpec, wireNs: string): string {
  return `link add name ${h.ifname} netns ${h.ns} address ${h.mac} type veth peer name ${h.port} netns ${wireNs}`;
}

async function configureHost(h: HostSpec, all: HostSpec[], wireNs: string): Promise<void> {
  await Promise.all([ipBatch(hostLines(h, all), h.ns), offloadsOff(h.ns, h.ifname), offloadsOff(wireNs, h.port)]);
}

/** Silence a host's own TCP stack: it neither answers nor resets; a scripted peer speaks for it. */
export async function silenceTcp(ns: string): Promise<void> {
  const rules = `table inet tcpladder_raw {
  chain in { type filter hook input priority -400; policy accept; meta l4proto tcp drop; }
  chain out { type filter hook output priority -400; policy accept; meta l4proto tcp drop; }
}
`;
  const r = await execa('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: rules, reject: false });
  if (r.exitCode !== 0) throw new Error(`nft in ${ns} failed: ${r.stderr.trim()}`);
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
