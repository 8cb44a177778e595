/**
 * Profiles are JSON files in cases/profiles/<name>.json. Loading one checks its
 * shape (zod), that its name matches its file, that every sysctl it sets exists on
 * this kernel and that each value has the shape of the kernel's own (an integer
 * stays an integer) — so a typo or a value the kernel would refuse fails before any
 * host is made.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProfileFile, SYSCTL_KEY, type Profile } from './schema.js';
import { InputError, fieldName } from '../input-error.js';

/** cases/profiles/ of this checkout (TCPLADDER_PROFILES_DIR overrides it). */
export function profilesDir(): string {
  return process.env.TCPLADDER_PROFILES_DIR
    ? resolve(process.env.TCPLADDER_PROFILES_DIR)
    : fileURLToPath(new URL('../../cases/profiles/', import.meta.url));
}

/** Path for messages: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

export function profileNames(dir = profilesDir()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** /proc/sys path of a dotted sysctl key. */
export function sysctlPath(key: string): string {
  return `/proc/sys/${key.replace(/\./g, '/')}`;
}

/**
 * A sysctl on this kernel: null when there is none, else its value now (no value when
 * it cannot be read, e.g. write-only). The machine's own /proc/sys is only read here.
 */
export type KernelSysctl = (key: string) => { value?: string } | null;

export const kernelSysctl: KernelSysctl = (key) => {
  try {
    return { value: readFileSync(sysctlPath(key), 'utf8').trim() };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : {};
  }
};

const INTEGER = /^-?\d+$/;

/**
 * What is wrong with `value` for a sysctl whose value on this kernel is `current`, or
 * null: where the kernel holds an integer, or a vector of integers, the value must be
 * one too, of the same length (the kernel refuses anything else with EINVAL, and
 * takes a shorter vector as its first values only).
 */
export function sysctlValueProblem(value: string | number, current: string): string | null {
  const now = current.trim().split(/\s+/);
  if (!now.every((v) => INTEGER.test(v))) return null;
  const given = String(value).trim().split(/\s+/);
  if (given.length === now.length && given.every((v) => INTEGER.test(v))) return null;
  return now.length === 1
    ? `expected an integer (the kernel's value is ${now[0]}), got ${JSON.stringify(value)}`
    : `expected ${now.length} integers separated by spaces (the kernel's value is "${now.join(' ')}"), got ${JSON.stringify(value)}`;
}

/** Parse and validate one profile file's text against the sysctls of this kernel. */
export function parseProfile(text: string, file: string, kernel: KernelSysctl = kernelSysctl): Profile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, { file });
  }
  const parsed = ProfileFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(issue.message, { file, field: fieldName(issue.path) });
  }
  const profile = parsed.data;
  const stem = basename(file, '.json');
  if (profile.name !== stem) throw new InputError(`is "${profile.name}" but the file is ${stem}.json: they must match`, { file, field: 'name' });
  for (const [key, value] of Object.entries(profile.sysctls)) {
    const field = `sysctls[${JSON.stringify(key)}]`;
    if (!SYSCTL_KEY.test(key)) throw new InputError('not a per-namespace sysctl (net.ipv4.*, net.ipv6.* or net.core.*, e.g. net.ipv4.tcp_sack)', { file, field });
    const now = kernel(key);
    if (!now) throw new InputError(`no such sysctl on this kernel (${sysctlPath(key)} does not exist)`, { file, field });
    const problem = now.value === undefined ? null : sysctlValueProblem(value, now.value);
    if (problem) throw new InputError(problem, { file, field });
  }
  return { ...profile, file };
}

const cache = new Map<string, Profile>();

/** The profile called `name`; InputError when there is none or it is invalid. */
export function loadProfile(name: string, dir = profilesDir()): Profile {
  const key = `${dir}\u0000${name}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name) || !existsSync(join(dir, `${name}.json`))) {
    const known = profileNames(dir);
    throw new InputError(`unknown profile "${name}" (known: ${known.length ? known.join(', ') : 'none'})`, { file: shown(dir) });
  }
  const file = join(dir, `${name}.json`);
  const profile = parseProfile(readFileSync(file, 'utf8'), shown(file));
  cache.set(key, profile);
  return profile;
}

/** Every profile in the folder, each validated. */
export function loadProfiles(dir = profilesDir()): Profile[] {
  return profileNames(dir).map((n) => loadProfile(n, dir));
}
