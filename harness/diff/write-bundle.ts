/** captures/<run>/bundle.json, written at the end of every run from the cases' trace.json files. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseTrace } from '../trace/types.js';
import { readTraces } from '../trace/read.js';
import { loadProfile, runProfile } from '../profiles/index.js';
import type { Bundle } from './bundle-schema.js';
import { buildBundle } from './build-bundle.js';
import { systemInfo, toolInfo } from './system-info.js';
import { jsonText } from './json-text.js';

export const BUNDLE_FILE = 'bundle.json';

/** trace.json of every case folder in `runDir`, in folder order. */
export function readRunTraces(runDir: string): CaseTrace[] {
  return readTraces(runDir).map((t) => t.trace);
}

function describeProfile(name: string): Bundle['profiles'][string] | undefined {
  try {
    const p = loadProfile(name);
    return { description: p.description, sysctls: p.sysctls };
  } catch {
    return undefined;
  }
}

export function bundleText(bundle: Bundle): string {
  return jsonText(bundle) + '\n';
}

/**
 * Write `runDir`/bundle.json from the run's traces (read from `runDir` unless the caller
 * has them already); returns the bundle, or null when the run has no case traces.
 */
export function writeBundle(runDir: string, meta: { run: string; createdAt?: Date; profile?: string | null }, traces: CaseTrace[] = readRunTraces(runDir)): Bundle | null {
  if (!traces.length) return null;
  const bundle = buildBundle(traces, {
    run: meta.run,
    createdAt: (meta.createdAt ?? new Date()).toISOString(),
    tool: toolInfo(),
    system: systemInfo(),
    profile: meta.profile === undefined ? runProfile() : meta.profile,
    describeProfile,
  });
  writeFileSync(join(runDir, BUNDLE_FILE), bundleText(bundle));
  return bundle;
}
