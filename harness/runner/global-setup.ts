/** vitest's globalSetup: run-setup.ts, loaded as one precompiled module (harness/bundle.ts importBundled). */
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { importBundled } from '../bundle.js';

type Setup = (project: TestProject) => Promise<() => Promise<void>>;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { default: runSetup } = await importBundled<{ default: Setup }>(fileURLToPath(new URL('./run-setup.ts', import.meta.url)), 'run-setup');
  return runSetup(project);
}
