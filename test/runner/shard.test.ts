/** The shard plan: whole files, balanced by case count, the same whatever order the files come in. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { caseWeight, planShards } from '../../harness/runner/shard.js';
import { rng as seeded } from '../rng.js';

describe('planShards', () => {
  const files = [
    { key: 'cases/close/a.case.ts', weight: 1 },
    { key: 'cases/close/b.case.ts', weight: 2 },
    { key: 'cases/options/c.case.ts', weight: 5 },
    { key: 'cases/packetdrill/x/d.pkt', weight: 1 },
    { key: 'cases/packetdrill/x/e.pkt', weight: 1 },
    { key: 'cases/reset/f.case.ts', weight: 1 },
    { key: 'cases/reset/g.case.ts', weight: 1 },
  ];

  it('puts every file in exactly one shard, the heaviest first into the lightest shard', () => {
    const shards = planShards(files, 3);
    expect(shards.flat().sort()).toEqual(files.map((f) => f.key).sort());
    const weight = (keys: string[]) => keys.reduce((n, k) => n + files.find((f) => f.key === k)!.weight, 0);
    expect(shards.map(weight)).toEqual([5, 4, 3]);
    expect(shards[0]).toEqual(['cases/options/c.case.ts']);
  });

  it('is the same plan whatever order the files are listed in', () => {
    const plan = planShards(files, 3);
    const rng = seeded(17);
    for (let i = 0; i < 20; i++) {
      const shuffled = [...files].sort(() => rng() - 0.5);
      expect(planShards(shuffled, 3)).toEqual(plan);
    }
  });

  it('leaves shards empty when there are fewer files than shards', () => {
    expect(planShards(files.slice(0, 2), 4)).toEqual([['cases/close/b.case.ts'], ['cases/close/a.case.ts'], [], []]);
  });
});

describe('caseWeight', () => {
  it('counts a case file\'s tcpCase calls (at least one), a script as one case', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpl-shard-test-'));
    try {
      const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
      expect(caseWeight(file('two.case.ts', "tcpCase('a', async () => {});\ntcpCase ('b', async () => {});\n// a mytcpCase( is not one\n"))).toBe(2);
      expect(caseWeight(file('none.case.ts', 'export {};\n'))).toBe(1);
      expect(caseWeight(file('x.pkt', '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n'))).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
