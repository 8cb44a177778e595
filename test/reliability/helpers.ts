/**
 * Helpers of the reliability tests: case files written into a temporary folder,
 * `node bin/tcpladder.js …` (or vitest) run as a child with a run id of its own,
 * the run's processes watched while it runs, signals at chosen moments, and what
 * the run left behind (scripts/leftovers.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { leftovers, runProcesses } from '../../scripts/leftovers.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const HARNESS = join(ROOT, 'harness/index.js');

let seq = 0;
/** A run id of our own, unique on this machine: `r<pid base36><n>`. */
export function newRunId(): string {
  return `rl${process.pid.toString(36)}${(++seq).toString(36)}${Date.now().toString(36).slice(-3)}`;
}

/** A temporary folder outside cases/, removed by the returned function. */
export function tempDir(label: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `tcpladder-rel-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Write a case file importing the harness by absolute path; `body` is its text after the imports. */
export function writeCase(dir: string, name: string, body: string): string {
  const file = join(dir, `${name}.case.ts`);
  writeFileSync(file, `import { expect } from 'vitest';\nimport { tcpCase } from ${JSON.stringify(HARNESS)};\nvoid expect;\n\n${body}\n`);
  return file;
}

/** The environment of a fresh run: none of the outer run's variables. */
export function freshEnv(run: string, runDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  for (const k of ['TCPLADDER_RUN', 'TCPLADDER_RUN_DIR', 'TCPLADDER_INCLUDE', 'TCPLADDER_CASES_ONLY', 'TCPLADDER_CLI', 'TCPLADDER_COLOR', 'TCPLADDER_QUIET', 'TCPLADDER_SKIP_SLOW', 'TCPLADDER_PROFILE', 'TCPLADDER_POOL', 'TCPLADDER_STACK', 'TCPLADDER_HOST_STACKS', 'TCPLADDER_LINE_PREFIX', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'NODE_OPTIONS', 'TEST', 'NODE_ENV']) {
    if (!(k in extra)) delete env[k];
  }
  env.TCPLADDER_RUN = run;
  env.TCPLADDER_RUN_DIR = runDir;
  return env;
}

export interface Child {
  run: string;
  runDir: string;
  child: ChildProcess;
  /** every process of the run seen while it ran, with its command line */
  pids: Map<number, string>;
  stdout: () => string;
  stderr: () => string;
  /** resolves with the exit code (or the signal's name) once the child has exited */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Start `node <args>` in the repository with a run of its own. `group`: in a process
 * group of its own, so that a signal can reach the whole group, as Ctrl-C does.
 */
export function start(
  args: string[],
  opts: { run?: string; runDir?: string; env?: NodeJS.ProcessEnv; group?: boolean; cwd?: string; uid?: number } = {},
): Child {
  const run = opts.run ?? newRunId();
  const runDir = opts.runDir ?? join(tmpdir(), `tcpladder-rel-run-${run}`);
  // as another user: setpriv drops root's capabilities along with the uid
  const [cmd, argv] =
    opts.uid === undefined
      ? [process.execPath, args]
      : ['setpriv', [`--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups', '--', process.execPath, ...args]];
  const child = spawn(cmd, argv, {
    cwd: opts.cwd ?? ROOT,
    env: freshEnv(run, runDir, opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.group ?? false,
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const pids = new Map<number, string>([[child.pid!, args.join(' ')]]);
  const watch = setInterval(() => {
    // the latest command line: caught between fork and exec, a sidecar still shows its parent's
    for (const p of runProcesses(run)) if (p.cmd) pids.set(p.pid, p.cmd);
  }, 50);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      clearInterval(watch);
      resolve({ code, signal });
    });
  });
  return { run, runDir, child, pids, stdout: () => out, stderr: () => err, done };
}

export function tcpladder(args: string[], opts: Parameters<typeof start>[1] = {}): Child {
  return start(['bin/tcpladder.js', ...args], opts);
}

/** Resolves once `test()` holds, polling; false after `ms`. */
export async function until(test: () => boolean, ms: number, every = 10): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, every));
  }
  return true;
}

/** The run's namespaces now. */
export function runNamespaces(run: string): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(`tcpl-${run}-`));
  } catch {
    return [];
  }
}

/**
 * What the run left, after giving processes that die with their parent
 * (PR_SET_PDEATHSIG, delivered as the parent exits) up to `graceMs` to go.
 */
export async function settledLeftovers(c: Child, graceMs = 3000): Promise<string[]> {
  let left = leftovers(c.run, c.pids.keys());
  const deadline = Date.now() + graceMs;
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = leftovers(c.run, c.pids.keys());
  }
  return left;
}

export function removeRunDir(c: Child): void {
  if (existsSync(c.runDir)) rmSync(c.runDir, { recursive: true, force: true });
}

export { rng } from '../rng.js';

export interface SummaryCase {
  case: string;
  family: string;
  status: string;
  error?: string;
  message?: string;
  dir: string;
}

export function readSummary(runDir: string): { passed: number; failed: number; cases: SummaryCase[] } | null {
  const file = join(runDir, 'summary.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { passed: number; failed: number; cases: SummaryCase[] }) : null;
}
