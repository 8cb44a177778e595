// Two runs that start together both clean leftovers of dead runs. Each must report
// only what it removed itself (no namespace twice), and together they remove all.
// (`ip -batch` stops at its first failure: one batch over namespaces another clean
// is removing used to report them all, and to leave the rest after the first miss.)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanLeftovers } from '../../harness/topology/clean.js';
import { namespaces } from '../../scripts/leftovers.js';
import { zombieProcess } from '../topology/state-dir.js';

const dead = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 101; // never a live pid
const run = `zzrace${process.pid.toString(36)}`;
const names = Array.from({ length: 6 }, (_, i) => `tcpl-${run}-${dead}-${i + 1}-${i % 2 ? 'h0' : 'wire'}`);

afterAll(() => {
  for (const n of names) if (namespaces().includes(n)) execFileSync('ip', ['netns', 'del', n]);
});

describe('concurrent cleans', () => {
  it('share the work: every dead namespace removed once, reported once', async () => {
    for (const n of names) execFileSync('ip', ['netns', 'add', n]);
    const [a, b, c] = await Promise.all([cleanLeftovers(), cleanLeftovers(), cleanLeftovers()]);
    const ours = (r: string[]) => r.filter((x) => names.some((n) => x === `netns ${n}`));
    const all = [...ours(a), ...ours(b), ...ours(c)];
    expect(all.sort()).toEqual(names.map((n) => `netns ${n}`).sort());
    expect(namespaces().filter((n) => names.includes(n))).toEqual([]);
  });
});

describe('a killed owner that is not reaped yet', () => {
  it('counts as gone: a zombie holds nothing and will never clean up', async () => {
    const { ownerAlive } = await import('../../harness/topology/owner.js');
    const zombie = await zombieProcess();
    try {
      expect(readFileSync(`/proc/${zombie.pid}/stat`, 'utf8')).toContain(') Z '); // /proc still shows it
      expect(ownerAlive(zombie.pid)).toBe(false);
      expect(ownerAlive(zombie.parent)).toBe(true);
    } finally {
      zombie.kill();
    }
  });
});
