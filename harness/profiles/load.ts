/**
 * Profiles are JSON files in cases/profiles/<name>.json. Loading one checks its
 * shape (zod), that its name matches its file, and that every sysctl it sets
 * exists on this kernel — so a typo fails before any host is made.
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

/** Parse and validate one profile file's text. `exists` says whether a sysctl key exists on this kernel. */
export function parseProfile(text: string, file: string, exists: (key: string) => boolean = (k) => existsSync(sysctlPath(k))): Profile {
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
  for (const key of Object.keys(profile.sysctls)) {
    if (!SYSCTL_KEY.test(key)) {
      throw new InputError('not a per-namespace sysctl (net.ipv4.*, net.ipv6.* or net.core.*, e.g. net.ipv4.tcp_sack)', { file, field: `sysctls[${JSON.stringify(key)}]` });
    }
    if (!exists(key)) throw new InputError(`no such sysctl on this kernel (${sysctlPath(key)} does not exist)`, { file, field: `sysctls[${JSON.stringify(key)}]` });
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
