/**
 * Which profile and which sysctls each host of a case gets: the profile the case
 * pins for that host, else the run-wide default (TCPLADDER_PROFILE, set by
 * `tcpladder run --profile NAME`), then the case's explicit sysctls on top.
 */
import { loadProfile } from './load.js';
import { InputError } from '../input-error.js';

export type SysctlMap = Record<string, string | number>;

/** A profile for every host (`'rfc1337'`) or per host name (`{ server: 'rfc1337' }`). */
export type ProfilePin = string | Record<string, string>;

export interface HostProfile {
  /** the profile in force, or null when none was asked for (the kernel's defaults) */
  profile: string | null;
  /** the sysctls to apply: the profile's, then the case's own */
  sysctls: SysctlMap;
}

/** The run-wide profile from the environment, or null. */
export function runProfile(env: NodeJS.ProcessEnv = process.env): string | null {
  const name = env.TCPLADDER_PROFILE?.trim();
  return name ? name : null;
}

export function resolveHostProfiles(
  names: string[],
  pin: ProfilePin | undefined,
  explicit: Record<string, SysctlMap> | undefined,
  runDefault: string | null = runProfile(),
): Record<string, HostProfile> {
  if (pin !== undefined && typeof pin !== 'string') {
    for (const host of Object.keys(pin)) {
      if (!names.includes(host)) throw new InputError(`hosts(): profile for unknown host "${host}" (hosts: ${names.join(', ')})`);
    }
  }
  const out: Record<string, HostProfile> = {};
  for (const host of names) {
    const name = typeof pin === 'string' ? pin : (pin?.[host] ?? runDefault);
    const profile = name === null ? null : loadProfile(name);
    out[host] = {
      profile: profile?.name ?? null,
      sysctls: { ...(profile?.sysctls ?? {}), ...(explicit?.[host] ?? {}) },
    };
  }
  return out;
}
