// host.spawn(): programs run inside a host's namespace, their output is kept and
// logged, and they end with the case, with the test process's exit, and when the
// test process is killed outright.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawnInHost, type SpawnContext } from '../../harness/case/spawn.js';
import { resourceName } from '../../harness/topology/index.js';
import { localProcesses } from '../../harness/stacks/process.js';
import type { SocketCall } from '../../harness/sockets/index.js';

const ns = resourceName('spawntest');
const host = { name: 'server', processes: localProcesses(ns) };

function context(): SpawnContext & { calls: SocketCall[]; end(): void } {
  const abort = new AbortController();
  const calls: SocketCall[] = [];
  return { signal: abort.signal, record: (c) => calls.push(c), calls, end: () => abort.abort() };
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !'ZX'.includes(stat[stat.lastIndexOf(')') + 2]);
  } catch {
    return false;
  }
}

async function gone(pid: number, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe.skipIf(process.getuid?.() !== 0)('host.spawn', () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', ns]);
  });
  afterAll(() => {
    execFileSync('ip', ['netns', 'del', ns]);
  });

  test('runs the program inside the host namespace and keeps its output', async () => {
    const ctx = context();
    const p = await spawnInHost(host, 'sh', ['-c', 'readlink /proc/self/ns/net; echo oops >&2; exit 3'], {}, ctx);
    expect(await p.exited).toEqual({ code: 3, signal: null });
    expect(p.stdout.trim()).toBe(`net:[${statSync(`/run/netns/${ns}`).ino}]`);
    expect(p.stderr).toBe('oops\n');
    const calls = ctx.calls.map((c) => [c.host, c.socket, c.call, c.result]);
    expect(calls).toContainEqual(['server', 'sh', 'spawn', `pid ${p.pid}`]);
    expect(calls).toContainEqual(['server', 'sh', 'stdout', p.stdout.trim()]);
    expect(calls).toContainEqual(['server', 'sh', 'stderr', 'oops']);
    expect(calls.at(-1)).toEqual(['server', 'sh', 'exit', 'exited with code 3']);
    ctx.end();
  });

  test('waits for `ready`, and labels repeated programs', async () => {
    const ctx = context();
    const a = await spawnInHost(host, 'sh', ['-c', 'sleep 0.2; echo "listening now"; sleep 30'], { ready: /listening/ }, ctx);
    expect(a.stdout).toBe('listening now\n');
    expect(a.running).toBe(true);
    const b = await spawnInHost(host, 'sh', ['-c', 'printf ready; sleep 30'], { ready: 'ready' }, ctx);
    expect(b.label).toBe('sh#2');
    expect(ctx.calls.filter((c) => c.call === 'ready').map((c) => c.socket)).toEqual(['sh', 'sh#2']);
    expect(await a.waitForOutput('now')).toBe('listening now');
    ctx.end();
    expect(await a.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await b.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(ctx.calls.at(-1)!.result).toBe('was killed by SIGKILL (the case ended)');
  });

  test('a program that exits or stays silent before `ready` fails spawn() with its output', async () => {
    const ctx = context();
    await expect(spawnInHost(host, 'sh', ['-c', 'echo "bind: EADDRINUSE" >&2; exit 1'], { ready: 'listening' }, ctx)).rejects.toThrow(
      /exited with code 1 before printing listening.*\n.*bind: EADDRINUSE/,
    );
    const t = Date.now();
    await expect(spawnInHost(host, 'sleep', ['30'], { ready: 'never', readyTimeout: 300 }, ctx)).rejects.toThrow(
      /did not print never within 300 ms/,
    );
    expect(Date.now() - t).toBeLessThan(3000);
    await expect(spawnInHost(host, '/nonexistent/program', [], { ready: 'listening' }, ctx)).rejects.toThrow(/exited with code 12[67]/);
    ctx.end();
  });

  test('the end of the case kills the whole process group', async () => {
    const ctx = context();
    const p = await spawnInHost(host, 'sh', ['-c', 'sleep 60 & echo $!; wait'], { ready: /^\d+$/ }, ctx);
    const grandchild = Number(p.stdout.trim());
    expect(alive(grandchild)).toBe(true);
    ctx.end();
    await p.exited;
    expect(await gone(grandchild)).toBe(true);
  });

  test('kill() sends SIGTERM first and SIGKILL after the grace time', async () => {
    const ctx = context();
    const polite = await spawnInHost(host, 'sleep', ['60'], {}, ctx);
    expect(await polite.kill()).toEqual({ code: null, signal: 'SIGTERM' });
    const stubborn = await spawnInHost(host, 'sh', ['-c', 'trap "" TERM; echo trapped; while :; do sleep 0.05; done'], { ready: 'trapped' }, ctx);
    const t = Date.now();
    expect(await stubborn.kill('SIGTERM', 300)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(Date.now() - t).toBeGreaterThanOrEqual(250);
    ctx.end();
  });

  test('an aborted case refuses to start programs', async () => {
    const ctx = context();
    ctx.end();
    await expect(spawnInHost(host, 'true', [], {}, ctx)).rejects.toThrow(/already ended/);
  });

  test('the program dies when the test process is killed outright (pdeathsig)', async () => {
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const spawnTs = fileURLToPath(new URL('../../harness/case/spawn.ts', import.meta.url));
    const processTs = fileURLToPath(new URL('../../harness/stacks/process.ts', import.meta.url));
    const script = `
      const { spawnInHost } = await import(${JSON.stringify(spawnTs)});
      const { localProcesses } = await import(${JSON.stringify(processTs)});
      const p = await spawnInHost({ name: 'h', processes: localProcesses(${JSON.stringify(ns)}) }, 'sleep', ['60'], {}, { signal: new AbortController().signal, record() {} });
      console.log(p.pid);
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      parent.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
      parent.once('exit', (code) => reject(new Error(`helper exited with ${code}`)));
    });
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    expect(await gone(pid)).toBe(true);
  });
});
