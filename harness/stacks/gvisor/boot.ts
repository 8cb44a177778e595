/**
 * Starting a gVisor sandbox (Debian's `runsc`) inside its holder namespace, with the
 * agent as its one process, talking on stdin/stdout.
 *
 * runsc takes every address off the holder's `eth0` and gives the link to its netstack
 * (through AF_PACKET, with the veth's own MAC); the holder must hold nothing else.
 * This runsc refuses `--network=sandbox` wherever it finds /proc/sys/net/core (it takes
 * that for the root namespace, and Linux 6.x shows it in every namespace), so it runs in
 * a private mount namespace where that folder, as seen from the holder, is covered by an
 * empty read-only tmpfs. Not through `ip netns exec`: that remounts /sys, and runsc then
 * fails on cgroups.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { folderToShow } from '../guest-mounts.js';

export const RUNSC_BINARY = '/usr/bin/runsc';

export interface GvisorBoot {
  /** the sandbox's container id, e.g. tcpl-<run>-<pid>-g3 */
  id: string;
  /** folder for runsc's state (--root) and the OCI bundle */
  dir: string;
  holderNs: string;
  /** the agent bundle */
  agent: string;
  /** sysctls of the whole sandbox, written by the agent before it says it is ready */
  sysctls: Record<string, string>;
}

/** The project folder over the sandbox's own /tmp or /run, when it lies there. */
function shown(agent: string): { destination: string; type: string; source: string; options: string[] }[] {
  const folder = folderToShow(agent);
  return folder ? [{ destination: folder, type: 'bind', source: folder, options: ['rbind', 'ro'] }] : [];
}

function bundle(b: GvisorBoot): string {
  const dir = join(b.dir, 'bundle');
  mkdirSync(dir, { recursive: true });
  const caps = ['CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_ADMIN', 'CAP_KILL', 'CAP_SETUID', 'CAP_SETGID'];
  const sysctlArgs = Object.entries(b.sysctls).flatMap(([k, v]) => ['--sysctl', `${k}=${v}`]);
  const config = {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [process.execPath, '--enable-source-maps', b.agent, '--states', 'tcpinfo', ...sysctlArgs],
      env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/tmp'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
    },
    root: { path: '/', readonly: true },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs' },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs' },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs' },
      ...shown(b.agent),
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }, { type: 'network', path: `/run/netns/${b.holderNs}` }],
    },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 1));
  return dir;
}

function runsc(b: GvisorBoot): string[] {
  return [RUNSC_BINARY, `--root=${join(b.dir, 'state')}`, '--platform=ptrace', '--network=sandbox'];
}

/** Start the sandbox; the agent talks on the child's stdin/stdout, its errors come on stderr. */
export function bootGvisor(b: GvisorBoot): ChildProcess {
  const dir = bundle(b);
  mkdirSync(join(b.dir, 'state'), { recursive: true });
  const start = `nsenter --net=/run/netns/${b.holderNs} mount -t tmpfs -o size=4k,ro tcpladder /proc/sys/net/core && exec ${runsc(b).join(' ')} run --bundle ${dir} ${b.id}`;
  // `runsc run` dies with the pool even when the pool is killed (its sandbox: a later run's clean)
  return spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'unshare', '-m', '--propagation', 'private', 'sh', '-c', start], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
}

/** Kill the sandbox and remove its state (the `runsc run` process must have exited or be killed too). */
export function removeGvisor(b: Pick<GvisorBoot, 'id' | 'dir'>): void {
  const root = `--root=${join(b.dir, 'state')}`;
  spawnSync(RUNSC_BINARY, [root, 'kill', b.id, 'KILL'], { stdio: 'ignore', timeout: 5000 });
  spawnSync(RUNSC_BINARY, [root, 'delete', '--force', b.id], { stdio: 'ignore', timeout: 5000 });
}
