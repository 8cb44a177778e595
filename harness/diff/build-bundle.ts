/**
 * A run's traces → its bundle: cases normalised and sorted by id; each sysctl's most
 * common value written once at the top, each host keeping only the values where it
 * differs (a profile or a case's own sysctls).
 */
import type { CaseTrace } from '../trace/types.js';
import { BUNDLE_FORMAT, BUNDLE_VERSION, type Bundle, type BundleCase } from './bundle-schema.js';
import { normaliseCase } from './normalise-case.js';

export interface BundleMeta {
  run: string;
  createdAt: string;
  tool: Bundle['tool'];
  system: Bundle['system'];
  /** the run-wide profile, null when none */
  profile: string | null;
  /** a profile's definition by name; undefined when it cannot be found */
  describeProfile: (name: string) => Bundle['profiles'][string] | undefined;
}

function byKey<T>(entries: [string, T][]): Record<string, T> {
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Each sysctl's most common value over every host that recorded sysctls (ties: the smaller value). */
function commonSysctls(cases: BundleCase[]): Record<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const c of cases) {
    for (const h of c.hosts) {
      for (const [k, v] of Object.entries(h.sysctls ?? {})) {
        const values = counts.get(k) ?? new Map<string, number>();
        values.set(v, (values.get(v) ?? 0) + 1);
        counts.set(k, values);
      }
    }
  }
  const common: [string, string][] = [];
  for (const [k, values] of counts) {
    const [best] = [...values].sort(([va, na], [vb, nb]) => nb - na || (va < vb ? -1 : va > vb ? 1 : 0));
    common.push([k, best[0]]);
  }
  return byKey(common);
}

/** Uniquify ids of cases that share a name and family (in different files). */
function uniqueIds(cases: BundleCase[]): void {
  const seen = new Map<string, number>();
  for (const c of cases) seen.set(c.id, (seen.get(c.id) ?? 0) + 1);
  for (const c of cases) if ((seen.get(c.id) ?? 0) > 1) c.id = `${c.id} (${c.file})`;
}

export function buildBundle(traces: readonly CaseTrace[], meta: BundleMeta): Bundle {
  const cases = traces.map(normaliseCase);
  uniqueIds(cases);
  cases.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const sysctls = commonSysctls(cases);
  for (const c of cases) {
    for (const h of c.hosts) {
      if (!h.sysctls) continue;
      const own = Object.entries(h.sysctls).filter(([k, v]) => sysctls[k] !== v);
      if (own.length) h.sysctls = byKey(own);
      else delete h.sysctls;
    }
  }
  const used = new Set<string>();
  if (meta.profile) used.add(meta.profile);
  for (const c of cases) for (const h of c.hosts) if (h.profile) used.add(h.profile);
  const profiles: Bundle['profiles'] = {};
  for (const name of [...used].sort()) {
    const def = meta.describeProfile(name);
    if (def) profiles[name] = def;
  }
  return {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    run: meta.run,
    createdAt: meta.createdAt,
    tool: meta.tool,
    system: meta.system,
    profile: meta.profile,
    profiles,
    sysctls,
    ...(traces.some((t) => t.states?.source === 'sampled' || t.hosts.some((h) => h.states !== undefined && h.states !== 'traced')) ? { states: 'sampled' as const } : {}),
    ...(stacksOf(traces) ? { stacks: stacksOf(traces)! } : {}),
    cases,
  };
}

/** The stacks the traces' hosts ran, with their versions; null when only linux (bundles from before stacks look the same). */
function stacksOf(traces: readonly CaseTrace[]): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const t of traces) for (const h of t.hosts) if (h.stack) out[h.stack] ??= h.version ?? '';
  const names = Object.keys(out).sort();
  return names.length === 0 || (names.length === 1 && names[0] === 'linux') ? null : Object.fromEntries(names.map((n) => [n, out[n]]));
}

/** Effective sysctls of one host of a case: the bundle's common values with the host's own on top. */
export function hostSysctls(bundle: Bundle, host: BundleCase['hosts'][number]): Record<string, string> {
  return { ...bundle.sysctls, ...(host.sysctls ?? {}) };
}
