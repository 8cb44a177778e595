/**
 * May this process make tcpladder's hosts? As the machine's root: yes, with every
 * observer. Rootless (TCPLADDER_ROOTLESS=1, set by `tcpladder run` when it re-runs
 * itself inside `unshare --user --map-root-user --net --mount`): yes, as root of that
 * user namespace, with states sampled through sock_diag (tracefs needs the real root).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function rootless(): boolean {
  return process.env.TCPLADDER_ROOTLESS === '1';
}

/** Is this the initial user namespace (the real root's), rather than one made by unshare? */
function initialUserNamespace(): boolean {
  try {
    const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
    // the initial user namespace maps all 2^32 - 1 ids from 0
    return map[0] === '0' && map[1] === '0' && map[2] === '4294967295';
  } catch {
    return true; // no /proc/self/uid_map: a kernel without user namespaces
  }
}

/** Is this the machine's real root, for whom every observer works? */
export function realRoot(): boolean {
  return process.getuid?.() === 0 && initialUserNamespace();
}

export function privilegeProblem(): string | null {
  if (rootless()) {
    return process.getuid?.() === 0 ? null : 'TCPLADDER_ROOTLESS=1 is set but this process is not root of a user namespace (let `tcpladder run --rootless` set it)';
  }
  if (process.getuid?.() !== 0) return 'needs root for network namespaces, veth links and tracefs (try sudo, or tcpladder run --rootless; tcpladder doctor checks the rest)';
  if (!initialUserNamespace()) {
    return 'runs as root of a user namespace: namespaces and capture would work, but kernel tracepoints (tracefs) need the real root (use tcpladder run --rootless, see docs/RELIABILITY.md, least privilege)';
  }
  return null;
}

/**
 * Can this user (or, from root, user `asUid`) make a user namespace with a network and
 * mount namespace of its own? Null if so; else what stops it and the fix.
 */
export function userNamespaceProblem(asUid?: number): { why: string; fix: string } | null {
  const probe = ['unshare', '--user', '--map-root-user', '--net', '--mount', 'true'];
  const [cmd, ...args] = asUid === undefined ? probe : ['setpriv', `--reuid=${asUid}`, `--regid=${asUid}`, '--clear-groups', '--', ...probe];
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return { why: `${cmd} not found`, fix: 'apt-get install -y util-linux' };
  if (r.status === 0) return null;
  const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0];
  const knobs = [
    ['/proc/sys/kernel/unprivileged_userns_clone', '0', 'sysctl -w kernel.unprivileged_userns_clone=1'],
    ['/proc/sys/user/max_user_namespaces', '0', 'sysctl -w user.max_user_namespaces=15000'],
    ['/proc/sys/kernel/apparmor_restrict_unprivileged_userns', '1', 'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0'],
  ];
  for (const [file, off, fix] of knobs) {
    try {
      if (readFileSync(file, 'utf8').trim() === off) return { why: `user namespaces are off for unprivileged users (${file} is ${off}): ${why}`, fix: `${fix} (as root), or run tcpladder with sudo` };
    } catch {
      // this kernel has no such knob
    }
  }
  return { why: `cannot make a user namespace: ${why}`, fix: 'run tcpladder with sudo' };
}
