// The Compose `capture` service's listener (scripts/docker-capture-pool.mjs), run here
// without Docker: a harness process that names its socket in TCPLADDER_SIDECAR gets a
// sidecar of its own from it, started as the harness starts its own (sidecar-launch.ts)
// and kept to the CPUs the harness names, and a case relayed through it is captured
// whole. When the harness process lets go, its sidecar ends; when the listener ends,
// its socket goes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import '../../harness/index.js';
import { CaseRun } from '../../harness/case/run.js';
import { allowedCpus, relayCpus } from '../../harness/topology/cpus.js';
import { stopSidecar } from '../../harness/wire/index.js';
import { useCaseRunDir } from '../case-run-dir.js';
import { pingExchange } from './ping-exchange.js';
import { ROOT, until } from '../reliability/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpl-capture-pool-'));
useCaseRunDir(dir);
const socket = join(dir, 'capture.sock');

let pool: ChildProcess | null = null;
let poolLog = '';
const before = process.env.TCPLADDER_SIDECAR;

function startPool(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/docker-capture-pool.mjs', socket, ''], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the listener did not start: ${poolLog}`)), 15_000);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      poolLog += d;
      if (poolLog.includes('ready on')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the listener exited (${code}): ${poolLog}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** The processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1] === String(pid);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

afterAll(async () => {
  stopSidecar();
  if (before === undefined) delete process.env.TCPLADDER_SIDECAR;
  else process.env.TCPLADDER_SIDECAR = before;
  if (pool) {
    pool.kill('SIGKILL');
    await exited(pool);
  }
});

describe('the Compose capture listener, run without Docker', () => {
  it("gives a harness process a sidecar started as the harness's own, on the CPUs it names, and captures its case whole", async () => {
    pool = await startPool();
    process.env.TCPLADDER_SIDECAR = socket;
    const split = relayCpus();
    const run = new CaseRun('capture pool', import.meta.url, 4);
    let error: unknown = null;
    let sidecarPid = 0;
    try {
      const { client, server } = await run.hosts(['client', 'server']);
      const sidecars = childrenOf(pool.pid!);
      expect(sidecars, poolLog).toHaveLength(1);
      sidecarPid = sidecars[0];
      const args = readFileSync(`/proc/${sidecarPid}/cmdline`, 'utf8').split('\0');
      expect(args).toEqual(expect.arrayContaining(['--max-semi-space-size=2', '--single-threaded-gc', 'harness/wire/sidecar.ts']));
      expect(readFileSync(`/proc/${sidecarPid}/environ`, 'utf8').split('\0')).toContain('MALLOC_MMAP_THRESHOLD_=131072');
      expect(allowedCpus(sidecarPid)).toEqual(split ? split.sidecar : allowedCpus());

      expect(await pingExchange(client, server)).toBe('ping');
    } catch (e) {
      error = e;
    }
    const { trace, error: failure } = await run.finish(error);
    if (failure) throw failure;
    expect(trace.wire?.complete, trace.wire?.problem).toBe(true);
    expect(trace.wire!.ports.reduce((n, p) => n + p.captured, 0)).toBeGreaterThanOrEqual(10);

    // the harness lets go: its sidecar ends; the listener ends: its socket goes
    stopSidecar();
    expect(await until(() => !existsSync(`/proc/${sidecarPid}`), 10_000), 'the sidecar ends with its connection').toBe(true);
    pool.kill('SIGTERM');
    await exited(pool);
    expect(existsSync(socket)).toBe(false);
  });
});
