/**
 * Booting a User-Mode Linux guest (Debian's `user-mode-linux`, Linux 6.1) as a process
 * inside its holder namespace: its NIC is the raw vector transport on the holder's
 * `eth0` (the guest owns the addresses; the holder's end carries none), its root file
 * system is the host's /, read-only, its serial line ttyS0 is the agent's channel
 * (host fds 3 → guest, guest → 4), and its console goes to stdout.
 *
 *   linux.uml umid=ID uml_dir=DIR mem=256M rootfstype=hostfs rootflags=/ ro
 *     init=init.sh con=null ssl=null con0=null,fd:1 ssl0=fd:3,fd:4
 *     vec0:transport=raw,ifname=eth0,mac=MAC TCPL_NODE=… TCPL_AGENT=…
 *
 * mem is pinned: the window scale a guest announces depends on its memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const UML_BINARY = '/usr/bin/linux.uml';
export const UML_MEMORY = '256M';

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

/** Start the guest; the caller reads its console on stdout and talks to the agent on stdio 3/4. */
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
    'ssl0=fd:3,fd:4',
    `vec0:transport=raw,ifname=${b.ifname},mac=${b.mac}`,
    `TCPL_NODE=${process.execPath}`,
    `TCPL_AGENT=${b.agent}`,
  ];
  // `ip netns exec` without a process of its own: nsenter into the holder's namespace
  return spawn('nsenter', [`--net=/run/netns/${b.holderNs}`, '--', UML_BINARY, ...kernelArgs], {
    // the guest's memory is a file in TMPDIR: /dev/shm, as UML wants
    env: { ...process.env, TMPDIR: '/dev/shm' },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    // its own process group: UML starts helper processes, and they go with it
    detached: true,
  });
}

export function umlDir(stateDir: string, id: string): string {
  return join(stateDir, 'uml', id);
}
