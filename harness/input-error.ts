/**
 * Bad input: something a case file, a profile, a bundle or a baseline asks for that
 * cannot be done as given (a port out of range, a malformed pattern, an unknown host,
 * profile or sysctl, a value the kernel refuses). One line naming the file and the
 * field. tcpladder exits 2 for it, also when it made a case fail: such a run's
 * results are incomplete, not a verdict on the kernel.
 */
export const INPUT_ERROR_CODE = 'TCPL_INPUT';

export class InputError extends Error {
  /** the mark that survives vitest's copy of a worker's error, where the class does not */
  readonly code = INPUT_ERROR_CODE;

  /** `where`: the file at fault and the field in it, e.g. `sysctls["net.ipv4.tcp_sack"]` (messages read `file: field: problem`) */
  constructor(problem: string, where?: { file: string; field?: string }) {
    super(where ? `${where.file}${where.field ? `: ${where.field}` : ''}: ${problem}` : problem);
    this.name = 'InputError';
  }
}

/** An InputError, or a copy of one (vitest's serialised errors keep `code`). */
export function isInputError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === INPUT_ERROR_CODE;
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

/**
 * Where in `file` an error was raised: the innermost frame of its stack in that file
 * (the line of the case file that asked for the bad thing), or null.
 */
export function placeIn(error: Error, file: string): { line: number; column: number } | null {
  if (!file || !error.stack) return null;
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`(?:file://)?${escaped}:(\\d+):(\\d+)`).exec(error.stack);
  return m ? { line: Number(m[1]), column: Number(m[2]) } : null;
}
