// A guest's NIC takes the MTUs that harness/stacks/capabilities.ts says, and no other: a
// script's --mtu (a need, mtu:BYTES) is judged by that table before any host is made,
// so the table is checked here against real guests, by setting the MTU as a script's
// --mtu does (`ip link set` in the guest, on the NIC the script's local host has).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../harness/index.js';
import { CaseRun } from '../../harness/case/run.js';
import { checkNeeds, mtuProblem, notApplicable, GUEST_MAX_MTU } from '../../harness/stacks/index.js';
import { caseOptions, planScriptRuns } from '../../harness/packetdrill/script-case.js';
import { scriptNic } from '../../harness/packetdrill/executor.js';
import { useCaseRunDir } from '../case-run-dir.js';
import { useOwnPool } from './own-pool.js';

describe('mtu:BYTES, a need', () => {
  it('is a need; its reason names the stack, the bound and the host', () => {
    expect(() => checkNeeds(['mtu:1520'])).not.toThrow();
    expect(() => checkNeeds(['mtu:big'])).toThrow('needs: "mtu:big" is not a need (states:exact, sysctl:KEY, sysctl:KEY=VALUE or mtu:BYTES)');
    expect(notApplicable('local', 'linux', ['mtu:9000'], {})).toBeNull();
    expect(notApplicable('local', 'uml', ['mtu:1500'], {})).toBeNull();
    expect(notApplicable('local', 'uml', ['mtu:1520'], {})?.message).toBe("needs mtu:1520: uml's NIC takes an MTU of at most 1500 (host local)");
    expect(notApplicable('local', 'gvisor', ['mtu:1500'], {})?.message).toBe("needs mtu:1500: gvisor's NIC takes no MTU (host local)");
  });
});

describe('the table, against real guests', () => {
  useCaseRunDir(mkdtempSync(join(tmpdir(), 'tcpl-mtu-')));
  useOwnPool();

  /** Exit status of `ip link set dev NIC mtu M` in a guest of `stack`, for each M. */
  async function setMtus(stack: 'uml' | 'gvisor', mtus: number[]): Promise<Array<{ mtu: number; ok: boolean; said: string }>> {
    const run = new CaseRun(`mtu on ${stack}`, import.meta.url, 4);
    const out: Array<{ mtu: number; ok: boolean; said: string }> = [];
    let error: unknown = null;
    try {
      // as a script's hosts
      const { local } = await run.hosts(['local', 'remote'], { interfaces: { local: 'tun0' }, stack: { local: stack, remote: 'linux' } });
      const nic = scriptNic(stack);
      for (const mtu of mtus) {
        const p = await local.spawn('ip', ['link', 'set', 'dev', nic, 'mtu', String(mtu)]);
        const exit = await p.exited;
        out.push({ mtu, ok: exit.code === 0, said: p.stderr.trim() });
      }
    } catch (e) {
      error = e;
    }
    const { error: failure } = await run.finish(error);
    if (failure) throw failure;
    return out;
  }

  it.each(['uml', 'gvisor'] as const)('%s', async (stack) => {
    const max = GUEST_MAX_MTU[stack];
    const mtus = max === null ? [1500, 1520] : [max - 20, max, max + 1, 1520];
    for (const r of await setMtus(stack, mtus)) expect({ mtu: r.mtu, ok: r.ok }, r.said).toEqual({ mtu: r.mtu, ok: mtuProblem(stack, r.mtu) === null });
  }, 180_000);
});

it("a script's --mtu is its need", () => {
  // cases/packetdrill/tcpladder.json: the IPv6 run has --mtu=1520, the IPv4 run none
  const plans = planScriptRuns(join(import.meta.dirname, '../../cases/packetdrill/handshake/passive-open.pkt'));
  expect(plans.map((p) => ('script' in p ? [p.version, caseOptions(p).needs] : p.error))).toEqual([
    ['ipv4', undefined],
    ['ipv6', ['mtu:1520']],
  ]);
});
