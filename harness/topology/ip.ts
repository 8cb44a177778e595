import { execa } from 'execa';

/** Run `ip` commands in one process (`ip -batch`), optionally inside namespace `ns`. */
export async function ipBatch(lines: string[], ns?: string): Promise<void> {
  if (lines.length === 0) return;
  const args = ns ? ['-n', ns, '-batch', '-'] : ['-batch', '-'];
  const r = await execa('ip', args, { input: lines.join('\n') + '\n', reject: false });
  if (r.exitCode !== 0) {
    throw new Error(`ip ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}\n  commands:\n    ${lines.join('\n    ')}`);
  }
}

export async function ipJson<T>(args: string[]): Promise<T> {
  const r = await execa('ip', ['-j', ...args]);
  return JSON.parse(r.stdout || '[]') as T;
}

/** Namespace names as `ip netns list` shows them. */
export async function listNamespaces(): Promise<string[]> {
  const r = await execa('ip', ['netns', 'list'], { reject: false });
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
}
