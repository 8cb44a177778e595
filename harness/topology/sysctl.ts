import { writeFileSync, readFileSync } from 'node:fs';
import { inNamespace } from './netns.js';
import { InputError } from '../input-error.js';

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
        if (code === 'ENOENT') throw new InputError(`unknown sysctl ${key}`);
        const message = `cannot set sysctl ${key}=${value}: ${code}`;
        // EINVAL: the kernel refuses the value itself; anything else (EPERM …) is not the input's fault
        throw code === 'EINVAL' ? new InputError(message) : new Error(message);
      }
    }
  });
}

export function readSysctls(ns: string, keys: string[]): Sysctls {
  return inNamespace(ns, () => Object.fromEntries(keys.map((k) => [k, readFileSync(path(k), 'utf8').trim()])));
}
