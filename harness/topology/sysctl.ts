import { writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { inNamespace } from './netns.js';
import { InputError } from '../input-error.js';

export type Sysctls = Record<string, string | number>;

function path(key: string): string {
  return `/proc/sys/${key.replace(/\./g, '/')}`;
}

/** Set sysctls inside namespace `ns` (a `net.*` sysctl is per namespace; null: this thread's). */
export function applySysctls(ns: string | null, sysctls: Sysctls): void {
  within(ns, () => {
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

function within<T>(ns: string | null, fn: () => T): T {
  return ns === null ? fn() : inNamespace(ns, fn);
}

const block = Buffer.alloc(4096);

/**
 * A sysctl's text in as few system calls as it takes (open, read, close): inside a guest
 * each one is a trip through ptrace, and a case reads some thirty keys per host.
 * readFileSync adds an fstat and a read that finds the end.
 */
function readSysctl(key: string): string {
  const fd = openSync(path(key), 'r');
  try {
    let text = '';
    for (;;) {
      const n = readSync(fd, block, 0, block.length, null);
      text += block.toString('utf8', 0, n);
      if (n < block.length) return text;
    }
  } finally {
    closeSync(fd);
  }
}

/** The keys this kernel has, each read on its own (one missing key leaves the rest), whitespace as single spaces. */
export function readPresentSysctls(ns: string | null, keys: Iterable<string>): Record<string, string> {
  return within(ns, () => {
    const out: Record<string, string> = {};
    for (const key of keys) {
      try {
        out[key] = readSysctl(key).trim().replace(/\s+/g, ' ');
      } catch {
        // not on this kernel
      }
    }
    return out;
  });
}
