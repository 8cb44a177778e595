/**
 * host.spawn inside a guest: a program started in the case's namespace, its output and
 * exit reported as events; the whole process group is killed when the case ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AgentEvent, RequestOf } from './protocol.js';

export class GuestSpawn {
  private readonly children = new Map<number, ChildProcess>();

  constructor(
    private readonly namespace: () => string | null,
    private readonly emit: (e: AgentEvent) => void,
  ) {}

  start(r: RequestOf<'spawn'>): Promise<{ pid: number }> {
    // spawn() names the program, not the folder, when the folder is missing
    if (r.cwd && !existsSync(r.cwd)) {
      return Promise.reject(new Error(`cannot start ${r.command} in the guest: its folder ${r.cwd} is not there (a guest's /tmp and /run are its own; of them it sees only the project's folder)`));
    }
    const ns = this.namespace();
    const argv = ns === null ? [r.command, ...r.args] : ['nsenter', `--net=/run/netns/${ns}`, '--', r.command, ...r.args];
    const child = spawn(argv[0], argv.slice(1), { env: r.env, cwd: r.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    return new Promise((resolve, reject) => {
      child.once('error', (e) => reject(new Error(`cannot start ${r.command} in the guest: ${e.message}`)));
      child.once('spawn', () => {
        const pid = child.pid!;
        this.children.set(pid, child);
        child.stdout!.setEncoding('utf8').on('data', (data: string) => this.emit({ ev: 'proc', pid, stream: 'stdout', data }));
        child.stderr!.setEncoding('utf8').on('data', (data: string) => this.emit({ ev: 'proc', pid, stream: 'stderr', data }));
        child.once('close', (code, signal) => {
          this.children.delete(pid);
          this.emit({ ev: 'proc', pid, exit: { code, signal } });
        });
        resolve({ pid });
      });
    });
  }

  signal(pid: number, signal: string): void {
    try {
      process.kill(-pid, signal as NodeJS.Signals);
    } catch {
      // already gone
    }
  }

  killAll(): void {
    for (const pid of this.children.keys()) this.signal(pid, 'SIGKILL');
  }
}
