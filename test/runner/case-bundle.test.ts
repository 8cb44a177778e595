// Case files and .pkt scripts get the harness as one precompiled module (harness/runner/
// case-bundle.ts); the project's own tests and the harness keep the sources.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { caseBundlePlugin } from '../../harness/runner/case-bundle.js';
import { tcpladder, tempDir, writeCase, readSummary, removeRunDir, type Child } from '../reliability/helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const tmp = tempDir('case-bundle');
const children: Child[] = [];
afterAll(() => {
  for (const c of children) removeRunDir(c);
  tmp.remove();
});

describe('the case bundle plugin', () => {
  it('sends a case file’s or a script’s import of the harness to the bundle, and nothing else', async () => {
    const plugin = await caseBundlePlugin();
    expect(plugin, 'esbuild and node_modules/.cache are there: the bundle must build').not.toBeNull();
    const bundle = plugin!.resolveId('../../harness/index.js', join(ROOT, 'cases/handshake/three-way.case.ts'));
    expect(bundle).toMatch(/node_modules\/\.cache\/tcpladder\/cases-[0-9a-f]+\.mjs$/);
    expect(plugin!.resolveId(join(ROOT, 'harness/case-entry.ts'), '/tmp/elsewhere/script.pkt')).toBe(bundle);
    expect(plugin!.resolveId(join(ROOT, 'harness/index.ts'), '/tmp/elsewhere/my.case.ts')).toBe(bundle);
    // the project's tests and the harness itself: sources, or one test would hold two copies of a module
    expect(plugin!.resolveId('../../harness/index.js', join(ROOT, 'test/slice/sockets.test.ts'))).toBeNull();
    expect(plugin!.resolveId('./index.js', join(ROOT, 'harness/case-entry.ts'))).toBeNull();
    // any other module of the harness, or a package
    expect(plugin!.resolveId('../../harness/report/index.js', join(ROOT, 'cases/handshake/three-way.case.ts'))).toBeNull();
    expect(plugin!.resolveId('vitest', join(ROOT, 'cases/handshake/three-way.case.ts'))).toBeNull();
  });

  it('runs a case with the harness loaded from the bundle', async () => {
    const stackFile = join(tmp.dir, 'stack.txt');
    writeCase(
      tmp.dir,
      'bundled',
      `import { writeFileSync } from 'node:fs';

tcpCase('case bundle: the harness comes from it', async ({ hosts }) => {
  // the frames below this one are the harness's own: tcpCase's wrapper called this body
  writeFileSync(${JSON.stringify(stackFile)}, new Error().stack ?? '');
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  await client.connect(server, 8080);
  await listener.accept();
}, { families: [4] });`,
    );
    const c = tcpladder(['run', tmp.dir]);
    children.push(c);
    const { code } = await c.done;
    expect(code, c.stdout() + c.stderr()).toBe(0);
    expect(readSummary(c.runDir)?.passed).toBe(1);
    const stack = readFileSync(stackFile, 'utf8');
    expect(stack).toMatch(/node_modules\/\.cache\/tcpladder\/cases-[0-9a-f]+\.mjs/);
    expect(stack).not.toMatch(/harness\/case\/tcp-case\.ts/);
  }, 60_000);
});
