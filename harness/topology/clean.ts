/** Removing what runs whose owner is gone left behind: namespaces, slots, owner files. */
import { readdirSync, rmSync } from 'node:fs';
import { listNamespaces, ipBatch } from './ip.js';
import { ownerOf, ownerAlive, PREFIX, STATE_DIR } from './owner.js';
import { reclaimSlots } from './slots.js';

export async function cleanLeftovers(): Promise<string[]> {
  const removed: string[] = [];
  const dead = (await listNamespaces()).filter((ns) => {
    const pid = ns.startsWith(PREFIX) ? ownerOf(ns) : null;
    return pid !== null && pid !== process.pid && !ownerAlive(pid);
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
  const slots = reclaimSlots();
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
      if (pid && pid !== process.pid && !ownerAlive(pid)) {
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
