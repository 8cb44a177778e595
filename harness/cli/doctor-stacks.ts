/**
 * tcpladder doctor's stack checks: is the stack installed (its version), and does it
 * work — a guest starts in a pool of the doctor's own, its agent answers and makes a
 * socket. Everything made (the pool's namespaces, the guest) goes before the check returns.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { startPool, leaseGuest } from '../stacks/pool/client.js';
import { AgentClient } from '../agent/client.js';
import { remoteSyscalls } from '../agent/remote-syscalls.js';
import { UML_BINARY } from '../stacks/uml/boot.js';
import { RUNSC_BINARY } from '../stacks/gvisor/boot.js';
import * as libc from '../sockets/libc.js';
import type { GuestStack } from '../stacks/index.js';
import type { CheckResult } from './doctor-checks.js';

const INSTALL: Record<GuestStack, { path: string; pkg: string; version: string[] }> = {
  uml: { path: UML_BINARY, pkg: 'user-mode-linux', version: ['--version'] },
  gvisor: { path: RUNSC_BINARY, pkg: 'runsc', version: ['--version'] },
};

export async function stackWorks(stack: GuestStack): Promise<CheckResult> {
  const i = INSTALL[stack];
  const fix = `apt-get install -y ${i.pkg} (scripts/setup installs it)`;
  if (!existsSync(i.path)) return { ok: false, detail: `${i.path} not found`, fix };
  if (process.getuid?.() !== 0) return { ok: false, detail: 'found; starting a guest needs root', fix: 'run as root: sudo tcpladder doctor' };
  const version = (spawnSync(i.path, i.version, { encoding: 'utf8' }).stdout ?? '').trim().split('\n')[0] || 'unknown version';
  const started = Date.now();
  const pool = await startPool();
  try {
    const lease = await leaseGuest(stack);
    const agent = new AgentClient(lease.channel, `${stack} guest`);
    try {
      const sys = remoteSyscalls(agent);
      const fd = await sys.socket(libc.AF_INET, libc.SOCK_STREAM);
      await sys.close(fd);
    } finally {
      agent.close();
    }
    const kernel = stack === 'uml' ? `, Linux ${lease.guest.release} inside` : '';
    return { ok: true, detail: `${version}${kernel}: a guest started and made a socket in ${((Date.now() - started) / 1000).toFixed(1)} s` };
  } catch (e) {
    return { ok: false, detail: `${version}: ${(e as Error).message.split('\n')[0]}`, fix: stack === 'uml' ? 'check /dev/shm has room (df -h /dev/shm) and that ptrace is allowed' : 'check runsc works here: runsc --platform=ptrace do true' };
  } finally {
    await pool.stop();
  }
}
