/** One clear message for a bad profile: the file, the field, what is wrong. */
export class ProfileError extends Error {
  constructor(
    /** the profile file (or folder, for an unknown name) */
    readonly file: string,
    /** the field, e.g. `sysctls["net.ipv4.tcp_sack"]`; empty for the file as a whole */
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}${field ? `: ${field}` : ''}: ${problem}`);
    this.name = 'ProfileError';
  }
}

/** A zod issue path as a field name: sysctls["net.ipv4.tcp_sack"], name, cases[2].segments[0].flags. */
export function fieldName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_$][\w$]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out || '(top level)';
}
