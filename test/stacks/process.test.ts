// host.spawn's starters: a program that ends before anyone listens for its end (a short
// `ip link set …`, while the starter still waits for setpriv to exec) is still seen to end.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitEvents, localProcesses } from '../../harness/stacks/process.js';
import { resourceName } from '../../harness/topology/owner.js';

const ns = resourceName('proc');

beforeAll(() => void execFileSync('ip', ['netns', 'add', ns]));
afterAll(() => void execFileSync('ip', ['netns', 'del', ns]));

const ended = (once: ExitEvents['once'], event: 'exit' | 'close') =>
  new Promise<[number | null, NodeJS.Signals | null]>((resolve) => once(event, (code, signal) => resolve([code, signal])));

describe('ExitEvents', () => {
  it('gives an event to listeners added before and after it, once each', () => {
    const events = new ExitEvents();
    const got: string[] = [];
    events.once('exit', (code) => got.push(`before ${code}`));
    events.emit('exit', 3, null);
    events.emit('exit', 4, null);
    events.once('exit', (code) => got.push(`after ${code}`));
    events.once('close', () => got.push('close'));
    expect(got).toEqual(['before 3', 'after 3']);
  });
});

describe('localProcesses', () => {
  it('a program that has already exited when its end is asked for still reports it', async () => {
    const p = await localProcesses(ns).start('sh', ['-c', 'echo hi; exit 7'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.resume();
    // long after it ended: its 'exit' and 'close' have been emitted already
    await new Promise((r) => setTimeout(r, 500));
    expect(await ended(p.once, 'exit')).toEqual([7, null]);
    expect(await ended(p.once, 'close')).toEqual([7, null]);
    expect(out).toBe('hi\n');
  });
});
