import { describe, expect, it } from 'vitest';
import { GuestSpawn } from '../../harness/agent/guest-spawn.js';

describe('a program spawned in a guest', () => {
  it('from a folder the guest does not have: the error names the folder, not the program', async () => {
    const spawner = new GuestSpawn(() => null, () => {});
    await expect(spawner.start({ id: 1, op: 'spawn', command: '/bin/sh', args: ['-c', 'true'], cwd: '/nonexistent/tcpladder-scripts', env: {} })).rejects.toThrow(
      'cannot start /bin/sh in the guest: its folder /nonexistent/tcpladder-scripts is not there',
    );
  });
});
