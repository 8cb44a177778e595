import { writeFileSync, readFileSync } from 'node:fs';
import { inNamespace } from './netns.js';

export type Sysctls = Record<string, string | number>;

function path(key: string): string {
  return `/proc/sys/${key.replace(/\./g, '/')}`;
}

/** Set sysctls inside namespace `ns` (a `net.*` sysctl is per namespace). */
export function applySysctls(ns: string, sysctls: Sysctls): void {
  inNamespace(ns, () => {
    for (const [key, value] of Object.entries(sysctls)) {
      try {
        writeFileSync(path(key), String(value));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new Error(code === 'ENOENT' ? `unknown sysctl ${key}` : `cannot set sysctl ${key}=${value}: ${code}`);
      }
    }
  });
}

export function readSysctls(ns: string, keys: string[]): Sysctls {
  return inNamespace(ns, () => Object.fromEntries(keys.map((k) => [k, readFileSync(path(k), 'utf8').trim()])));
}
