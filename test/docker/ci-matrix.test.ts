// docs/ci-matrix.yml's sharded run holds together (no GitHub runner here: read statically):
// the job matrix lists every shard of the --shard plan, each uploads its run folder under
// a name the merge job downloads, and the merge job runs after all of them, even failed.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

const workflow = readFileSync(new URL('../../docs/ci-matrix.yml', import.meta.url), 'utf8');
/** The text of a top-level job: from its key to the next job's. */
const job = (name: string) => new RegExp(`^  ${name}:\\n([\\s\\S]*?)(?=^  [a-z-]+:\\n|(?![\\s\\S]))`, 'm').exec(workflow)?.[1] ?? '';

describe('docs/ci-matrix.yml', () => {
  test('the shard job runs every shard of one plan and uploads each run folder', () => {
    const shard = job('shard');
    const count = Number(/--shard \$\{\{ matrix\.shard \}\}\/(\d+)/.exec(shard)?.[1]);
    const listed = /^ {8}shard: \[([\d, ]+)\]$/m.exec(shard)![1]!.split(',').map(Number);
    expect(listed).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(shard).toMatch(/name: tcpladder-shard-\$\{\{ matrix\.shard \}\}\n {10}path: \$\{\{ steps\.run\.outputs\.dir \}\}/);
    expect(shard).toMatch(/env -u GITHUB_STEP_SUMMARY/);
  });

  test('the merge job waits for every shard, runs even when one failed, and merges what they uploaded', () => {
    const merge = job('merge');
    expect(merge).toMatch(/^ {4}needs: shard$/m);
    expect(merge).toMatch(/^ {4}if: always\(\)$/m);
    expect(merge).toMatch(/pattern: tcpladder-shard-\*\n {10}path: shards/);
    expect(merge).toMatch(/node bin\/tcpladder\.js merge shards\/\* --out "captures\/merged\$\{\{ github\.run_id \}\}"/);
  });
});
