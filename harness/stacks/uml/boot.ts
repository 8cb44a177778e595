/**
 * Booting a User-Mode Linux guest (Debian's `user-mode-linux`, Linux 6.1) as a process
 * inside its holder namespace: its NIC vec0 is the raw vector transport on the holder's
 * `eth0` (the guest owns the addresses; the holder's end carries none), its root file
 * system is the host's /, read-only, and its console goes to stdout. The agent listens
 * on a second NIC, vec1 on the holder's `m0`, whose peer `m1` the pool connects from:
 * TCP there has a round trip under a millisecond and carries megabytes a second, where
 * a serial line (ssl0 on host descriptors) answered in 4–13 ms and lost data past a few kB.
 *
 *   linux.uml umid=ID uml_dir=DIR mem=256M rootfstype=hostfs rootflags=/ ro
 *     init=init.sh con=null ssl=null con0=null,fd:1
 *     vec0:transport=raw,ifname=eth0,mac=MAC vec1:transport=raw,ifname=m0,mac=…
 *     TCPL_NODE=… TCPL_AGENT=… TCPL_CONTROL=vec1,169.254.77.2/30,7077
 *
 * mem is pinned: the window scale a guest announces depends on its memory.
 */
import { folderToShow } from '../guest-mounts.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const UML_BINARY = '/usr/bin/linux.uml';
/** A guest's memory: the window scale it announces depends on it (256M: wscale 5). TCPLADDER_UML_MEM changes it. */
export const UML_MEMORY = process.env.TCPLADDER_UML_MEM ?? '256M';

/**
 * The control link in every holder namespace: the guest's vec1 sits on m0, the pool
 * talks from m1. Link-local addresses: the link never leaves the holder.
 */
export const CONTROL = { hostLink: 'm0', poolLink: 'm1', mac: '02:74:6d:00:00:02', pool: '169.254.77.1', guest: '169.254.77.2', port: 7077 };

export interface UmlBoot {
  /** the guest's name (umid), e.g. tcpl-<run>-<pid>-g3 */
  id: string;
  /** folder for UML's own files (mconsole socket, pid) */
  dir: string;
  /** the holder namespace, as in /run/netns */
  holderNs: string;
  /** the holder's veth end the guest sends and receives on */
  ifname: string;
  mac: string;
  /** the agent bundle (a path the guest sees: the host's / is its /) */
  agent: string;
  /** the guest's init, harness/stacks/uml/init.sh */
  init: string;
}

/** Start the guest; the caller reads its console on stdout and connects to the agent on the control link. */
export function bootUml(b: UmlBoot): ChildProcess {
  mkdirSync(b.dir, { recursive: true });
  const kernelArgs = [
    `umid=${b.id}`,
    `uml_dir=${b.dir}`,
    `mem=${UML_MEMORY}`,
    'rootfstype=hostfs',
    'rootflags=/',
    'ro',
    `init=${b.init}`,
    'con=null',
    'ssl=null',
    'con0=null,fd:1',
    `vec0:transport=raw,ifname=${b.ifname},mac=${b.mac}`,
    `vec1:transport=raw,ifname=${CONTROL.hostLink},mac=${CONTROL.mac}`,
    `TCPL_NODE=${process.execPath}`,
    `TCPL_AGENT=${b.agent}`,
    `TCPL_CONTROL=vec1,${CONTROL.guest}/30,${CONTROL.port}`,
    ...(folderToShow(b.agent) ? [`TCPL_SHOW=${folderToShow(b.agent)}`] : []),
  ];
  // `ip netns exec` without a process of its own: nsenter into the holder's namespace; the
  // guest dies with the pool even when the pool is killed (its helpers: a later run's clean)
  return spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'nsenter', `--net=/run/netns/${b.holderNs}`, '--', UML_BINARY, ...kernelArgs], {
    // the guest's memory is a file in TMPDIR: /dev/shm, as UML wants
    env: { ...process.env, TMPDIR: '/dev/shm' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group: UML starts helper processes, and they go with it
    detached: true,
  });
}

export function umlDir(stateDir: string, id: string): string {
  return join(stateDir, 'uml', id);
}
