import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { deadPid, liveProcess, startTime, useFakeStateDir, zombieProcess } from './state-dir.js';

const state = useFakeStateDir();
const owner = await import('../../harness/topology/owner.js');
const sleeper = liveProcess();
const ownPidns = statSync('/proc/self/ns/pid').ino;
const ownerTs = fileURLToPath(new URL('../../harness/topology/owner.ts', import.meta.url));
/** a process of another run, keeping its records in the fake state directory */
const otherRunEnv = { ...process.env, TCPLADDER_STATE_DIR: state.dir, TCPLADDER_RUN: 'other' };

afterAll(() => {
  owner.unregisterOwner();
  sleeper.kill();
  state.restore();
});

describe('names', () => {
  it('STATE_DIR comes from TCPLADDER_STATE_DIR', () => {
    expect(owner.STATE_DIR).toBe(state.dir);
  });

  it('runId() is stable and shared through the environment', () => {
    const id = owner.runId();
    expect(id).toMatch(/^[a-z0-9]+$/);
    expect(owner.runId()).toBe(id);
    expect(process.env.TCPLADDER_RUN).toBe(id);
  });

  it('resourceName: tcpl-<run>-<pid>-…', () => {
    expect(owner.resourceName('trace')).toBe(`tcpl-${owner.runId()}-${process.pid}-trace`);
    expect(owner.resourceName(3, 'wire')).toBe(`tcpl-${owner.runId()}-${process.pid}-3-wire`);
    expect(owner.resourceName()).toBe(`tcpl-${owner.runId()}-${process.pid}`);
    expect(owner.resourceName('x').startsWith(owner.PREFIX)).toBe(true);
  });

  it('ownerOf reads the pid back', () => {
    expect(owner.ownerOf(owner.resourceName('trace'))).toBe(process.pid);
    expect(owner.ownerOf(owner.resourceName(1, 'h0'))).toBe(process.pid);
    expect(owner.ownerOf(owner.resourceName())).toBe(process.pid);
    expect(owner.ownerOf('tcpl-9iubq-4242-1-wire')).toBe(4242);
    expect(owner.ownerOf('tcpl-abc-12')).toBe(12);
  });

  it('ownerOf: null for names that are not tcpladder resources', () => {
    expect(owner.ownerOf('tcpl-abc')).toBeNull();
    expect(owner.ownerOf('tcpl-abc-12x')).toBeNull();
    expect(owner.ownerOf('other-abc-12-1')).toBeNull();
    expect(owner.ownerOf('xtcpl-abc-12-1')).toBeNull();
    expect(owner.ownerOf('')).toBeNull();
  });
});

describe('ownership', () => {
  it('registerOwner records pid, start time and run; unregisterOwner removes it', () => {
    owner.registerOwner();
    const file = `${state.dir}/owners/${process.pid}`;
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ pid: process.pid, start: startTime(process.pid), run: owner.runId(), pidns: ownPidns });
    owner.registerOwner(); // idempotent
    expect(owner.ownerAlive(process.pid)).toBe(true);
    owner.unregisterOwner();
    expect(existsSync(file)).toBe(false);
    owner.unregisterOwner();
  });

  it('a process that registered leaves no record when it exits or a signal ends it', async () => {
    const exits = spawn(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(ownerTs)}).then((m) => m.registerOwner())`], { env: otherRunEnv });
    const code = await new Promise((resolve) => exits.on('exit', resolve));
    expect(code).toBe(0);
    expect(existsSync(`${state.dir}/owners/${exits.pid}`)).toBe(false);

    const waits = spawn(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(ownerTs)}).then((m) => { m.registerOwner(); console.log('ready'); setInterval(() => {}, 1000); })`], {
      env: otherRunEnv,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((resolve) => waits.stdout!.once('data', resolve));
    expect(existsSync(`${state.dir}/owners/${waits.pid}`)).toBe(true);
    waits.kill('SIGTERM');
    const signal = await new Promise((resolve) => waits.on('exit', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGTERM'); // ended as the signal would have ended it
    expect(existsSync(`${state.dir}/owners/${waits.pid}`)).toBe(false);
  });

  it('a process with a signal handler of its own is still an owner while it handles the signal', async () => {
    // registers, then installs a handler that takes its time (as the guest pool stops its guests)
    const script = `import(${JSON.stringify(ownerTs)}).then((m) => { m.registerOwner(); process.on('SIGTERM', () => console.log('stopping')); console.log('ready'); setInterval(() => {}, 1000); })`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { env: otherRunEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    const saw = (what: string) =>
      new Promise<void>((resolve) => {
        const look = (d: Buffer) => {
          lines.push(...d.toString().split('\n'));
          if (lines.includes(what)) {
            child.stdout!.off('data', look);
            resolve();
          }
        };
        child.stdout!.on('data', look);
      });
    await saw('ready');
    child.kill('SIGTERM');
    await saw('stopping');
    const file = `${state.dir}/owners/${child.pid}`;
    expect(existsSync(file)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    rmSync(file, { force: true });
  });

  it('a pid with no process is dead', () => {
    expect(owner.ownerAlive(deadPid())).toBe(false);
  });

  it('a live pid without an owner file is alive: never touch what might be alive', () => {
    expect(owner.ownerAlive(sleeper.pid)).toBe(true);
  });

  it('a live pid whose owner file has its start time is alive', () => {
    mkdirSync(`${state.dir}/owners`, { recursive: true });
    writeFileSync(`${state.dir}/owners/${sleeper.pid}`, JSON.stringify({ pid: sleeper.pid, start: startTime(sleeper.pid), run: 'x' }));
    expect(owner.ownerAlive(sleeper.pid)).toBe(true);
  });

  it('a live pid with another start time is a reused pid: the owner is dead', () => {
    writeFileSync(`${state.dir}/owners/${sleeper.pid}`, JSON.stringify({ pid: sleeper.pid, start: '1', run: 'x' }));
    expect(owner.ownerAlive(sleeper.pid)).toBe(false);
  });

  it('an unreadable owner file counts as alive', () => {
    writeFileSync(`${state.dir}/owners/${sleeper.pid}`, '{not json');
    expect(owner.ownerAlive(sleeper.pid)).toBe(true);
  });

  it('a zombie is dead: killed, not reaped yet, it holds nothing and never cleans up', async () => {
    const zombie = await zombieProcess();
    try {
      writeFileSync(`${state.dir}/owners/${zombie.pid}`, JSON.stringify({ pid: zombie.pid, start: startTime(zombie.pid), run: 'x', pidns: ownPidns }));
      expect(owner.ownerAlive(zombie.pid)).toBe(false);
      expect(owner.ownerAlive(zombie.parent)).toBe(true);
    } finally {
      zombie.kill();
    }
  });
});

describe('pid namespaces: a pid means nothing outside its own', () => {
  it('an owner registered in another pid namespace is alive, whatever its pid is here', () => {
    // a process that is pid 1 of a new pid namespace (with its own /proc) registers as
    // owner, and leaves without removing its record, as one still running there keeps it
    const child = `import(${JSON.stringify(ownerTs)}).then((m) => { m.registerOwner(); process.removeAllListeners('exit'); })`;
    execFileSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, '--import', 'tsx', '-e', child], {
      env: otherRunEnv,
    });
    const file = `${state.dir}/owners/1`;
    const written = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; start: string; pidns: number };
    expect(written.pid).toBe(1);
    expect(written.pidns).not.toBe(ownPidns);
    // here pid 1 is our init, started at another time: taken for ours, it would be a reused pid, dead
    expect(written.start).not.toBe(startTime(1));
    expect(owner.ownerAlive(1)).toBe(true);
    writeFileSync(file, JSON.stringify({ ...written, pidns: ownPidns }));
    expect(owner.ownerAlive(1)).toBe(false);
  });

  it('another pid namespace: alive even with no such pid here', () => {
    const pid = deadPid(7);
    writeFileSync(`${state.dir}/owners/${pid}`, JSON.stringify({ pid, start: '5', run: 'x', pidns: ownPidns + 1 }));
    expect(owner.ownerAlive(pid)).toBe(true);
  });

  it('owner files written before pid namespaces were recorded are taken as ours', () => {
    const pid = deadPid(8);
    writeFileSync(`${state.dir}/owners/${pid}`, JSON.stringify({ pid, start: '5', run: 'x' }));
    expect(owner.ownerAlive(pid)).toBe(false);
  });
});
