/** tcpladder diff on the command line: exit codes 0 / 1 / 2 and one-line messages for bad input. */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../harness/cli/index.js';
import { fixturePath } from './fixtures.js';

const THIS = fixturePath('bundles/this-kernel.json');
const OTHER = fixturePath('bundles/other-kernel.json');
const tmp = mkdtempSync(join(tmpdir(), 'tcpl-diff-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function diff(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(['diff', ...args], { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) });
  return { code, stdout, stderr };
}

function write(name: string, content: unknown): string {
  const file = join(tmp, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('exit codes', () => {
  it('0 for a bundle against itself, also given as its run folder', async () => {
    const folder = join(tmp, 'run1');
    mkdirSync(folder);
    writeFileSync(join(folder, 'bundle.json'), readFileSync(THIS));
    const r = await diff(THIS, folder);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/7 cases: 7 the same.*0 new\n$/);
  });

  it('1 when the bundles differ; 0 when the baseline accepts every difference', async () => {
    expect((await diff(THIS, OTHER)).code).toBe(1);
    const baseline = join(tmp, 'accepted.json');
    const written = await diff(THIS, OTHER, '--write-baseline', baseline);
    expect(written.code).toBe(1);
    expect(JSON.parse(readFileSync(baseline, 'utf8'))).toMatchObject({ format: 'tcpladder-baseline', version: 1 });
    const again = await diff(THIS, OTHER, '--baseline', baseline);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('4 differences, 4 accepted by the baseline, 0 new');
  });

  it('--json prints the diff as JSON', async () => {
    const r = await diff(THIS, OTHER, '--json');
    const json = JSON.parse(r.stdout);
    expect(json.counts).toMatchObject({ cases: 7, differences: 4, new: 4 });
    expect(json.cases.find((c: { id: string }) => c.id === 'three-way handshake [ipv4]').differences[0]).toMatchObject({ kind: 'segment-changed', accepted: false });
    expect(r.code).toBe(1);
  });

  it('--html writes a page with the ladders side by side', async () => {
    const page = join(tmp, 'diff.html');
    expect((await diff(THIS, OTHER, '--html', page)).code).toBe(1);
    const html = readFileSync(page, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)?.length).toBe(5); // two differing cases drawn twice, one case only in A drawn once
    expect(html).toContain('<p>not in B</p>');
  });
});

describe('bad input: exit 2, one line naming the file and the field', () => {
  const bundle = () => JSON.parse(readFileSync(THIS, 'utf8'));

  it.each([
    ['a file that is not there', () => join(tmp, 'nope.json'), (f: string) => `${f}: cannot read (ENOENT)`],
    ['a run folder without a bundle', () => (mkdirSync(join(tmp, 'empty'), { recursive: true }), join(tmp, 'empty')), (f: string) => `${join(f, 'bundle.json')}: cannot read (ENOENT)`],
    ['not JSON', () => write('text.json', 'hello'), (f: string) => `${f}: not JSON (`],
    ['not a bundle', () => write('summary.json', { version: 1, run: 'x' }), (f: string) => `${f}: format: not a tcpladder bundle (format is missing, expected "tcpladder-bundle")`],
    ['another version', () => write('v2.json', { ...bundle(), version: 2 }), (f: string) => `${f}: version: bundle version 2 is not supported (this tcpladder reads version 1)`],
    [
      'a broken field',
      () => {
        const b = bundle();
        b.cases[1].segments[2].seq = -1;
        return write('broken.json', b);
      },
      (f: string) => `${f}: cases[1].segments[2].seq: `,
    ],
  ])('%s', async (_what, make, message) => {
    const file = make();
    const r = await diff(THIS, file);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith(`tcpladder diff: ${message(file)}`)).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('a bad baseline, a missing operand, a bad tolerance', async () => {
    const bad = write('baseline.json', { format: 'tcpladder-baseline', version: 1, accept: [{ kind: 'timer' }] });
    expect(await diff(THIS, OTHER, '--baseline', bad)).toMatchObject({ code: 2, stderr: `tcpladder diff: ${bad}: accept[0].case: Invalid input: expected string, received undefined\n` });
    expect(await diff(THIS)).toMatchObject({ code: 2, stderr: 'tcpladder diff: needs two bundles, A and B (got 1); see tcpladder diff --help\n' });
    expect((await diff(THIS, OTHER, '--tolerance-ms', 'lots')).code).toBe(2);
  });
});
