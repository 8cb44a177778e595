/**
 * The vite plugin that gives case files and .pkt scripts the harness as one precompiled
 * module (harness/case-entry.ts, bundled), loaded by Node itself. Through vite's module
 * runner the same sources were transformed one by one and kept, in the worker that ran
 * them and in vitest's main process that transformed them (docs/PERFORMANCE.md, Peak
 * memory). The project's own tests (test/) and the harness keep
 * importing the sources, so that a test never holds two copies of one module.
 */
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleOf } from '../bundle.js';

const HARNESS = fileURLToPath(new URL('..', import.meta.url));
const ROOT = dirname(HARNESS.replace(/\/$/, ''));
const ENTRIES = new Set([inHarness('index.ts'), inHarness('case-entry.ts')]);

function inHarness(file: string): string {
  return resolve(HARNESS, file);
}

export interface CaseBundlePlugin {
  name: string;
  enforce: 'pre';
  resolveId(source: string, importer: string | undefined): string | null;
}

function importsHarness(source: string, importer: string): boolean {
  if (!source.startsWith('.') && !source.startsWith('/')) return false;
  const target = resolve(dirname(importer.split('?')[0]), source).replace(/\.js$/, '.ts');
  return ENTRIES.has(target);
}

function ownCode(importer: string): boolean {
  const path = importer.split('?')[0];
  return [inHarness('') + sep, resolve(ROOT, 'test') + sep].some((dir) => path.startsWith(dir)) || path.includes(`${sep}node_modules${sep}`);
}

/** The plugin, or null when the bundle cannot be built (esbuild missing, cache not writable): sources then, as before. */
export async function caseBundlePlugin(): Promise<CaseBundlePlugin | null> {
  if (process.env.TCPLADDER_CASE_SOURCES === '1') return null;
  const bundle = await bundleOf(inHarness('case-entry.ts'), 'cases');
  if (!bundle) return null;
  return {
    name: 'tcpladder-case-bundle',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || ownCode(importer) || !importsHarness(source, importer)) return null;
      return bundle;
    },
  };
}
