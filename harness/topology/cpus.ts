/**
 * Which CPU takes in the frames the relay delivers to a namespace host, and which CPUs
 * the sidecar runs on: never the same one.
 *
 * A veth hands a frame to its peer in the sender's softirq, so the receiving host's TCP
 * runs inside the relay's sendmmsg, and the sidecar, the one thread on the forwarding
 * path, does the hosts' work between its batches. With RPS on the hosts' links the
 * frame waits in another CPU's backlog and is taken in there while the sidecar reads
 * its next batch (docs/PERFORMANCE.md, Relay throughput). One CPU for every host's
 * link keeps the frames to a host in the order the relay sent them, across flows too.
 *
 * The choice is by process id, so that a run's workers, each with its own sidecar,
 * spread over the machine's CPUs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { inNamespace } from './netns.js';
import type { Sysctls } from './sysctl.js';

export interface RelayCpus {
  /** where the namespace hosts' links take in what the relay sends them */
  hostRx: number;
  /** where the sidecar may run: every CPU this process may use but hostRx */
  sidecar: number[];
}

/** A kernel CPU list ("0-3,8,10-11") as CPU numbers. */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`not a CPU list: ${JSON.stringify(text)}`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let c = from; c <= to; c++) cpus.push(c);
  }
  return cpus;
}

/** The CPUs as a kernel bitmap: hex, in comma-separated 32-bit words, most significant first ("1,00000003"). */
export function cpuMask(cpus: readonly number[]): string {
  const words = new Array<number>(Math.floor(Math.max(0, ...cpus) / 32) + 1).fill(0);
  for (const c of cpus) words[Math.floor(c / 32)] = (words[Math.floor(c / 32)] | (1 << c % 32)) >>> 0;
  return words
    .reverse()
    .map((w, i) => w.toString(16).padStart(i === 0 ? 1 : 8, '0'))
    .join(',');
}

/** The CPUs a process (default: this one) may run on. */
export function allowedCpus(pid: number | 'self' = 'self'): number[] {
  const m = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? parseCpuList(m[1]) : [];
}

/** The split for this process and its sidecar; null on a single CPU, where there is nothing to split. */
export function relayCpus(cpus: readonly number[] = allowedCpus(), pid = process.pid): RelayCpus | null {
  if (cpus.length < 2) return null;
  const hostRx = cpus[pid % cpus.length];
  return { hostRx, sidecar: cpus.filter((c) => c !== hostRx) };
}

/**
 * What makes the links created in namespace `ns` take in their frames on hostRx, to be
 * set before its links are made (without it the relay is slower, not wrong):
 * net.core.rps_default_mask, each namespace's own in recent kernels. Nothing on a single
 * CPU, or where the kernel has no such sysctl in a namespace (one that keeps it for the
 * whole machine shows it in the machine's namespace only: nothing is changed outside).
 */
export function hostRxSysctls(ns: string, cpus: RelayCpus | null = relayCpus()): Sysctls {
  if (!cpus || !inNamespace(ns, () => existsSync('/proc/sys/net/core/rps_default_mask'))) return {};
  return { 'net.core.rps_default_mask': cpuMask([cpus.hostRx]) };
}
