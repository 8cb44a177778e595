/**
 * A pool of the test file's own, one guest per stack, started before its tests and
 * stopped after them: a case that asks while the guest before it is still being given
 * back gets that guest, not a new one. TCPLADDER_POOL (which startPool sets) is put back.
 */
import { afterAll, beforeAll } from 'vitest';
import { startPool, type StartedPool } from '../../harness/stacks/pool/client.js';

export function useOwnPool(): void {
  let pool: StartedPool | null = null;
  const poolBefore = process.env.TCPLADDER_POOL;
  beforeAll(async () => {
    pool = await startPool({ uml: 1, gvisor: 1 });
  }, 120_000);
  afterAll(async () => {
    await pool?.stop();
    if (poolBefore === undefined) delete process.env.TCPLADDER_POOL;
    else process.env.TCPLADDER_POOL = poolBefore;
  });
}
