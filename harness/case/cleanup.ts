/**
 * This process's own cleanup on exit and on SIGINT/SIGTERM: everything it made is
 * named `tcpl-<run>-<pid>-…`, so it removes exactly that, synchronously.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { STATE_DIR, unregisterOwner, runId } from '../topology/index.js';

const exitHooks: (() => void)[] = [];
let installed = false;

export function onExit(fn: () => void): void {
  exitHooks.push(fn);
  install();
}

function ownNamespaces(): string[] {
  const mine = `tcpl-${runId()}-${process.pid}-`;
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(mine));
  } catch {
    return [];
  }
}

export function cleanupOwnSync(): void {
  for (const fn of exitHooks.splice(0)) {
    try {
      fn();
    } catch {
      // keep going: the rest must still be removed
    }
  }
  const ns = ownNamespaces();
  if (ns.length) spawnSync('ip', ['-batch', '-'], { input: ns.map((n) => `netns del ${n}`).join('\n') + '\n' });
  try {
    for (const slot of readdirSync(`${STATE_DIR}/slots`)) {
      const path = `${STATE_DIR}/slots/${slot}`;
      if (readFileSync(path, 'utf8') === String(process.pid)) rmSync(path, { force: true });
    }
  } catch {
    // no slots directory
  }
  rmSync(`${STATE_DIR}/sock/sidecar-${process.pid}.sock`, { force: true });
  unregisterOwner();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', cleanupOwnSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      cleanupOwnSync();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}
