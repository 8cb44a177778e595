// The matrix, end to end: catalogue cases once per stack — linux, User-Mode Linux 6.1,
// gVisor — in one command. Every case gets a verdict on every stack (passed, or a failure
// listed in cases/stacks/<stack>.json, never a harness error), the matrix names each
// stack with what runs it, each stack's run has its own folder and bundle, and nothing
// of the run is left on the machine afterwards.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tcpladder, settledLeftovers, removeRunDir, type Child } from '../reliability/helpers.js';
import type { MatrixSummary } from '../../harness/runner/matrix.js';

const CASES = ['cases/handshake', 'cases/close/active-close.case.ts', 'cases/close/half-close.case.ts', 'cases/close/close-unread-data.case.ts', 'cases/reset/connection-refused.case.ts', 'cases/reset/write-after-peer-closed.case.ts'];
let c: Child | null = null;

afterAll(() => {
  if (c && c.child.exitCode === null) c.child.kill('SIGKILL');
  if (c) removeRunDir(c);
});

describe('tcpladder run --stacks linux,uml,gvisor', () => {
  it('gives every case a verdict on every stack, exits 0 with the known failures listed, and leaves nothing', async () => {
    c = tcpladder(['run', '--stacks', 'linux,uml,gvisor', '--quiet', ...CASES]);
    const { code } = await c.done;
    expect(code, c.stdout() + c.stderr()).toBe(0);
    const m = JSON.parse(readFileSync(join(c.runDir, 'summary.json'), 'utf8')) as MatrixSummary;
    expect(m.kind).toBe('matrix');
    expect(m.stacks.map((s) => s.name)).toEqual(['linux', 'uml', 'gvisor']);
    expect(m.stacks.find((s) => s.name === 'uml')!.version).toMatch(/^6\.1\./);
    expect(m.stacks.find((s) => s.name === 'gvisor')!.version).toMatch(/^runsc /);
    expect(m.cases.length).toBeGreaterThanOrEqual(12);
    for (const row of m.cases) {
      for (const stack of ['linux', 'uml', 'gvisor'] as const) {
        const v = row.verdicts[stack];
        expect(v, `${row.case} [${row.family}] on ${stack}`).toBeDefined();
        expect(['passed', 'known-failure'], `${row.case} [${row.family}] on ${stack}: ${v!.error ?? ''}`).toContain(v!.status);
        // the column's stack ran the case's hosts
        expect(v!.stacks).toContain(stack);
        expect(existsSync(join(c.runDir, v!.dir, 'wire.pcap'))).toBe(true);
      }
      expect(row.verdicts.linux!.status).toBe('passed');
    }
    // the known difference of this set: gVisor answers data for a closed socket with RST ACK
    expect(m.cases.filter((r) => r.verdicts.gvisor?.status === 'known-failure').map((r) => r.case)).toContain('data after the peer has closed: RST, then EPIPE');
    // each stack's own run, and a bundle that names its stacks
    for (const stack of ['uml', 'gvisor']) {
      const bundle = JSON.parse(readFileSync(join(c.runDir, stack, 'bundle.json'), 'utf8')) as { stacks?: Record<string, string> };
      expect(Object.keys(bundle.stacks ?? {})).toContain(stack);
    }
    expect(existsSync(join(c.runDir, 'report.html'))).toBe(true);
    expect(c.stdout()).toMatch(/linux\s+uml\s+gvisor/);
    // the matrix's runs are <run>l, <run>u, <run>g: nothing of any of them is left
    expect(await settledLeftovers(c, 10_000)).toEqual([]);
    for (const sub of ['l', 'u', 'g']) expect(await settledLeftovers({ ...c, run: `${c.run}${sub}` }, 10_000), `run ${c.run}${sub}`).toEqual([]);
  }, 900_000);
});
