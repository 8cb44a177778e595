// The relay's CPU split (topology/cpus.ts): a namespace host's link takes in what the
// relay sends it on one CPU (RPS), and the sidecar runs everywhere else, so that the
// receiving host's TCP does not run inside the sidecar's sendmmsg. The machine's own
// namespace keeps its RPS default.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../harness/index.js';
import { CaseRun } from '../../harness/case/run.js';
import { allowedCpus, cpuMask, parseCpuList, relayCpus } from '../../harness/topology/cpus.js';
import { sidecar } from '../../harness/wire/index.js';
import { useCaseRunDir } from '../case-run-dir.js';
import { pingExchange } from './ping-exchange.js';

useCaseRunDir(mkdtempSync(join(tmpdir(), 'tcpl-relay-cpus-')));

describe('CPU lists and masks', () => {
  it('reads the kernel list format', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('5')).toEqual([5]);
    expect(() => parseCpuList('0-a')).toThrow(/not a CPU list/);
  });

  it('writes a bitmap in 32-bit words, most significant first', () => {
    expect(cpuMask([0])).toBe('1');
    expect(cpuMask([1, 3])).toBe('a');
    expect(cpuMask([31])).toBe('80000000');
    expect(cpuMask([33, 0])).toBe('2,00000001');
  });

  it('splits: one CPU for the hosts by process id, the rest for the sidecar; nothing to split on one CPU', () => {
    expect(relayCpus([0, 1], 7)).toEqual({ hostRx: 1, sidecar: [0] });
    expect(relayCpus([0, 1], 8)).toEqual({ hostRx: 0, sidecar: [1] });
    expect(relayCpus([2, 4, 6], 4)).toEqual({ hostRx: 4, sidecar: [2, 6] });
    expect(relayCpus([3], 1)).toBeNull();
  });
});

/** An RPS bitmap as sysfs and procfs print it, as a number. */
const bits = (text: string) => BigInt(`0x${text.trim().replace(/,/g, '') || '0'}`);

describe('a case on the relay', () => {
  it("takes in the hosts' frames on one CPU and keeps the sidecar off it", async () => {
    const home = existsSync('/proc/sys/net/core/rps_default_mask') ? readFileSync('/proc/sys/net/core/rps_default_mask', 'utf8') : null;
    const split = relayCpus();
    const run = new CaseRun('relay cpus', import.meta.url, 4);
    let error: unknown = null;
    try {
      const { client, server } = await run.hosts(['client', 'server']);
      for (const host of [client, server]) {
        const links = execFileSync('ip', ['netns', 'exec', host.ns, 'ls', '/sys/class/net'], { encoding: 'utf8' }).split(/\s+/).filter((l) => l && l !== 'lo');
        expect(links).toHaveLength(1);
        const rps = execFileSync('ip', ['netns', 'exec', host.ns, 'cat', `/sys/class/net/${links[0]}/queues/rx-0/rps_cpus`], { encoding: 'utf8' });
        const perNamespace = execFileSync('ip', ['netns', 'exec', host.ns, 'sh', '-c', 'test -e /proc/sys/net/core/rps_default_mask && echo yes || echo no'], {
          encoding: 'utf8',
        }).trim();
        expect(bits(rps), `${host.name}'s link`).toBe(split && perNamespace === 'yes' ? bits(cpuMask([split.hostRx])) : 0n);
      }
      expect(allowedCpus((await sidecar()).pid!)).toEqual(split ? split.sidecar : allowedCpus());
      // frames still go both ways
      expect(await pingExchange(client, server)).toBe('ping');
    } catch (e) {
      error = e;
    }
    const { error: failure } = await run.finish(error);
    if (failure) throw failure;
    if (home !== null) expect(readFileSync('/proc/sys/net/core/rps_default_mask', 'utf8')).toBe(home);
  });
});
