// harness/bundle.ts: a program or module of the harness as one precompiled ES module.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleOf, importBundled } from '../harness/bundle.js';

const ROOT = resolve(import.meta.dirname, '..');

describe('bundleOf', () => {
  it('keeps each source’s own import.meta.url: files found next to the sources still are', async () => {
    const script = resolve(ROOT, 'harness/diff/system-info.ts');
    const bundle = await bundleOf(script, 'test-system-info');
    expect(bundle).toMatch(/node_modules\/\.cache\/tcpladder\/test-system-info-[0-9a-f]+\.mjs$/);
    expect(readFileSync(bundle!, 'utf8')).toContain(JSON.stringify(`file://${script}`));
    // toolInfo() reads ../../package.json from its source's place: from the bundle's it would not exist
    const { toolInfo } = await importBundled<typeof import('../harness/diff/system-info.js')>(script, 'test-system-info');
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(toolInfo().version).toBe(pkg.version);
  });

  it('returns the same bundle while no source changed', async () => {
    const script = resolve(ROOT, 'harness/diff/system-info.ts');
    expect(await bundleOf(script, 'test-system-info')).toBe(await bundleOf(script, 'test-system-info'));
  });
});
