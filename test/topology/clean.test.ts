// cleanLeftovers(): a later run removes what runs whose owner is gone left behind,
// and never what a live run owns. Real namespaces, a fake STATE_DIR.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { deadPid, liveProcess, startTime, useFakeStateDir } from './state-dir.js';

const state = useFakeStateDir();
const { cleanLeftovers } = await import('../../harness/topology/clean.js');
const { runId } = await import('../../harness/topology/owner.js');

const live = liveProcess();
const reused = liveProcess(); // alive, but its owner file says another process had the pid
const dead = deadPid(process.pid % 1000); // apart from other runs of this test

const ns = {
  dead: [`tcpl-${runId()}-${dead}-1-wire`, `tcpl-${runId()}-${dead}-1-h0`],
  live: `tcpl-${runId()}-${live.pid}-1-h0`,
  reused: `tcpl-${runId()}-${reused.pid}-2-h1`,
  own: `tcpl-${runId()}-${process.pid}-9-h0`,
};
const all = [...ns.dead, ns.live, ns.reused, ns.own];

const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]);

afterAll(() => {
  const left = namespaces();
  for (const n of all) if (left.includes(n)) execFileSync('ip', ['netns', 'del', n]);
  live.kill();
  reused.kill();
  state.restore();
});

describe('cleanLeftovers', () => {
  it('removes namespaces, slots, owner and socket files of dead owners only', async () => {
    for (const n of all) execFileSync('ip', ['netns', 'add', n]);
    for (const d of ['owners', 'slots', 'sock']) mkdirSync(`${state.dir}/${d}`, { recursive: true });
    writeFileSync(`${state.dir}/owners/${dead}`, JSON.stringify({ pid: dead, start: '5', run: runId() }));
    writeFileSync(`${state.dir}/owners/${live.pid}`, JSON.stringify({ pid: live.pid, start: startTime(live.pid), run: runId() }));
    writeFileSync(`${state.dir}/owners/${reused.pid}`, JSON.stringify({ pid: reused.pid, start: '1', run: runId() }));
    writeFileSync(`${state.dir}/slots/10`, String(dead));
    writeFileSync(`${state.dir}/slots/11`, String(live.pid));
    writeFileSync(`${state.dir}/slots/12`, String(process.pid));
    writeFileSync(`${state.dir}/sock/sidecar-${dead}.sock`, '');
    writeFileSync(`${state.dir}/sock/sidecar-${live.pid}.sock`, '');

    const removed = await cleanLeftovers();

    const left = namespaces();
    for (const n of ns.dead) expect(left, n).not.toContain(n);
    expect(left).not.toContain(ns.reused);
    expect(left).toContain(ns.live);
    expect(left).toContain(ns.own);
    // another run's clean may have been quicker for the dead ones; ours must name what it removed
    expect(removed).toContain(`netns ${ns.reused}`);
    expect(removed).toContain('1 address slot(s)');
    expect(removed).toContain(`owners/${dead}`);
    expect(removed).toContain(`sock/sidecar-${dead}.sock`);
    expect(removed).not.toContain(`netns ${ns.live}`);

    expect(readdirSync(`${state.dir}/slots`).sort()).toEqual(['11', '12']);
    expect(readdirSync(`${state.dir}/owners`).sort()).toEqual([String(live.pid)]);
    expect(readdirSync(`${state.dir}/sock`)).toEqual([`sidecar-${live.pid}.sock`]);
    expect(existsSync(`${state.dir}/owners/${reused.pid}`)).toBe(false);
  });

  it('leaves namespaces that are not tcpladder\'s alone, and is idempotent', async () => {
    const foreign = `tcplx-${dead}-keep`;
    execFileSync('ip', ['netns', 'add', foreign]);
    try {
      const removed = await cleanLeftovers();
      expect(removed.filter((r) => r.startsWith('netns ') && all.includes(r.slice(6)))).toEqual([]);
      expect(namespaces()).toContain(foreign);
      expect(namespaces()).toContain(ns.live);
    } finally {
      execFileSync('ip', ['netns', 'del', foreign]);
    }
  });
});
