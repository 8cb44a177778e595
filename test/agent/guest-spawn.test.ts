import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GuestSpawn } from '../../harness/agent/guest-spawn.js';
import type { AgentEvent } from '../../harness/agent/protocol.js';
import { TestNamespace } from '../observe/netns.js';

const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** A GuestSpawn outside any namespace, with what it reported and a wait for a program's end. */
function spawner(namespace: string | null = null) {
  const events: AgentEvent[] = [];
  const waiters = new Map<number, () => void>();
  const g = new GuestSpawn(
    () => namespace,
    (e) => {
      events.push(e);
      if (e.ev === 'proc' && 'exit' in e) waiters.get(e.pid)?.();
    },
  );
  const start = (command: string, args: string[], extra: { env?: Record<string, string>; cwd?: string } = {}) =>
    g.start({ id: 1, op: 'spawn', command, args, env: extra.env ?? { PATH }, ...(extra.cwd ? { cwd: extra.cwd } : {}) });
  const ended = (pid: number) =>
    new Promise<{ stdout: string; stderr: string; exit: unknown }>((resolve) => {
      const result = () => {
        const mine = events.filter((e) => e.ev === 'proc' && e.pid === pid);
        const text = (s: string) => mine.map((e) => ('stream' in e && e.stream === s ? e.data : '')).join('');
        // the exit status only as the last event: output after it would be lost
        const last = mine.at(-1)!;
        resolve({ stdout: text('stdout'), stderr: text('stderr'), exit: 'exit' in last ? last.exit : 'not last' });
      };
      if (events.some((e) => e.ev === 'proc' && e.pid === pid && 'exit' in e)) result();
      else waiters.set(pid, result);
    });
  return { g, events, start, ended };
}

describe('a program spawned in a guest', () => {
  it('from a folder the guest does not have: the error names the folder, not the program', async () => {
    const { start } = spawner();
    await expect(start('/bin/sh', ['-c', 'true'], { cwd: '/nonexistent/tcpladder-scripts', env: {} })).rejects.toThrow(
      'cannot start /bin/sh in the guest: its folder /nonexistent/tcpladder-scripts is not there',
    );
  });

  it('runs with exactly the environment and folder asked for; its output, all of it, comes before its exit status', async () => {
    const { g, start, ended } = spawner();
    const count = 50_000;
    const { pid } = await start('/bin/sh', ['-c', `pwd; env | sort; yes é | head -n ${count} >&2; exit 3`], { cwd: '/usr', env: { PATH, ONE: 'a=b c' } });
    const r = await ended(pid);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('/usr');
    expect(lines.filter((l) => !l.startsWith('PWD=') && !l.startsWith('SHLVL=') && !l.startsWith('_=')).slice(1)).toEqual([`ONE=a=b c`, `PATH=${PATH}`]);
    // 'é' is two bytes: the pipe's reads split the output anywhere, and each comes whole
    expect(r.stderr).toBe('é\n'.repeat(count));
    expect(r.exit).toEqual({ code: 3, signal: null });
    g.killAll();
  });

  it("runs in the case's network namespace", async () => {
    const ns = TestNamespace.create('spawn');
    try {
      const { start, ended } = spawner(ns.name);
      const { pid } = await start('/bin/readlink', ['/proc/self/ns/net']);
      const inode = statSync(`/run/netns/${ns.name}`).ino;
      expect(await ended(pid)).toEqual({ stdout: `net:[${inode}]\n`, stderr: '', exit: { code: 0, signal: null } });
      expect(readlinkSync('/proc/self/ns/net')).not.toBe(`net:[${inode}]`);
    } finally {
      ns.remove();
    }
  });

  it('a program that cannot start is an error naming it; a signal to its pid reaches what it started', async () => {
    const { g, events, start, ended } = spawner();
    await expect(start('tcpladder-no-such-program', [])).rejects.toThrow('cannot start tcpladder-no-such-program in the guest: No such file or directory');
    const { pid } = await start('/bin/sh', ['-c', 'sleep 30 & echo $!; wait']);
    const sleeper = await new Promise<number>((resolve) => {
      const poll = setInterval(() => {
        const out = events.find((e) => e.ev === 'proc' && e.pid === pid && 'stream' in e);
        if (out && 'data' in out) {
          clearInterval(poll);
          resolve(Number(out.data.trim()));
        }
      }, 10);
    });
    expect(alive(sleeper)).toBe(true);
    g.signal(pid, 'SIGTERM');
    expect((await ended(pid)).exit).toEqual({ code: null, signal: 'SIGTERM' });
    for (let i = 0; i < 100 && alive(sleeper); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(sleeper)).toBe(false);
  });

  it('a program whose fork server dies is killed, and its end reported', async () => {
    const { start, ended } = spawner();
    const { pid } = await start('sleep', ['30']);
    // the program's parent is the fork server
    const server = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
    expect(readFileSync(`/proc/${server}/comm`, 'utf8').trim()).toBe('perl');
    process.kill(server, 'SIGKILL');
    expect((await ended(pid)).exit).toEqual({ code: null, signal: 'SIGKILL' });
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
  });
});

/** Running (a zombie waiting for its parent counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
