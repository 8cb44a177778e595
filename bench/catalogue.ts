/**
 * The catalogue's wall time and the processes' peak memory:
 *   node --import tsx bench/catalogue.ts [--workers N] [--runs R] [--json FILE]
 *
 * Runs every case in cases/ except the ones marked slow (the 60-s TIME_WAIT timers;
 * TCPLADDER_SKIP_SLOW=1, as `tcpladder run --fast`), with the project's vitest config,
 * as `vitest run cases/ --maxWorkers=N` (default: 2 × nproc, at least 4: cases mostly wait on
 * the network, not on a CPU) and as `vitest run --maxWorkers=1`, round-robin, R times
 * each (default 3), medians of the wall time. Every process of the run is sampled every
 * 50 ms (/proc/PID/status VmHWM, the peak resident set): the vitest main process, the case
 * workers and the capture sidecars; the peaks over all runs are reported.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { emit, hookCleanup, load, log, median, numArg, onCleanup, removePath, round, type Figures } from './lib/common.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const VITEST = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

type Role = 'runner' | 'worker' | 'sidecar' | 'other';

interface RunResult {
  seconds: number;
  passed: number;
  failed: number;
  skipped: number;
  peakKiB: Record<Role, number>;
  peakAnonKiB: Record<Role, number>;
  failures: string[];
}

function children(): Map<number, number[]> {
  const kids = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = kids.get(ppid) ?? [];
      list.push(Number(name));
      kids.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  return kids;
}

function descendants(root: number): number[] {
  const kids = children();
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    todo.push(...(kids.get(p) ?? []));
  }
  return out;
}

function roleOf(pid: number, root: number): Role {
  if (pid === root) return 'runner';
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    if (/sidecar/.test(cmd)) return 'sidecar';
    if (/vitest/.test(cmd) && /node/.test(cmd)) return 'worker';
  } catch {
    // gone
  }
  return 'other';
}

/** VmHWM (peak resident set, mapped capture rings included) and RssAnon now (heap and other private memory). */
function memKiB(pid: number): { hwm: number; anon: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { hwm: field('VmHWM'), anon: field('RssAnon') };
  } catch {
    return { hwm: 0, anon: 0 };
  }
}

/** Block until process `pid` has exited (or is a zombie), at most `ms`. */
function waitGone(pid: number, ms: number): void {
  const deadline = Date.now() + ms;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < deadline) {
    let state = 'Z';
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return;
    }
    if (state === 'Z') return;
    Atomics.wait(nap, 0, 0, 50);
  }
}

async function catalogue(workers: number, outDir: string, k: number): Promise<RunResult> {
  const report = join(outDir, `vitest-${workers}-${k}.json`);
  const runDir = join(outDir, `captures-${workers}-${k}`);
  // `cases/`: the case files only, not the unit tests (the project's include has both)
  const args = [VITEST, 'run', 'cases/', `--maxWorkers=${workers}`, '--reporter=dot', '--reporter=json', `--outputFile.json=${report}`];
  const env = { ...process.env, TCPLADDER_SKIP_SLOW: '1', TCPLADDER_RUN_DIR: runDir, FORCE_COLOR: '0' };
  const t0 = performance.now();
  // setpriv execs vitest in its own place (same pid): vitest gets SIGTERM if this process is killed outright
  const child = spawn('setpriv', ['--pdeathsig', 'TERM', process.execPath, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = onCleanup(() => {
    // vitest cleans up after itself on SIGINT: wait for it (synchronously: this runs in exit handlers)
    child.kill('SIGINT');
    waitGone(child.pid!, 20_000);
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output = (output + d).slice(-20000)));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output = (output + d).slice(-20000)));
  const peakKiB: Record<Role, number> = { runner: 0, worker: 0, sidecar: 0, other: 0 };
  const peakAnonKiB: Record<Role, number> = { runner: 0, worker: 0, sidecar: 0, other: 0 };
  const sample = () => {
    for (const pid of descendants(child.pid!)) {
      // the role is read again each time: between fork and exec a sidecar still shows its parent's command line
      const role = roleOf(pid, child.pid!);
      const m = memKiB(pid);
      peakKiB[role] = Math.max(peakKiB[role], m.hwm);
      peakAnonKiB[role] = Math.max(peakAnonKiB[role], m.anon);
    }
  };
  const timer = setInterval(sample, 50);
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  clearInterval(timer);
  stop();
  const seconds = (performance.now() - t0) / 1000;
  if (!existsSync(report)) throw new Error(`vitest wrote no report (exit ${code}):\n${output.slice(-3000)}`);
  const r = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    testResults: { assertionResults: { fullName: string; status: string }[] }[];
  };
  const failures = r.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === 'failed').map((a) => a.fullName));
  return { seconds, passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests, peakKiB, peakAnonKiB, failures };
}

async function main(): Promise<void> {
  hookCleanup();
  const nproc = cpus().length;
  const workers = numArg('--workers', Math.max(4, 2 * nproc));
  const runs = numArg('--runs', 3);
  const dir = mkdtempSync(join(tmpdir(), 'tcpl-bench-'));
  removePath(dir);

  const loadBefore = load();
  const results: Record<'parallel' | 'serial', RunResult[]> = { parallel: [], serial: [] };
  for (let k = 0; k < runs; k++) {
    for (const [kind, n] of [
      ['parallel', workers],
      ['serial', 1],
    ] as const) {
      const r = await catalogue(n, dir, k);
      results[kind].push(r);
      log(
        `  ${kind} (${n} worker${n > 1 ? 's' : ''}) run ${k + 1}: ${r.seconds.toFixed(1)} s, ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped; ` +
          `peak RSS (anon) runner ${(r.peakKiB.runner / 1024).toFixed(0)} (${(r.peakAnonKiB.runner / 1024).toFixed(0)}) MiB, worker ${(r.peakKiB.worker / 1024).toFixed(0)} (${(r.peakAnonKiB.worker / 1024).toFixed(0)}) MiB, ` +
          `sidecar ${(r.peakKiB.sidecar / 1024).toFixed(0)} (${(r.peakAnonKiB.sidecar / 1024).toFixed(0)}) MiB` +
          (r.failures.length ? `\n    failed: ${r.failures.join('; ')}` : ''),
      );
    }
  }
  const loadAfter = load();
  const all = [...results.parallel, ...results.serial];
  const peak = (role: Role) => round(Math.max(...all.map((r) => r.peakKiB[role])) / 1024, 0);
  const anon = (role: Role) => round(Math.max(...all.map((r) => r.peakAnonKiB[role])) / 1024, 0);
  const failed = all.reduce((n, r) => n + r.failed, 0);
  const tests = all[0];
  const figures: Figures = {
    'catalogue wall time (slow cases excluded)': {
      value: round(median(results.parallel.map((r) => r.seconds)), 1),
      unit: 's',
      reference: round(median(results.serial.map((r) => r.seconds)), 1),
      referenceName: '1 worker',
      goal: '<= 20',
      runs: results.parallel.map((r) => round(r.seconds, 1)),
      referenceRuns: results.serial.map((r) => round(r.seconds, 1)),
      note:
        `TCPLADDER_SKIP_SLOW=1 vitest run cases/ --maxWorkers=${workers} vs --maxWorkers=1; ${tests.passed + tests.failed} tests, ` +
        `${tests.skipped} skipped as slow; ${failed} failed test(s) over all ${all.length} runs` +
        (failed ? ` (${[...new Set(all.flatMap((r) => r.failures))].join('; ')})` : ''),
    },
    'peak memory, runner (vitest main process)': {
      value: peak('runner'),
      unit: 'MiB',
      reference: null,
      goal: '<= 200',
      note: `VmHWM of the vitest main process, highest over all catalogue runs (private memory RssAnon at most ${anon('runner')} MiB)`,
    },
    'peak memory, case worker process': {
      value: peak('worker'),
      unit: 'MiB',
      reference: null,
      goal: '<= 200',
      note: `VmHWM of the vitest worker processes that run the cases (each holds its cases' frames, sockets and traces), highest over all (RssAnon at most ${anon('worker')} MiB)`,
    },
    'peak memory, capture sidecar': {
      value: peak('sidecar'),
      unit: 'MiB',
      reference: null,
      goal: '<= 200',
      note: `VmHWM of the sidecar processes, highest over all catalogue runs; it counts the capture rings mapped from the kernel (RssAnon at most ${anon('sidecar')} MiB)`,
    },
  };
  emit(figures, { loadBefore, loadAfter, runs, workers, results });
}

await main();
