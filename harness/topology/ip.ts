import { readdirSync } from 'node:fs';
import { Rtnl, netnsAdd, netnsDel, NETNS_RUN_DIR } from './netlink.js';
import { namespaceFd, homeNamespaceFd, releaseNamespace } from './netns.js';

type Op = (nl: () => Rtnl) => void;

/**
 * The `ip` commands the harness issues at case time, done in this process over
 * netlink (the same requests `ip` sends): `link set DEV up|down`, `link del DEV`,
 * and without a namespace `netns add|del NAME`. Anything else returns null and
 * goes to an `ip` process.
 */
function inProcess(line: string, ns: string | undefined): Op | null {
  const w = line.trim().split(/\s+/);
  if (w[0] === 'link' && w[1] === 'set' && w.length === 4 && (w[3] === 'up' || w[3] === 'down')) {
    return (nl) => nl().setUp(w[2], w[3] === 'up');
  }
  if (w[0] === 'link' && (w[1] === 'del' || w[1] === 'delete') && w.length === 3) {
    return (nl) => nl().delLink(w[2]);
  }
  if (!ns && w[0] === 'netns' && w.length === 3 && /^[\w.-]+$/.test(w[2])) {
    if (w[1] === 'add') return () => netnsAdd(w[2], homeNamespaceFd());
    if (w[1] === 'del' || w[1] === 'delete') {
      return () => {
        releaseNamespace(w[2]);
        netnsDel(w[2]);
      };
    }
  }
  return null;
}

/** Run `ip` commands in one process (`ip -batch`), optionally inside namespace `ns`. */
export async function ipBatch(lines: string[], ns?: string): Promise<void> {
  if (lines.length === 0) return;
  const args = ns ? ['-n', ns, '-batch', '-'] : ['-batch', '-'];
  const ops = lines.map((l) => inProcess(l, ns));
  if (ops.every((op): op is Op => op !== null)) {
    // like `ip -batch`: in order, stopping at the first command that fails
    let sock: Rtnl | null = null;
    const nl = () => (sock ??= ns ? Rtnl.open(namespaceFd(ns), homeNamespaceFd()) : Rtnl.open(null, homeNamespaceFd()));
    try {
      ops.forEach((op, i) => {
        try {
          op(nl);
        } catch (e) {
          throw new Error(`ip ${args.join(' ')} failed: ${(e as Error).message}\nCommand failed -:${i + 1}\n  commands:\n    ${lines.join('\n    ')}`);
        }
      });
    } finally {
      (sock as Rtnl | null)?.close();
    }
    return;
  }
  const { execa } = await import('execa');
  const r = await execa('ip', args, { input: lines.join('\n') + '\n', reject: false });
  if (r.exitCode !== 0) {
    throw new Error(`ip ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}\n  commands:\n    ${lines.join('\n    ')}`);
  }
}

export async function ipJson<T>(args: string[]): Promise<T> {
  const { execa } = await import('execa');
  const r = await execa('ip', ['-j', ...args]);
  return JSON.parse(r.stdout || '[]') as T;
}

/** Namespace names as `ip netns list` shows them (the entries of /run/netns). */
export async function listNamespaces(): Promise<string[]> {
  try {
    return readdirSync(NETNS_RUN_DIR).sort();
  } catch {
    return [];
  }
}
