// A guest's CPU waits (schedstat): two busy processes held to one CPU wait for each
// other, and the reading says so; a thread born between two readings counts from zero.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { longestWaitMs, processTree, runDelays } from '../../harness/stacks/guest/cpu-wait.js';

const BUSY = 'const end = Date.now() + 20000; while (Date.now() < end) {}';

describe('cpu waits of a process tree', () => {
  let parent: ChildProcess | null = null;
  afterEach(() => {
    if (parent?.pid) process.kill(-parent.pid, 'SIGKILL');
    parent = null;
  });

  it('finds the processes below a pid, and their waits for a shared CPU', async () => {
    // a shell with two busy children, all held to CPU 0
    parent = spawn('taskset', ['-c', '0', 'sh', '-c', `node -e '${BUSY}' & node -e '${BUSY}' & wait`], { detached: true, stdio: 'ignore' });
    let tree: number[] = [];
    for (let i = 0; i < 100 && tree.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      tree = processTree(parent.pid!);
    }
    expect(tree[0]).toBe(parent.pid);
    expect(tree.length).toBe(3); // taskset execs the shell: the pid is sh, then its two nodes
    const before = runDelays(tree);
    await new Promise((r) => setTimeout(r, 300));
    const after = runDelays(tree);
    // runnable side by side on one CPU for 300 ms: together they waited about that long
    expect(longestWaitMs(before, after)).toBeGreaterThan(100);
  });

  it('counts a thread that was not there at the first reading from zero', () => {
    expect(longestWaitMs(new Map([[1, 5e6]]), new Map([[1, 7e6], [2, 3e6]]))).toBe(3);
    expect(longestWaitMs(new Map(), new Map())).toBe(0);
  });
});
