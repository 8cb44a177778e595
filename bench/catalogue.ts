/**
 * The whole catalogue as `npm start` runs it, and the processes' peak memory:
 *   node --import tsx bench/catalogue.ts [--runs R] [--json FILE] [--fast]
 *
 * Runs `tcpladder run --quiet --json cases` (every case and .pkt script, the minute-long
 * TIME_WAIT cases included unless --fast) with its defaults — worker processes reused
 * across case files — and, as the reference in the same run, the same command with
 * TCPLADDER_ISOLATE=1 (a fresh worker process per case file, as before), taking turns,
 * R times each (default 2), medians of the wall time. Every process of the run is sampled
 * every 50 ms (/proc/PID/status VmHWM, the peak resident set): the tcpladder command, the
 * vitest main process (the runner), the case workers and the capture sidecars; the
 * peaks over all runs of each kind are reported.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emit, hookCleanup, load, log, median, numArg, onCleanup, removePath, round, type Figures } from './lib/common.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

type Role = 'cli' | 'runner' | 'worker' | 'sidecar' | 'steps' | 'other';

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
  if (pid === root) return 'cli';
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    if (/sidecar/.test(cmd)) return 'sidecar';
    // the run's start and end in processes of their own (harness/runner/steps.ts)
    if (/steps-main\.ts|\/steps-[0-9a-f]+\.mjs/.test(cmd)) return 'steps';
    if (/vitest\.mjs/.test(cmd)) return 'runner';
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

const ROLES: Role[] = ['cli', 'runner', 'worker', 'sidecar', 'steps', 'other'];
const zero = (): Record<Role, number> => ({ cli: 0, runner: 0, worker: 0, sidecar: 0, steps: 0, other: 0 });

type Kind = 'shared' | 'isolated';

async function catalogue(kind: Kind, outDir: string, k: number, fast: boolean): Promise<RunResult> {
  const runDir = join(outDir, `captures-${kind}-${k}`);
  const args = [join(ROOT, 'bin/tcpladder.js'), 'run', '--quiet', '--json', ...(fast ? ['--fast'] : []), 'cases'];
  const env: NodeJS.ProcessEnv = { ...process.env, TCPLADDER_RUN_DIR: runDir, NO_COLOR: '1' };
  delete env.TCPLADDER_RUN;
  if (kind === 'isolated') env.TCPLADDER_ISOLATE = '1';
  else delete env.TCPLADDER_ISOLATE;
  const t0 = performance.now();
  // setpriv execs tcpladder in its own place (same pid): it gets SIGTERM if this process is killed outright
  const child = spawn('setpriv', ['--pdeathsig', 'TERM', process.execPath, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = onCleanup(() => {
    // tcpladder cleans up after itself on SIGINT: wait for it (synchronously: this runs in exit handlers)
    child.kill('SIGINT');
    waitGone(child.pid!, 20_000);
  });
  let stdout = '';
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output = (output + d).slice(-20000)));
  const peakKiB = zero();
  const peakAnonKiB = zero();
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
  let r: { passed: number; failed: number; cases: { case: string; family: string; status: string }[]; error?: string };
  try {
    r = JSON.parse(stdout);
  } catch {
    throw new Error(`tcpladder run printed no JSON (exit ${code}):\n${output.slice(-3000)}`);
  }
  if (r.error) throw new Error(`tcpladder run: ${r.error} (exit ${code}):\n${output.slice(-3000)}`);
  const failures = r.cases.filter((c) => c.status === 'failed').map((c) => `${c.case} [${c.family}]`);
  const skipped = r.cases.filter((c) => c.status === 'skipped').length;
  return { seconds, passed: r.passed, failed: r.failed, skipped, peakKiB, peakAnonKiB, failures };
}

const mib = (kib: number) => (kib / 1024).toFixed(0);

async function main(): Promise<void> {
  hookCleanup();
  const runs = numArg('--runs', 2);
  const fast = process.argv.includes('--fast');
  const dir = mkdtempSync(join(tmpdir(), 'tcpl-bench-'));
  removePath(dir);

  const loadBefore = load();
  const results: Record<Kind, RunResult[]> = { shared: [], isolated: [] };
  for (let k = 0; k < runs; k++) {
    for (const kind of ['shared', 'isolated'] as const) {
      const r = await catalogue(kind, dir, k, fast);
      results[kind].push(r);
      log(
        `  ${kind === 'shared' ? 'workers reused' : 'a worker per file'} run ${k + 1}: ${r.seconds.toFixed(1)} s, ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped; ` +
          `peak RSS (anon) ${ROLES.filter((x) => x !== 'other').map((x) => `${x} ${mib(r.peakKiB[x])} (${mib(r.peakAnonKiB[x])})`).join(', ')} MiB` +
          (r.failures.length ? `\n    failed: ${r.failures.join('; ')}` : ''),
      );
    }
  }
  const loadAfter = load();
  const all = [...results.shared, ...results.isolated];
  const peak = (role: Role, of: RunResult[] = results.shared) => round(Math.max(...of.map((r) => r.peakKiB[role])) / 1024, 0);
  const anon = (role: Role, of: RunResult[] = results.shared) => round(Math.max(...of.map((r) => r.peakAnonKiB[role])) / 1024, 0);
  const failed = all.reduce((n, r) => n + r.failed, 0);
  const tests = all[0];
  const memory = (role: Role, what: string, goal: string): Figures[string] => ({
    value: peak(role),
    unit: 'MiB',
    reference: peak(role, results.isolated),
    referenceName: 'a worker per file',
    goal,
    note: `VmHWM of ${what}, highest over the runs with workers reused (private memory RssAnon at most ${anon(role)} MiB; a worker per file: ${anon(role, results.isolated)} MiB)`,
  });
  const figures: Figures = {
    [`catalogue wall time${fast ? ' (slow cases excluded)' : ''}`]: {
      value: round(median(results.shared.map((r) => r.seconds)), 1),
      unit: 's',
      reference: round(median(results.isolated.map((r) => r.seconds)), 1),
      referenceName: 'a worker per file (TCPLADDER_ISOLATE=1)',
      goal: fast ? '<= 20' : '<= 75',
      runs: results.shared.map((r) => round(r.seconds, 1)),
      referenceRuns: results.isolated.map((r) => round(r.seconds, 1)),
      note:
        `tcpladder run --quiet --json${fast ? ' --fast' : ''} cases, default workers, vs the same with TCPLADDER_ISOLATE=1; ${tests.passed + tests.failed} case runs, ` +
        `${tests.skipped} skipped; ${failed} failed case run(s) over all ${all.length} runs` +
        (failed ? ` (${[...new Set(all.flatMap((r) => r.failures))].join('; ')})` : ''),
    },
    'peak memory, runner (vitest main process)': memory('runner', 'the vitest main process', '<= 150'),
    'peak memory, case worker process': memory('worker', 'the vitest worker processes that run the cases', '<= 150'),
    'peak memory, capture sidecar': memory('sidecar', 'the sidecar processes (while the catalogue runs; bench/throughput.ts measures it relaying at full speed)', '<= 100'),
    'peak memory, run steps (clean, report)': memory('steps', "the processes that remove earlier runs' leftovers at the start and write summary.json, report.html and bundle.json at the end", ''),
    'peak memory, tcpladder command': memory('cli', 'the tcpladder command itself (it builds the report after vitest ends)', ''),
  };
  emit(figures, { loadBefore, loadAfter, runs, results });
}

await main();
