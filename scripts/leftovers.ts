/**
 * What a tcpladder run may leave on the machine, looked up by its run id: network
 * namespaces and tracefs instances named `tcpl-<run>-…`, links and nftables tables
 * in the root namespace named like them, processes that carry TCPLADDER_RUN=<run>
 * (vitest workers, capture sidecars, trace readers, guest pools and their guests all
 * inherit it), and the files under /run/tcpladder (owner files, address slots, sidecar
 * sockets, guest folders) of the run's processes. Used by scripts/soak after every run and by test/reliability.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export const STATE_DIR = process.env.TCPLADDER_STATE_DIR ?? '/run/tcpladder';

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function tracefsInstancesDir(): string | null {
  for (const d of ['/sys/kernel/tracing/instances', '/sys/kernel/debug/tracing/instances']) if (existsSync(d)) return d;
  return null;
}

/** Live processes whose environment says they belong to run `run` (and are not `exclude`). */
export function runProcesses(run: string, exclude: number[] = [process.pid]): { pid: number; cmd: string }[] {
  const needle = `\0TCPLADDER_RUN=${run}\0`;
  const out: { pid: number; cmd: string }[] = [];
  for (const p of list('/proc')) {
    if (!/^\d+$/.test(p) || exclude.includes(Number(p))) continue;
    const env = read(`/proc/${p}/environ`);
    if (env === null || !`\0${env}`.includes(needle)) continue;
    const stat = read(`/proc/${p}/stat`);
    if (stat && stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue; // a zombie holds nothing
    out.push({ pid: Number(p), cmd: (read(`/proc/${p}/cmdline`) ?? '').split('\0').join(' ').trim() });
  }
  return out;
}

/** Processes whose command line mentions `text` (a sidecar socket, a trace instance). */
export function processesMentioning(text: string, exclude: number[] = [process.pid]): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const p of list('/proc')) {
    if (!/^\d+$/.test(p) || exclude.includes(Number(p))) continue;
    const cmd = read(`/proc/${p}/cmdline`);
    if (cmd && cmd.includes(text)) out.push({ pid: Number(p), cmd: cmd.split('\0').join(' ').trim() });
  }
  return out;
}

export function namespaces(): string[] {
  return list('/run/netns');
}

function rootLinks(): string[] {
  const out = execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' });
  return (JSON.parse(out || '[]') as { ifname: string }[]).map((l) => l.ifname);
}

function rootNftTables(): string[] {
  try {
    return execFileSync('nft', ['list', 'tables'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Everything of run `run` still on the machine. `pids`: the run's processes seen
 * while it ran, whose state files must be gone too.
 */
export function leftovers(run: string, pids: Iterable<number> = []): string[] {
  const prefix = `tcpl-${run}-`;
  const found: string[] = [];
  for (const ns of namespaces()) if (ns.startsWith(prefix)) found.push(`netns ${ns}`);
  for (const l of rootLinks()) if (l.startsWith('tcpl')) found.push(`link ${l} in the root namespace`);
  for (const t of rootNftTables()) if (/\btcpl/.test(t)) found.push(`nft ${t} in the root namespace`);
  const inst = tracefsInstancesDir();
  if (inst) for (const i of list(inst)) if (i.startsWith(prefix)) found.push(`tracefs instance ${i}`);
  for (const p of runProcesses(run)) found.push(`process ${p.pid}: ${p.cmd}`);
  for (const p of processesMentioning(prefix)) if (!found.some((f) => f.startsWith(`process ${p.pid}:`))) found.push(`process ${p.pid}: ${p.cmd}`);
  const mine = new Set([...pids].map(String));
  for (const o of list(`${STATE_DIR}/owners`)) {
    const owner = read(`${STATE_DIR}/owners/${o}`);
    if (mine.has(o) || (owner !== null && owner.includes(`"run":"${run}"`))) found.push(`${STATE_DIR}/owners/${o}`);
  }
  for (const s of list(`${STATE_DIR}/slots`)) {
    const pid = read(`${STATE_DIR}/slots/${s}`);
    if (pid !== null && mine.has(pid)) found.push(`${STATE_DIR}/slots/${s} (pid ${pid})`);
  }
  for (const s of list(`${STATE_DIR}/sock`)) {
    const pid = /(\d+)/.exec(s)?.[1];
    if (pid && mine.has(pid)) found.push(`${STATE_DIR}/sock/${s}`);
  }
  // a guest pool's folder (UML's own files, gVisor's state and bundles) is named by the pool's pid
  for (const g of list(`${STATE_DIR}/guests`)) if (mine.has(g)) found.push(`${STATE_DIR}/guests/${g}`);
  for (const dir of ['/tmp', '/dev/shm']) for (const f of list(dir)) if (f.includes(prefix)) found.push(`${dir}/${f}`);
  return found;
}
