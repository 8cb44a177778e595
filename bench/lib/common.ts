/** Shared by the benchmarks: medians, machine facts, and removal of what a benchmark made. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { execFileSync } from 'node:child_process';
import { cleanupOwnSync } from '../../harness/case/cleanup.js';

export interface Figure {
  value: number;
  unit: string;
  reference: number | null;
  /** what the reference is, e.g. "one ip/ethtool process per step" */
  referenceName?: string;
  goal?: string;
  /** the individual runs behind the median */
  runs?: number[];
  referenceRuns?: number[];
  note?: string;
}

export type Figures = Record<string, Figure>;

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function numArg(name: string, fallback: number): number {
  const v = arg(name);
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) ? n : fallback;
}

export function load(): number[] {
  return loadavg().map((x) => round(x, 2));
}

export function log(s: string): void {
  process.stderr.write(`${s}\n`);
}

/** What a benchmark writes for bench/run.ts: its figures, as JSON, to --json FILE (or stdout). */
export function emit(figures: Figures, extra: Record<string, unknown> = {}): void {
  const out = JSON.stringify({ figures, ...extra }, null, 1) + '\n';
  const file = arg('--json');
  if (file) writeFileSync(file, out);
  else process.stdout.write(out);
}

export function machine(): { nproc: number; kernel: string; cpu: string; node: string; memMiB: number } {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    // keep os.cpus()'s
  }
  let memMiB = 0;
  try {
    memMiB = Math.round(Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024);
  } catch {
    // unknown
  }
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    // os.cpus()
  }
  return { nproc, kernel: release(), cpu, node: process.version, memMiB };
}

// ── removal of what a benchmark made, also on failure and on SIGINT/SIGTERM ──────────

const undo = new Map<number, () => void>();
let undoSeq = 0;

/** Register a synchronous clean-up; returns a function that runs it now (once) and forgets it. */
export function onCleanup(fn: () => void): () => void {
  const id = ++undoSeq;
  undo.set(id, fn);
  return () => {
    if (!undo.has(id)) return;
    undo.delete(id);
    fn();
  };
}

export function cleanupAll(): void {
  for (const [id, fn] of [...undo].reverse()) {
    undo.delete(id);
    try {
      fn();
    } catch {
      // best effort: the others still run
    }
  }
  // and what the harness made in this process: namespaces tcpl-<run>-<pid>-…, slots, sidecar socket, owner file
  cleanupOwnSync();
}

let hooked = false;
/** Run the clean-ups at exit and on SIGINT/SIGTERM. */
export function hookCleanup(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      cleanupAll();
      process.exit(130);
    });
  }
}

export function removePath(path: string): () => void {
  return onCleanup(() => rmSync(path, { recursive: true, force: true }));
}

/** Namespaces named tcpl-… that exist now. */
export function namespacesNow(): string[] {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter((n) => n.startsWith('tcpl-'));
  } catch {
    return [];
  }
}

export function deleteNamespacesSync(names: string[]): void {
  if (names.length === 0) return;
  try {
    execFileSync('ip', ['-force', '-batch', '-'], { input: names.map((n) => `netns del ${n}`).join('\n') + '\n', stdio: ['pipe', 'ignore', 'ignore'] });
  } catch {
    // -force went on past the ones already gone
  }
}
