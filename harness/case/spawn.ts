/**
 * host.spawn(): a real program (a server under test, a client, a tool) run on a host:
 * inside its network namespace, or inside its guest. Its stdout and stderr are kept,
 * its lines and its exit go into the case's call log (so the trace, the ladder and the
 * report show them), and it ends with the case:
 *
 *  - when the case ends (its AbortSignal fires) the program's process group gets SIGKILL;
 *  - when the test process exits, an exit hook does the same;
 *  - when the test process is killed outright, `setpriv --pdeathsig KILL` kills the
 *    program on a namespace host (its own children too, when it passes nothing on to
 *    them, die with the group only in the first two cases); a guest's programs end with
 *    the case inside the guest.
 *
 * How the program starts is the host's stack's business (stacks/process.ts).
 */
import { basename, isAbsolute, relative } from 'node:path';
import type { SocketCall } from '../sockets/index.js';
import type { ProcessStarter, StartedProcess } from '../stacks/index.js';
import { onExit } from './cleanup.js';
import { currentTimeScale } from '../expect/index.js';

export interface SpawnOptions {
  /** variables added to (or, when undefined, removed from) the harness's environment */
  env?: Record<string, string | undefined>;
  /** working directory (default: the harness's) */
  cwd?: string;
  /** resolve only once the program printed this (a string it contains or a RegExp), on stdout or stderr */
  ready?: string | RegExp;
  /** ms to wait for `ready` (default 10 000, longer on a guest's slower stack): past it the program is killed and spawn() rejects */
  readyTimeout?: number;
  /** name in the call log and the ladder (default: the command's file name, with #2, #3 … when repeated) */
  label?: string;
  /** characters of stdout and of stderr kept in memory (default 1 MiB each; the oldest are dropped) */
  keep?: number;
}

/** What spawn() needs from the case: its end and its call log. */
export interface SpawnContext {
  signal: AbortSignal;
  record(call: SocketCall): void;
}

export interface SpawnHost {
  name: string;
  processes: ProcessStarter;
}

export interface ProcessExit {
  /** exit status, or null when a signal ended it */
  code: number | null;
  signal: NodeJS.Signals | null;
}

const DEFAULT_READY_TIMEOUT_MS = 10_000;
const DEFAULT_KEEP = 1 << 20;
/** output lines copied into the call log per process; the rest stay in stdout/stderr */
const LOGGED_LINES = 50;
const LOGGED_LINE_CHARS = 200;

/** Programs still running, for the exit hook. */
const live = new Set<HostProcess>();
let hooked = false;

/** One label counter per case (the context object), so labels restart with each case. */
const labelCounts = new WeakMap<SpawnContext, Map<string, number>>();

export class HostProcess {
  private out = '';
  private err = '';
  private logged = 0;
  private result: ProcessExit | null = null;
  private killedByCase = false;
  private readonly watchers = new Set<() => void>();
  /** resolves when the program has exited (never rejects) */
  readonly exited: Promise<ProcessExit>;

  constructor(
    private readonly child: StartedProcess,
    readonly host: SpawnHost,
    readonly label: string,
    readonly command: string,
    readonly args: readonly string[],
    private readonly ctx: SpawnContext,
    private readonly keep: number,
    private readonly t0: bigint,
  ) {
    this.exited = new Promise<ProcessExit>((resolve) => {
      // 'close' waits for the output pipes too, which a child it left behind may hold
      // open: after 'exit', give the last output a moment, then settle anyway.
      let timer: NodeJS.Timeout | undefined;
      const settle = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        if (this.result) return;
        this.result = { code, signal };
        live.delete(this);
        this.log('exit', undefined, describeExit(this.result) + (this.killedByCase ? ' (the case ended)' : ''), this.t0);
        this.notify();
        resolve(this.result);
      };
      child.once('exit', (code, signal) => (timer = setTimeout(() => settle(code, signal), 200)));
      child.once('close', settle);
    });
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    const keepOut = (chunk: string) => {
      this.out = (this.out + chunk).slice(-this.keep);
      this.notify();
    };
    const keepErr = (chunk: string) => {
      this.err = (this.err + chunk).slice(-this.keep);
      this.notify();
    };
    lineSplitter(child.stdout!, keepOut, (line) => this.logLine('stdout', line));
    lineSplitter(child.stderr!, keepErr, (line) => this.logLine('stderr', line));
  }

  /** The program's pid (in the harness's pid namespace). */
  get pid(): number {
    return this.child.pid!;
  }

  /** Everything it wrote to stdout so far (the last `keep` characters). */
  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get running(): boolean {
    return this.result === null;
  }

  /** How it ended, or null while it runs. */
  get exit(): ProcessExit | null {
    return this.result;
  }

  /**
   * Resolves with the first output line (stdout or stderr) that matches, already
   * written or still to come; rejects when the program exits first or after `timeout` ms.
   */
  waitForOutput(pattern: string | RegExp, timeout = DEFAULT_READY_TIMEOUT_MS): Promise<string> {
    const find = () => findLine(this.out, pattern) ?? findLine(this.err, pattern);
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = find();
        if (line !== null) return done(() => resolve(line));
        if (this.result) {
          return done(() =>
            reject(new Error(`${this.label} on ${this.host.name} ${describeExit(this.result!)} before printing ${String(pattern)}${this.tail()}`)),
          );
        }
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${this.label} on ${this.host.name} did not print ${String(pattern)} within ${timeout} ms${this.tail()}`))),
        timeout,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.watchers.delete(check);
        settle();
      };
      this.watchers.add(check);
      check();
    });
  }

  /**
   * Send `signal` (default SIGTERM) to the program's process group and wait for it to
   * exit; SIGKILL follows after `graceMs` (default 2000) if it is still running.
   */
  async kill(signal: NodeJS.Signals = 'SIGTERM', graceMs = 2000): Promise<ProcessExit> {
    if (this.result) return this.result;
    this.signalGroup(signal);
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Synchronous SIGKILL to the whole process group: the case's end and exit hooks. */
  killNow(byCase = true): void {
    if (this.result) return;
    this.killedByCase ||= byCase;
    this.signalGroup('SIGKILL');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    this.child.signal(signal);
  }

  private tail(): string {
    const text = (this.err.trim() || this.out.trim()).split('\n').slice(-8).join('\n  ');
    return text ? `; its last output:\n  ${text}` : '';
  }

  private notify(): void {
    for (const w of [...this.watchers]) w();
  }

  private logLine(stream: 'stdout' | 'stderr', line: string): void {
    if (this.logged > LOGGED_LINES) return;
    this.logged++;
    const t = process.hrtime.bigint();
    if (this.logged > LOGGED_LINES) {
      this.log(stream, undefined, `… further output is not logged (${this.label}.stdout / .stderr keep it)`, t);
      return;
    }
    this.log(stream, undefined, line.length > LOGGED_LINE_CHARS ? `${line.slice(0, LOGGED_LINE_CHARS)}…` : line, t);
  }

  /** @internal */
  log(call: string, args: string | undefined, result: string, since: bigint): void {
    const now = process.hrtime.bigint();
    this.ctx.record({
      t: call === 'exit' ? now : since,
      ms: Number(now - since) / 1e6,
      host: this.host.name,
      socket: this.label,
      call,
      ...(args !== undefined ? { args } : {}),
      result,
    });
  }
}

/** Run `command args…` inside `host`'s network namespace (see the file comment). */
export async function spawnInHost(
  host: SpawnHost,
  command: string,
  args: readonly string[],
  options: SpawnOptions,
  ctx: SpawnContext,
): Promise<HostProcess> {
  if (ctx.signal.aborted) throw new Error(`spawn(${command}) on ${host.name}: the case has already ended`);
  hookExit();
  const label = options.label ?? nextLabel(ctx, host.name, basename(command));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...options.env })) if (v !== undefined) env[k] = v;
  const t0 = process.hrtime.bigint();
  const shown = [command, ...args].map(shortPath).join(' ');
  let child: StartedProcess;
  try {
    child = await host.processes.start(command, args, { env, cwd: options.cwd });
  } catch (e) {
    ctx.record({ t: t0, ms: Number(process.hrtime.bigint() - t0) / 1e6, host: host.name, socket: label, call: 'spawn', args: shown, result: 'failed' });
    throw new Error(`spawn(${command}) on ${host.name}: ${(e as Error).message}`);
  }
  const proc = new HostProcess(child, host, label, command, args, ctx, options.keep ?? DEFAULT_KEEP, t0);
  live.add(proc);
  proc.log('spawn', shown, `pid ${child.pid}`, t0);
  const onAbort = () => proc.killNow(true);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  void proc.exited.then(() => ctx.signal.removeEventListener('abort', onAbort));

  if (options.ready !== undefined) {
    const since = process.hrtime.bigint();
    try {
      // a guest starts programs more slowly: the default wait stretches with the case's stacks
      const line = await proc.waitForOutput(options.ready, options.readyTimeout ?? DEFAULT_READY_TIMEOUT_MS * currentTimeScale());
      proc.log('ready', String(options.ready), line.length > LOGGED_LINE_CHARS ? `${line.slice(0, LOGGED_LINE_CHARS)}…` : line, since);
    } catch (e) {
      proc.killNow(false);
      await proc.exited;
      throw new Error(`spawn(${shown}) on ${host.name}: ${(e as Error).message}`);
    }
  }
  return proc;
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  onExit(() => {
    for (const p of live) p.killNow(false);
  });
}

function nextLabel(ctx: SpawnContext, host: string, base: string): string {
  let counts = labelCounts.get(ctx);
  if (!counts) labelCounts.set(ctx, (counts = new Map()));
  const key = `${host}\0${base}`;
  const n = (counts.get(key) ?? 0) + 1;
  counts.set(key, n);
  return n === 1 ? base : `${base}#${n}`;
}

function describeExit(e: ProcessExit): string {
  return e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
}

function shortPath(arg: string): string {
  if (!isAbsolute(arg)) return arg;
  const rel = relative(process.cwd(), arg);
  return rel && !rel.startsWith('..') ? rel : arg;
}

function findLine(text: string, pattern: string | RegExp): string | null {
  for (const line of text.split('\n')) {
    if (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line)) return line;
  }
  return null;
}

/** Feed every chunk to `chunk` and every complete line (and a last unterminated one at the end) to `line`. */
function lineSplitter(stream: NodeJS.ReadableStream, chunk: (s: string) => void, line: (s: string) => void): void {
  let partial = '';
  stream.on('data', (data: string) => {
    chunk(data);
    partial += data;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      line(partial.slice(0, nl).replace(/\r$/, ''));
      partial = partial.slice(nl + 1);
    }
  });
  stream.on('end', () => {
    if (partial) line(partial);
    partial = '';
  });
}
