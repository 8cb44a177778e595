// createTopology() speaks netlink and ethtool ioctls itself; the kernel must end up
// exactly where one `ip` / `ethtool` process per step leaves it (bench/lib's naive
// builder): links and their details, offload features, addresses, neighbours, routes
// and the namespaces' net.* sysctls, relay and bridge topologies alike.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createTopology } from '../../harness/stacks/index.js';
import { naiveTopology } from '../../bench/lib/reference-topology.js';

interface Built {
  wireNs: string;
  hosts: { name: string; ns: string; ipv4: string; ipv6: string; mac: string; port: string }[];
}

const sh = (args: string[]) => execFileSync(args[0], args.slice(1), { encoding: 'utf8' });

/** `ip link` / `ip addr` output with its links in name order: the order they were made in (their ifindex) is no state. */
function byName(text: string): string {
  return text
    .split(/^(?=\d+: )/m)
    .sort((a, b) => a.replace(/^\d+: /, '').localeCompare(b.replace(/^\d+: /, '')))
    .join('');
}

/** The state of every namespace of a topology, with its own names and numbers replaced. */
function state(t: Built, bridge: boolean): string {
  const out: string[] = [];
  const spaces: [string, string[]][] = [[t.wireNs, [...t.hosts.map((h) => h.port), ...(bridge ? ['br0'] : [])]], ...t.hosts.map((h): [string, string[]] => [h.ns, ['eth0']])];
  for (const [ns, ifs] of spaces) {
    out.push(`== ${ns}`);
    out.push(byName(sh(['ip', '-n', ns, '-d', 'link', 'show'])), byName(sh(['ip', '-n', ns, 'addr', 'show'])), sh(['ip', '-n', ns, 'neigh', 'show']));
    out.push(sh(['ip', '-n', ns, '-4', 'route', 'show', 'table', 'all']), sh(['ip', '-n', ns, '-6', 'route', 'show', 'table', 'all']));
    for (const i of ifs) out.push(sh(['ip', 'netns', 'exec', ns, 'ethtool', '-k', i]));
    out.push(
      sh(['ip', 'netns', 'exec', ns, 'sysctl', '-a', '-r', '^net\\.'])
        .split('\n')
        .filter((l) => !/stable_secret|base_reachable_time|netfilter|fastopen_key|flow_limit|hash_seed|random|\.nf_/.test(l))
        .join('\n'),
    );
  }
  let s = out.join('\n');
  for (const h of t.hosts) s = s.split(h.ns).join(`NS_${h.name}`).split(h.ipv4).join(`V4_${h.name}`).split(h.ipv6).join(`V6_${h.name}`).split(h.mac).join(`MAC_${h.name}`);
  return s
    .split(t.wireNs)
    .join('NS_wire')
    .replace(/^\d+: /gm, 'N: ')
    .replace(/@if\d+/g, '@ifN')
    .replace(/link-netns(id)? \S+/g, 'link-netns X')
    .replace(/([0-9a-f]{1,2}:){5}[0-9a-f]{1,2}/g, 'MAC') // the wire ports' and bridge's own (random) MACs
    .replace(/(designated_bridge|designated_root|bridge_id) \S+/g, '$1 X')
    .replace(/(_timer|gc_timer)\s+[\d.]+/g, '$1 X')
    .replace(/fe80::\S+/g, 'LINKLOCAL')
    .replace(/(198\.\d+\.\d+\.0|fd74:6370:6c00:[0-9a-f]*::)/g, 'SUBNET');
}

describe('createTopology over netlink', () => {
  for (const bridge of [false, true]) {
    it(`leaves the kernel as one ip/ethtool process per step does (${bridge ? 'bridge' : 'relay'} wire)`, async () => {
      const ours = await createTopology(['client', 'server'], { bridge });
      const theirs = await naiveTopology(['client', 'server'], { bridge }).catch(async (e) => {
        await ours.destroy();
        throw e;
      });
      try {
        await Promise.all([ours.up(), theirs.up()]);
        expect(state({ wireNs: ours.wireNs, hosts: ours.hosts.map((h) => h.spec) }, bridge)).toEqual(state(theirs, bridge));
      } finally {
        await ours.destroy();
        await theirs.destroy();
      }
      const left = sh(['ip', 'netns', 'list']);
      for (const ns of [ours.wireNs, theirs.wireNs, ...ours.hosts.map((h) => h.spec.ns), ...theirs.hosts.map((h) => h.ns)]) expect(left).not.toContain(ns);
    }, 30_000);
  }
});
