/** Removing what runs whose owner is gone left behind: namespaces, slots, owner files. */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { listNamespaces, ipBatch } from './ip.js';
import { ownerOf, ownerAlive, PREFIX, STATE_DIR } from './owner.js';
import { reclaimSlots } from './slots.js';

/**
 * Is the owner `pid` gone? Not alive, or a zombie: killed but not yet reaped
 * (a PID 1 that reaps late, a container without an init) — it holds nothing and will
 * never clean up, though /proc still shows it with its start time.
 */
export function ownerGone(pid: number): boolean {
  if (!ownerAlive(pid)) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z') && /^Threads:\s*1$/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

export async function cleanLeftovers(): Promise<string[]> {
  const removed: string[] = [];
  const dead = (await listNamespaces()).filter((ns) => {
    const pid = ns.startsWith(PREFIX) ? ownerOf(ns) : null;
    return pid !== null && pid !== process.pid && ownerGone(pid);
  });
  // one at a time, reporting only what this call removed: `ip -batch` stops at the first
  // failure, and another run starting now may be removing the same namespaces
  for (const ns of dead) {
    try {
      await ipBatch([`netns del ${ns}`]);
      removed.push(`netns ${ns}`);
    } catch {
      // gone already (another clean was quicker), or not ours to remove (not root)
    }
  }
  let slots = reclaimSlots();
  for (const slot of list(`${STATE_DIR}/slots`)) {
    // slots of zombie owners (reclaimSlots asks only whether the owner is alive)
    const pid = Number(read(`${STATE_DIR}/slots/${slot}`));
    if (pid && pid !== process.pid && ownerGone(pid)) {
      try {
        rmSync(`${STATE_DIR}/slots/${slot}`);
        slots++;
      } catch {
        // gone already
      }
    }
  }
  if (slots) removed.push(`${slots} address slot(s)`);
  for (const dir of ['owners', 'sock']) {
    let names: string[] = [];
    try {
      names = readdirSync(`${STATE_DIR}/${dir}`);
    } catch {
      continue;
    }
    for (const name of names) {
      const pid = Number(/(\d+)/.exec(name)?.[1]);
      if (pid && pid !== process.pid && ownerGone(pid)) {
        try {
          rmSync(`${STATE_DIR}/${dir}/${name}`);
          removed.push(`${dir}/${name}`);
        } catch {
          // gone already, or not ours to remove
        }
      }
    }
  }
  return removed;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
