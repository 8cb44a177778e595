/**
 * What a tcpladder run needs from the machine, one probe per check. Probes that
 * make something (a network namespace with a veth pair, a tracefs instance) name it
 * tcpl-doctor-<pid> and remove it before they return.
 */
import { spawnSync } from 'node:child_process';
import { release } from 'node:os';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { userNamespaceProblem } from '../topology/privilege.js';
import { stackWorks } from './doctor-stacks.js';

export interface CheckResult {
  ok: boolean;
  /** what was found, e.g. a version, or what went wrong */
  detail: string;
  /** the one command (or step) that fixes a failure */
  fix?: string;
}

export interface Check {
  name: string;
  /** a run cannot work without it; optional checks only inform */
  required: boolean;
  run(): CheckResult | Promise<CheckResult>;
}

const require = createRequire(import.meta.url);

interface Ran {
  ok: boolean;
  out: string;
  missing: boolean;
}

function sh(cmd: string, args: string[]): Ran {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || (r.error ? r.error.message : '');
  return { ok: r.status === 0, out, missing };
}

const firstLine = (s: string) => s.split('\n')[0]!.trim();
const aptFix = (pkg: string) => `apt-get install -y ${pkg}`;

/** A program that must be installed, shown with the first line of `versionArgs`' output. */
function program(name: string, cmd: string, versionArgs: string[], pkg: string, required = true): Check {
  return {
    name,
    required,
    run() {
      const r = sh(cmd, versionArgs);
      if (r.missing) return { ok: false, detail: `${cmd} not found`, fix: aptFix(pkg) };
      return r.ok ? { ok: true, detail: firstLine(r.out) } : { ok: false, detail: firstLine(r.out), fix: aptFix(pkg) };
    },
  };
}

function nodeModule(name: string, id: string, fix: string): Check {
  return {
    name,
    required: true,
    run() {
      try {
        require(id);
        const version = (require(`${id}/package.json`) as { version: string }).version;
        return { ok: true, detail: `${id} ${version} loads` };
      } catch (e) {
        return { ok: false, detail: firstLine((e as Error).message), fix };
      }
    },
  };
}

export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split('.').map(Number);
  const pb = b.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export const NODE_MIN = '20.11.0';

const TRACEFS_ROOTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

function tracefsRoot(): string | null {
  return TRACEFS_ROOTS.find((r) => existsSync(`${r}/instances`)) ?? null;
}

/**
 * Namespace, veth and nftables checks share one namespace: made by the first,
 * used by the others, removed by `cleanup()`.
 */
export class NetnsProbe {
  readonly name = `tcpl-doctor-${process.pid}`;
  private made = false;

  create(): CheckResult {
    const ip = sh('ip', ['netns', 'add', this.name]);
    if (ip.missing) return { ok: false, detail: 'ip (iproute2) not found', fix: aptFix('iproute2') };
    if (!ip.ok) return { ok: false, detail: firstLine(ip.out), fix: process.getuid?.() === 0 ? 'mkdir -p /run/netns (and a kernel with CONFIG_NET_NS)' : 'run as root: sudo tcpladder doctor' };
    this.made = true;
    return { ok: true, detail: `${this.name} made (removed at the end)` };
  }

  veth(): CheckResult {
    if (!this.made) return { ok: false, detail: 'skipped: no network namespace', fix: 'fix network namespaces first' };
    const r = sh('ip', ['-n', this.name, 'link', 'add', 'tcpl-d0', 'type', 'veth', 'peer', 'name', 'tcpl-d1']);
    return r.ok ? { ok: true, detail: 'a veth pair can be made (inside the probe namespace)' } : { ok: false, detail: firstLine(r.out), fix: 'modprobe veth' };
  }

  nftables(): CheckResult {
    const version = sh('nft', ['--version']);
    if (version.missing) return { ok: false, detail: 'nft not found', fix: aptFix('nftables') };
    if (!this.made) return { ok: true, detail: `${firstLine(version.out)} (kernel support not checked: no namespace)` };
    const r = sh('ip', ['netns', 'exec', this.name, 'nft', 'add', 'table', 'inet', 'tcpl_doctor']);
    return r.ok ? { ok: true, detail: `${firstLine(version.out)}, kernel nf_tables works` } : { ok: false, detail: firstLine(r.out), fix: 'modprobe nf_tables' };
  }

  cleanup(): void {
    if (this.made) sh('ip', ['netns', 'delete', this.name]);
    this.made = false;
  }
}

function tracefs(): CheckResult {
  const root = tracefsRoot();
  if (root === null) return { ok: false, detail: 'tracefs is not mounted', fix: 'mount -t tracefs nodev /sys/kernel/tracing' };
  const event = `${root}/events/sock/inet_sock_set_state`;
  if (!existsSync(event)) return { ok: false, detail: `${root}: no sock/inet_sock_set_state tracepoint`, fix: 'use a kernel built with CONFIG_TRACEPOINTS (Debian kernels are)' };
  const instance = `${root}/instances/tcpl-doctor-${process.pid}`;
  try {
    mkdirSync(instance);
    rmdirSync(instance);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, detail: `cannot make a tracefs instance (${code})`, fix: process.getuid?.() === 0 ? `mount -t tracefs nodev ${root}` : 'run as root: sudo tcpladder doctor' };
  }
  return { ok: true, detail: `${root}, instances and the state tracepoint` };
}

/** Could a user run `tcpladder run` without root? (From root: tried as nobody.) */
function rootlessMode(): CheckResult {
  const problem = userNamespaceProblem(process.getuid?.() === 0 ? 65534 : undefined);
  if (problem) return { ok: false, detail: `no rootless runs: ${problem.why}`, fix: problem.fix };
  return { ok: true, detail: 'users may run tcpladder run without root (user namespaces; states sampled through sock_diag, no tracepoints)' };
}

/** The capture sidecar's fast path (harness/wire/native/relay.c) builds with the machine's cc, and loads. */
async function relayBuilds(): Promise<CheckResult> {
  try {
    const { relayLibrary } = await import('../wire/native-relay.js');
    const lib = relayLibrary();
    return { ok: true, detail: `harness/wire/native/relay.c built and loaded (${lib.maxPorts} ports at most)` };
  } catch (e) {
    return { ok: false, detail: firstLine((e as Error).message), fix: aptFix('gcc libc6-dev') };
  }
}

export function checks(probe: NetnsProbe): Check[] {
  return [
    {
      name: 'root',
      required: true,
      run: () =>
        process.getuid?.() === 0
          ? { ok: true, detail: 'running as uid 0' }
          : { ok: false, detail: `running as uid ${process.getuid?.()}`, fix: 'run as root: sudo tcpladder doctor' },
    },
    {
      name: 'Node.js',
      required: true,
      run: () =>
        compareVersions(process.version, NODE_MIN) >= 0
          ? { ok: true, detail: `${process.version} (need ≥ ${NODE_MIN})` }
          : { ok: false, detail: `${process.version}, need ≥ ${NODE_MIN}`, fix: 'install Node.js 20.11 or newer (Debian 12 ships 18; use the NodeSource or nodejs.org packages)' },
    },
    { name: 'network namespaces', required: true, run: () => probe.create() },
    { name: 'veth', required: true, run: () => probe.veth() },
    { name: 'nftables', required: true, run: () => probe.nftables() },
    program('ethtool', 'ethtool', ['--version'], 'ethtool'),
    { name: 'tracefs', required: true, run: tracefs },
    { name: 'rootless mode', required: false, run: rootlessMode },
    nodeModule('libpcap (cap)', 'cap', 'apt-get install -y libpcap-dev && npm rebuild cap'),
    nodeModule('koffi', 'koffi', 'npm ci'),
    { name: "relay's C (cc)", required: true, run: relayBuilds },
    program('tcpdump', 'tcpdump', ['--version'], 'tcpdump'),
    program('tshark', 'tshark', ['--version'], 'tshark'),
    program('chromium (browser test)', 'chromium', ['--version'], 'chromium', false),
    { name: 'stack linux', required: true, run: () => ({ ok: true, detail: `this machine's kernel, ${release()}: network namespaces (checked above)` }) },
    { name: 'stack uml', required: false, run: () => stackWorks('uml') },
    { name: 'stack gvisor', required: false, run: () => stackWorks('gvisor') },
  ];
}
