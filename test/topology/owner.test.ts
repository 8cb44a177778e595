import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { deadPid, liveProcess, startTime, useFakeStateDir } from './state-dir.js';

const state = useFakeStateDir();
const owner = await import('../../harness/topology/owner.js');
const sleeper = liveProcess();

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
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ pid: process.pid, start: startTime(process.pid), run: owner.runId() });
    owner.registerOwner(); // idempotent
    expect(owner.ownerAlive(process.pid)).toBe(true);
    owner.unregisterOwner();
    expect(existsSync(file)).toBe(false);
    owner.unregisterOwner();
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
});
