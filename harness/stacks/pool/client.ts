/**
 * The harness's end of the guest pool: start it (the runner does, once per run, and
 * names it in TCPLADDER_POOL for the workers), lease a guest, send control requests.
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { STATE_DIR } from '../../topology/owner.js';
import { bundleOf, programArgs } from '../../bundle.js';
import type { ControlRequest, GuestStatus, LeaseReply } from './protocol.js';
import type { GuestStack } from '../types.js';

const START_TIMEOUT_MS = 20_000;

/** The agent as the guests run it: a bundle (tsx inside a UML guest costs ~6 s). */
export async function agentBundle(): Promise<string> {
  const script = fileURLToPath(new URL('../../agent/main.ts', import.meta.url));
  const bundle = await bundleOf(script, 'agent');
  if (!bundle) throw new Error('cannot build the guest agent (esbuild, node_modules/.cache/tcpladder)');
  return bundle;
}

export interface StartedPool {
  path: string;
  stop(): Promise<void>;
}

function withoutMallocTuning(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { MALLOC_MMAP_THRESHOLD_: _, ...rest } = env;
  return rest;
}

/** Start a pool owned by this process; its socket path also goes to TCPLADDER_POOL. */
export async function startPool(prewarm: Partial<Record<GuestStack, number>> = {}): Promise<StartedPool> {
  mkdirSync(`${STATE_DIR}/sock`, { recursive: true });
  const path = `${STATE_DIR}/sock/pool-${process.pid}.sock`;
  const script = fileURLToPath(new URL('./main.ts', import.meta.url));
  const { args: entry } = await programArgs(script, 'pool');
  const warm = Object.entries(prewarm)
    .filter(([, n]) => n)
    .map(([s, n]) => `${s}=${n}`)
    .join(',');
  // files the pool's bundle cannot find next to itself
  const umlInit = fileURLToPath(new URL('../uml/init.sh', import.meta.url));
  const child = spawn(process.execPath, [...entry, '--socket', path, '--agent', await agentBundle(), '--uml-init', umlInit, '--die-with-parent', String(process.pid), ...(warm ? ['--prewarm', warm] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // a guest's own processes get glibc's defaults (the run sets a malloc threshold for its workers)
    env: withoutMallocTuning(process.env),
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the guest pool did not start within ${START_TIMEOUT_MS / 1000} s${stderr ? `: ${stderr}` : ''}`)), START_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8').once('data', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the guest pool exited with ${code} before it was ready: ${stderr.trim()}`));
    });
  });
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  process.env.TCPLADDER_POOL = path;
  return {
    path,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        // wait for it, also where nothing else keeps this process's event loop going
        child.ref();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

let own: Promise<StartedPool> | null = null;

/** The run's pool (TCPLADDER_POOL), or one this process starts when it has none (a bench, a test outside vitest's run). */
async function poolPath(): Promise<string> {
  const named = process.env.TCPLADDER_POOL;
  if (named) return named;
  own ??= startPool();
  return (await own).path;
}

function open(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path, () => resolve(s));
    s.once('error', (e) => reject(new Error(`cannot reach the guest pool at ${path}: ${e.message}`)));
  });
}

/** The first line on `s`, and what came after it. */
function firstLine(s: Socket, what: string): Promise<{ line: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const nl = buf.indexOf(10);
      if (nl < 0) return;
      s.off('data', onData);
      s.off('close', onClose);
      // what follows is for the next reader: nothing flows until it resumes the stream
      s.pause();
      resolve({ line: buf.subarray(0, nl).toString('utf8'), rest: buf.subarray(nl + 1) });
    };
    const onClose = () => reject(new Error(`the guest pool closed the connection before answering ${what}`));
    s.on('data', onData);
    s.once('close', onClose);
  });
}

export interface Lease {
  token: string;
  guest: GuestStatus;
  /** the pipe to the guest's agent: closing it gives the guest back */
  channel: Socket;
}

/** A ready guest of `stack`, for one case. */
export async function leaseGuest(stack: GuestStack, sysctls: Record<string, string> = {}): Promise<Lease> {
  const s = await open(await poolPath());
  s.write(JSON.stringify({ op: 'lease', stack, sysctls }) + '\n');
  const { line, rest } = await firstLine(s, 'a lease');
  const reply = JSON.parse(line) as LeaseReply;
  if ('error' in reply) {
    s.destroy();
    throw new Error(reply.error);
  }
  // what the agent already said goes back in front of the stream for its reader
  if (rest.length) s.unshift(rest);
  return { token: reply.lease, guest: reply.guest, channel: s };
}

/** a reboot waits for a guest to start; the rest is quick */
const CONTROL_TIMEOUT_MS = { reboot: 120_000, crash: 15_000, slot: 15_000 };

export async function poolControl(request: ControlRequest): Promise<unknown> {
  const s = await open(await poolPath());
  s.write(JSON.stringify(request) + '\n');
  const ms = CONTROL_TIMEOUT_MS[request.op];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`the guest pool did not answer "${request.op}" within ${ms / 1000} s`));
    }, ms);
  });
  const { line } = await Promise.race([firstLine(s, request.op), timeout]).finally(() => clearTimeout(timer));
  s.destroy();
  const reply = JSON.parse(line) as { ok?: true; value?: unknown; error?: string };
  if (reply.error) throw new Error(`guest pool: ${reply.error}`);
  return reply.value;
}

/** A guest of `stack` starts and is given back (and stays warm in the pool): or why not. */
export async function probeStack(stack: GuestStack): Promise<void> {
  const lease = await leaseGuest(stack);
  lease.channel.destroy();
}
