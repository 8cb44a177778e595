/**
 * The same topology as harness/stacks' createTopology (2+ hosts and a wire
 * namespace, IPv4 + IPv6, permanent neighbours, offloads off on every veth end),
 * built the way a shell script would build it, for the benchmark's reference:
 *
 *   naive:  one `ip` / `ethtool` process per step, one after the other, sysctls
 *           with one `ip netns exec NS sysctl -w …` per namespace, readiness polled
 *           with `ip -j addr`, teardown with one `ip netns del` per namespace;
 *   batch:  what the harness did before it spoke netlink itself: one `ip -batch`
 *           process per namespace, `ethtool -K` processes, all of a stage in parallel,
 *           sysctls written in-process through setns.
 *
 * Both set the hosts' RPS default as the harness does (topology/cpus.ts); the plain
 * veth pair of the throughput reference does not: it is a bare veth.
 */
import { spawn } from 'node:child_process';
import { applySysctls } from '../../harness/topology/sysctl.js';
import { hostRxSysctls } from '../../harness/topology/cpus.js';
import { releaseNamespace } from '../../harness/topology/netns.js';
import { registerOwner, resourceName } from '../../harness/topology/owner.js';
import { takeSlot, releaseSlot, slotSubnets } from '../../harness/topology/slots.js';
import type { HostSpec } from '../../harness/topology/index.js';
import { onCleanup, deleteNamespacesSync } from './common.js';

export type RefHost = Pick<HostSpec, 'name' | 'ns' | 'ifname' | 'mac' | 'ipv4' | 'ipv6' | 'port'>;

export interface RefTopology {
  wireNs: string;
  hosts: RefHost[];
  up(): Promise<void>;
  destroy(): Promise<void>;
}

const HOST_SYSCTLS = {
  'net.ipv6.conf.default.accept_dad': 0,
  'net.ipv6.conf.all.accept_dad': 0,
  'net.ipv6.conf.default.dad_transmits': 0,
  'net.ipv6.conf.default.router_solicitations': 0,
  'net.ipv6.conf.default.accept_ra': 0,
  'net.ipv6.conf.default.autoconf': 0,
};
const WIRE_SYSCTLS = { 'net.ipv6.conf.default.disable_ipv6': 1, 'net.ipv6.conf.all.disable_ipv6': 1 };
const OFFLOADS = ['tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'];

/** Run a program, resolve with its stdout; reject with its stderr when it fails. */
export function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${err.trim()}`))));
    if (input !== undefined) child.stdin!.end(input);
  });
}

let seq = 0;

function plan(names: string[], kind: string) {
  registerOwner();
  const slot = takeSlot();
  const id = resourceName(kind, ++seq);
  const net = slotSubnets(slot);
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  const hosts: RefHost[] = names.map((name, i) => ({
    name,
    ns: `${id}-h${i}`,
    ifname: 'eth0',
    mac: `02:74:63:${hex(slot >> 8)}:${hex(slot & 255)}:${hex(i + 1)}`,
    ipv4: net.ipv4(i + 1),
    ipv6: net.ipv6(i + 1),
    port: `p${i}`,
  }));
  const wireNs = `${id}-wire`;
  const namespaces = [wireNs, ...hosts.map((h) => h.ns)];
  // whatever happens, these namespaces and the slot do not outlive the benchmark
  const forget = onCleanup(() => {
    for (const ns of namespaces) releaseNamespace(ns);
    deleteNamespacesSync(namespaces);
    releaseSlot(slot);
  });
  return { slot, hosts, wireNs, namespaces, forget };
}

function vethArgs(h: RefHost, wireNs: string): string[] {
  return ['link', 'add', 'name', h.ifname, 'netns', h.ns, 'address', h.mac, 'type', 'veth', 'peer', 'name', h.port, 'netns', wireNs];
}

function sysctlArgs(values: Record<string, number | string>): string[] {
  return Object.entries(values).map(([k, v]) => `${k}=${v}`);
}

async function pollReady(h: RefHost): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const [link] = JSON.parse((await run('ip', ['-n', h.ns, '-j', 'addr', 'show', 'dev', h.ifname])) || '[]') as {
      operstate: string;
      addr_info?: { local: string; tentative?: boolean }[];
    }[];
    const v6 = link?.addr_info?.find((a) => a.local === h.ipv6);
    if (link?.operstate === 'UP' && v6 && !v6.tentative && link.addr_info?.some((a) => a.local === h.ipv4)) return;
    if (Date.now() > deadline) throw new Error(`${h.ns}: ${h.ifname} not ready`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** One process per step, each waited for before the next. */
export async function naiveTopology(names: string[], options: { bridge?: boolean } = {}): Promise<RefTopology> {
  const { slot, hosts, wireNs, namespaces, forget } = plan(names, 'naive');
  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    for (const ns of namespaces) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    releaseSlot(slot);
    forget();
  };
  try {
    for (const ns of namespaces) await run('ip', ['netns', 'add', ns]);
    await run('ip', ['netns', 'exec', wireNs, 'sysctl', '-q', '-w', ...sysctlArgs(WIRE_SYSCTLS)]);
    for (const h of hosts) await run('ip', ['netns', 'exec', h.ns, 'sysctl', '-q', '-w', ...sysctlArgs({ ...hostRxSysctls(h.ns), ...HOST_SYSCTLS })]);
    for (const h of hosts) await run('ip', vethArgs(h, wireNs));
    await run('ip', ['-n', wireNs, 'link', 'set', 'lo', 'up']);
    if (options.bridge) {
      await run('ip', ['-n', wireNs, 'link', 'add', 'br0', 'type', 'bridge']);
      await run('ip', ['-n', wireNs, 'link', 'set', 'br0', 'multicast', 'off']);
      for (const h of hosts) await run('ip', ['-n', wireNs, 'link', 'set', h.port, 'master', 'br0']);
      await run('ip', ['-n', wireNs, 'link', 'set', 'br0', 'up']);
    }
    for (const h of hosts) await run('ip', ['-n', wireNs, 'link', 'set', h.port, 'up']);
    for (const h of hosts) {
      await run('ip', ['-n', h.ns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', h.ns, 'addr', 'add', `${h.ipv4}/24`, 'dev', h.ifname]);
      await run('ip', ['-n', h.ns, 'addr', 'add', `${h.ipv6}/64`, 'dev', h.ifname, 'nodad']);
      for (const p of hosts) {
        if (p === h) continue;
        await run('ip', ['-n', h.ns, 'neigh', 'add', p.ipv4, 'lladdr', p.mac, 'dev', h.ifname, 'nud', 'permanent']);
        await run('ip', ['-n', h.ns, 'neigh', 'add', p.ipv6, 'lladdr', p.mac, 'dev', h.ifname, 'nud', 'permanent']);
      }
      await run('ip', ['netns', 'exec', h.ns, 'ethtool', '-K', h.ifname, ...OFFLOADS]);
      await run('ip', ['netns', 'exec', wireNs, 'ethtool', '-K', h.port, ...OFFLOADS]);
    }
  } catch (e) {
    await destroy();
    throw e;
  }
  return {
    wireNs,
    hosts,
    up: async () => {
      for (const h of hosts) await run('ip', ['-n', h.ns, 'link', 'set', h.ifname, 'up']);
      for (const h of hosts) await pollReady(h);
    },
    destroy,
  };
}

function ipBatch(lines: string[], ns?: string): Promise<string> {
  return run('ip', ns ? ['-n', ns, '-batch', '-'] : ['-batch', '-'], lines.join('\n') + '\n');
}

/** The harness's previous builder: `ip -batch` per namespace and `ethtool` processes, in parallel. */
export async function batchTopology(names: string[], options: { bridge?: boolean } = {}): Promise<RefTopology> {
  const { slot, hosts, wireNs, namespaces, forget } = plan(names, 'batch');
  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    for (const ns of namespaces) releaseNamespace(ns);
    await ipBatch(namespaces.map((ns) => `netns del ${ns}`)).catch(() => undefined);
    releaseSlot(slot);
    forget();
  };
  try {
    await ipBatch(namespaces.map((ns) => `netns add ${ns}`));
    applySysctls(wireNs, WIRE_SYSCTLS);
    for (const h of hosts) applySysctls(h.ns, { ...hostRxSysctls(h.ns), ...HOST_SYSCTLS });
    await ipBatch(hosts.map((h) => vethArgs(h, wireNs).join(' ')));
    const bridge = options.bridge
      ? ['link add br0 type bridge', 'link set br0 multicast off', ...hosts.map((h) => `link set ${h.port} master br0`), 'link set br0 up']
      : [];
    await Promise.all([
      ipBatch(['link set lo up', ...bridge, ...hosts.map((h) => `link set ${h.port} up`)], wireNs),
      ...hosts.flatMap((h) => [
        ipBatch(
          [
            'link set lo up',
            `addr add ${h.ipv4}/24 dev ${h.ifname}`,
            `addr add ${h.ipv6}/64 dev ${h.ifname} nodad`,
            ...hosts
              .filter((p) => p !== h)
              .flatMap((p) => [`neigh add ${p.ipv4} lladdr ${p.mac} dev ${h.ifname} nud permanent`, `neigh add ${p.ipv6} lladdr ${p.mac} dev ${h.ifname} nud permanent`]),
          ],
          h.ns,
        ),
        run('ip', ['netns', 'exec', h.ns, 'ethtool', '-K', h.ifname, ...OFFLOADS]),
        run('ip', ['netns', 'exec', wireNs, 'ethtool', '-K', h.port, ...OFFLOADS]),
      ]),
    ]);
  } catch (e) {
    await destroy();
    throw e;
  }
  return {
    wireNs,
    hosts,
    up: async () => {
      await Promise.all(hosts.map((h) => ipBatch([`link set ${h.ifname} up`], h.ns)));
      await Promise.all(hosts.map((h) => pollReady(h)));
    },
    destroy,
  };
}

export interface PlainPair {
  a: RefHost;
  b: RefHost;
  destroy(): Promise<void>;
}

/**
 * Two hosts joined by one veth pair, nothing in between: the hosts' settings of a case
 * (sysctls, addresses, permanent neighbours, offloads off), for the throughput reference.
 */
export async function plainPair(): Promise<PlainPair> {
  const { slot, hosts, wireNs, namespaces, forget } = plan(['a', 'b'], 'plain');
  const [a, b] = hosts;
  const used = [a.ns, b.ns];
  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    for (const ns of used) releaseNamespace(ns);
    await ipBatch(used.map((ns) => `netns del ${ns}`)).catch(() => undefined);
    releaseSlot(slot);
    forget();
  };
  void wireNs;
  void namespaces;
  try {
    await ipBatch(used.map((ns) => `netns add ${ns}`));
    for (const h of hosts) applySysctls(h.ns, HOST_SYSCTLS);
    await ipBatch([`link add name eth0 netns ${a.ns} address ${a.mac} type veth peer name eth0 netns ${b.ns} address ${b.mac}`]);
    for (const h of hosts) {
      const p = h === a ? b : a;
      await ipBatch(
        [
          'link set lo up',
          `addr add ${h.ipv4}/24 dev eth0`,
          `addr add ${h.ipv6}/64 dev eth0 nodad`,
          `neigh add ${p.ipv4} lladdr ${p.mac} dev eth0 nud permanent`,
          `neigh add ${p.ipv6} lladdr ${p.mac} dev eth0 nud permanent`,
        ],
        h.ns,
      );
      await run('ip', ['netns', 'exec', h.ns, 'ethtool', '-K', 'eth0', ...OFFLOADS]);
    }
    for (const h of hosts) await ipBatch(['link set eth0 up'], h.ns);
    for (const h of hosts) await pollReady(h);
  } catch (e) {
    await destroy();
    throw e;
  }
  return { a, b, destroy };
}
