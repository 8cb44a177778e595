/**
 * Address slots. Tracepoint events carry addresses but no namespace, so every live
 * case on this machine, of any run, gets its own IPv4 /24 and IPv6 /64.
 * Slots are files created exclusively; a slot whose owner is gone is taken back.
 */
import { mkdirSync, openSync, closeSync, writeSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { STATE_DIR, ownerAlive } from './owner.js';
import { formatIpv6, ipv6Bytes } from '../sockets/sockaddr.js';

// 198.18.0.0/15 is reserved for network benchmarking tests (RFC 2544); fd74:6370:6c00::/48 is a ULA.
export const SLOT_COUNT = 512;
const dir = `${STATE_DIR}/slots`;

export function slotSubnets(slot: number) {
  return {
    ipv4: (host: number) => `198.${18 + (slot >> 8)}.${slot & 255}.${host}`,
    // written the way the kernel and every tool print it (RFC 5952): slot 0 is fd74:6370:6c00::1
    ipv6: (host: number) => formatIpv6(ipv6Bytes(`fd74:6370:6c00:${slot.toString(16)}::${host.toString(16)}`)),
  };
}

function tryTake(slot: number): boolean {
  try {
    const fd = openSync(`${dir}/${slot}`, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch {
    return false;
  }
}

export function reclaimSlots(): number {
  let freed = 0;
  for (const name of safeList(dir)) {
    const pid = Number(readOr(`${dir}/${name}`));
    if (pid && pid !== process.pid && !ownerAlive(pid)) {
      try {
        rmSync(`${dir}/${name}`);
        freed++;
      } catch {
        // another run's clean was quicker: its to report
      }
    }
  }
  return freed;
}

/**
 * Where this process looks for its next slot: just past the last one it took. A worker
 * process serves case after case, and a subnet given back is not clean at once: a late
 * event of the last case's sockets may still name it, and a gVisor sandbox keeps the
 * last case's orphaned connections on it for minutes (a FIN_WAIT or a persist timer its
 * peer will never answer). Walking on, a process comes back to a subnet only after
 * every other one.
 */
let cursor: number | null = null;

/** A free slot, none of `avoid` (subnets a guest used lately and may still hold state for). */
export function takeSlot(avoid: ReadonlySet<number> = new Set()): number {
  mkdirSync(dir, { recursive: true });
  const start = cursor ?? (process.pid * 7) % SLOT_COUNT;
  for (let attempt = 0; attempt < 2; attempt++) {
    for (let i = 0; i < SLOT_COUNT; i++) {
      const slot = (start + i) % SLOT_COUNT;
      if (!avoid.has(slot) && tryTake(slot)) {
        cursor = (slot + 1) % SLOT_COUNT;
        return slot;
      }
    }
    if (reclaimSlots() === 0) break;
  }
  throw new Error(`all ${SLOT_COUNT} address slots in ${dir} are in use by live runs`);
}

export function releaseSlot(slot: number): void {
  rmSync(`${dir}/${slot}`, { force: true });
}

function safeList(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
