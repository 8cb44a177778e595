export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** stdout for output already encoded as UTF-8 (`show` writes hundreds of MB) */
  stdoutBytes?: (b: Uint8Array) => void;
}

export const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stdoutBytes: (b) => process.stdout.write(b),
};

/** Exit codes, the same for every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export class UsageError extends Error {}

/** Parse `--flag`, `--key value` and positionals against the flags a command knows. */
export function parseArgs(argv: string[], spec: { flags?: string[]; values?: string[]; repeatable?: string[] }) {
  const flags = new Set<string>();
  const values: Record<string, string[]> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      const [name, inline] = a.split('=', 2);
      if (spec.flags?.includes(name)) {
        if (inline !== undefined) throw new UsageError(`${name} takes no value (got ${a})`);
        flags.add(name);
      } else if (spec.values?.includes(name) || spec.repeatable?.includes(name)) {
        const v = inline ?? argv[++i];
        if (v === undefined) throw new UsageError(`${name} needs a value`);
        (values[name] ??= []).push(v);
        if (!spec.repeatable?.includes(name) && values[name].length > 1) throw new UsageError(`${name} given twice`);
      } else {
        throw new UsageError(`unknown option ${name}`);
      }
    } else {
      positionals.push(a);
    }
  }
  return { flags, values, positionals, value: (n: string) => values[n]?.[0] };
}
