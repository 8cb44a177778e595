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
  if (dead.length) {
    await ipBatch(dead.map((ns) => `netns del ${ns}`)).catch(() => undefined);
    removed.push(...dead.map((ns) => `netns ${ns}`));
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
        rmSync(`${STATE_DIR}/${dir}/${name}`, { force: true });
        removed.push(`${dir}/${name}`);
      }
    }
  }
  return removed;
}
