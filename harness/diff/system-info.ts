/** What a bundle says about the machine it was made on: kernel, distribution, tool. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { machine, release, version } from 'node:os';
import type { Bundle } from './bundle-schema.js';

/** KEY=value lines of /etc/os-release (values may be quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2];
    if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1).replace(/\\(["'\\$`])/g, '$1');
    out[m[1]] = v;
  }
  return out;
}

export function distribution(osRelease = '/etc/os-release'): Bundle['system']['distribution'] {
  let fields: Record<string, string> = {};
  try {
    fields = parseOsRelease(readFileSync(osRelease, 'utf8'));
  } catch {
    // no os-release: say so rather than guess
  }
  return { id: fields.ID ?? 'unknown', versionId: fields.VERSION_ID ?? 'unknown', prettyName: fields.PRETTY_NAME ?? 'unknown' };
}

export function systemInfo(): Bundle['system'] {
  return { kernelRelease: release(), kernelVersion: version(), machine: machine(), distribution: distribution() };
}

export function toolInfo(): Bundle['tool'] {
  const pkg = createRequire(import.meta.url)('../../package.json') as { name: string; version: string };
  return { name: pkg.name, version: pkg.version, node: process.version };
}
