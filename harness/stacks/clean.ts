/**
 * Guests left behind by a pool that was killed outright (SIGKILL: no time to stop them):
 * User-Mode Linux processes (`umid=tcpl-<run>-<pool pid>-g<n>`, the main one and its
 * helpers), gVisor sandboxes (`--root=<state>/guests/<pool pid>/…`), and the pool's
 * folder of guest files. Only guests whose pool is gone are touched: their processes are
 * killed, then their files removed; the namespaces go with the run's other leftovers.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ownerAlive, ownerOf, STATE_DIR } from '../topology/index.js';

const GUESTS_DIR = join(STATE_DIR, 'guests');

/** The pool that owns a guest process, from its command line, or null when it is no guest of ours. */
export function guestOwner(cmdline: string): number | null {
  const uml = /(?:^|\s)umid=(tcpl-[a-z0-9]+-\d+-g\d+)(?:\s|$)/.exec(cmdline);
  if (uml) return ownerOf(uml[1]);
  const root = new RegExp(`--root=${GUESTS_DIR.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(\\d+)/`).exec(cmdline);
  return root ? Number(root[1]) : null;
}

function processes(): { pid: number; cmdline: string }[] {
  const out: { pid: number; cmdline: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      out.push({ pid: Number(name), cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export async function cleanGuests(): Promise<string[]> {
  const removed: string[] = [];
  const dead = new Set<number>();
  for (const p of processes()) {
    const owner = guestOwner(p.cmdline);
    if (owner === null || owner === process.pid || ownerAlive(owner)) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
      dead.add(owner);
      removed.push(`guest process ${p.pid} (pool ${owner})`);
    } catch {
      // gone already
    }
  }
  let pools: string[] = [];
  try {
    pools = readdirSync(GUESTS_DIR);
  } catch {
    // no guest ever ran here
  }
  for (const name of pools) {
    const owner = Number(name);
    if (!owner || owner === process.pid || ownerAlive(owner)) continue;
    // a killed process is gone a moment later: its files can go once it is
    await new Promise((r) => setTimeout(r, dead.size ? 100 : 0));
    rmSync(join(GUESTS_DIR, name), { recursive: true, force: true });
    removed.push(`guests/${name}`);
  }
  return removed;
}
