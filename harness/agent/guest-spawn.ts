/**
 * host.spawn inside a guest: a program started in the case's namespace, its output and
 * exit reported as events; the whole process group is killed when the case ends.
 * Programs are forked by a small process, not by the agent (fork-server.ts says why).
 */
import { existsSync } from 'node:fs';
import { ForkServer } from './fork-server.js';
import type { AgentEvent, RequestOf } from './protocol.js';

export class GuestSpawn {
  private readonly children = new Set<number>();
  private readonly forks = new ForkServer();

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
    return this.forks.start([r.command, ...r.args], r.env ?? {}, r.cwd, ns === null ? undefined : `/run/netns/${ns}`).then(
      (child) => {
        const pid = child.pid;
        this.children.add(pid);
        child.onOutput((stream, data) => this.emit({ ev: 'proc', pid, stream, data }));
        child.onExit((exit) => {
          this.children.delete(pid);
          this.emit({ ev: 'proc', pid, exit });
        });
        return { pid };
      },
      (e: Error) => {
        throw new Error(`cannot start ${r.command} in the guest: ${e.message}`);
      },
    );
  }

  signal(pid: number, signal: string): void {
    try {
      process.kill(-pid, signal as NodeJS.Signals);
    } catch {
      // already gone
    }
  }

  killAll(): void {
    for (const pid of this.children) this.signal(pid, 'SIGKILL');
  }
}
