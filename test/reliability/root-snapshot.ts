/**
 * A view of the root network namespace (the process calling it must be in it) for the
 * root-namespace test: links, addresses, routes, rules, nftables and iptables rules,
 * TCP sysctls; and its listening TCP and packet sockets with their owners.
 *
 * Ignored: counters and address lifetimes (they change by themselves), and the
 * objects of a Docker engine that may run beside the tests on a developer's machine
 * (docker0, br-<id>, veth<id> and their addresses, routes and DOCKER rules): tcpladder
 * names nothing like that.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const DOCKER = /^(docker\d+|br-[0-9a-f]{12}|veth[0-9a-f]{7})$/;
const DOCKER_TEXT = /DOCKER|docker\d|br-[0-9a-f]{12}|veth[0-9a-f]{7}/;

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '(unavailable)';
  }
}

function json(args: string[]): unknown[] {
  const out = sh('ip', ['-j', ...args]);
  return out === '(unavailable)' ? [] : (JSON.parse(out || '[]') as unknown[]);
}

type Obj = Record<string, unknown>;

function withoutDocker<T extends Obj>(list: T[], key: string): T[] {
  return list.filter((x) => !DOCKER.test(String(x[key] ?? '')) && !DOCKER.test(String(x.master ?? '')));
}

function tcpSysctls(): Record<string, string> {
  const out: Record<string, string> = {};
  const dir = '/proc/sys/net/ipv4';
  for (const f of readdirSync(dir)) {
    if (!f.startsWith('tcp_') && f !== 'ip_forward' && f !== 'ip_local_port_range') continue;
    try {
      out[`net.ipv4.${f}`] = readFileSync(`${dir}/${f}`, 'utf8').trim();
    } catch {
      // write-only or unreadable
    }
  }
  for (const f of ['/proc/sys/net/ipv6/conf/all/forwarding', '/proc/sys/net/ipv6/conf/all/disable_ipv6', '/proc/sys/net/core/somaxconn']) {
    if (existsSync(f)) out[f.slice('/proc/sys/'.length).replace(/\//g, '.')] = readFileSync(f, 'utf8').trim();
  }
  return out;
}

/** One view of the root namespace (this test process runs in it). */
export function snapshot() {
  const links = withoutDocker(json(['link', 'show']) as Obj[], 'ifname').map((l) => {
    const { ifindex, ifname, flags, mtu, qdisc, address, link_type, master, linkinfo } = l;
    return { ifindex, ifname, flags, mtu, qdisc, address, link_type, master, linkinfo };
  });
  const addrs = withoutDocker(json(['addr', 'show']) as Obj[], 'ifname').map((l) => ({
    ifname: l.ifname,
    addr: ((l.addr_info as Obj[]) ?? []).map(({ valid_life_time: _v, preferred_life_time: _p, ...a }) => a),
  }));
  const routes = [...(json(['route', 'show', 'table', 'all']) as Obj[]), ...(json(['-6', 'route', 'show', 'table', 'all']) as Obj[])].filter(
    (r) => !DOCKER.test(String(r.dev ?? '')),
  );
  const rules = [...json(['rule', 'show']), ...json(['-6', 'rule', 'show'])];
  const strip = (text: string) =>
    text
      .split('\n')
      .filter((l) => !l.startsWith('#') && !DOCKER_TEXT.test(l))
      .map((l) => l.replace(/counter packets \d+ bytes \d+/g, 'counter').replace(/\[\d+:\d+\]/g, '[]'))
      .join('\n');
  return {
    links,
    addrs,
    routes,
    rules,
    nft: strip(sh('nft', ['list', 'ruleset'])),
    iptables: strip(sh('iptables-save', [])),
    ip6tables: strip(sh('ip6tables-save', [])),
    sysctls: tcpSysctls(),
  };
}

/** Listening TCP sockets and packet sockets of the root namespace: [what, owning pids]. */
export function sockets(): { listening: { local: string; pids: number[] }[]; packet: { line: string; pids: number[] }[] } {
  const pidsOf = (line: string) => [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
  const listening = sh('ss', ['-ltnpH'])
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ local: l.trim().split(/\s+/)[3], pids: pidsOf(l) }));
  const packet = sh('ss', ['-0pH'])
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ line: l.trim(), pids: pidsOf(l) }));
  return { listening, packet };
}

