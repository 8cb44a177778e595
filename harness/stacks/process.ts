/**
 * How host.spawn starts a program on a host: on a namespace host, a child of this
 * process entered into the namespace (and dying with it); in a guest, a child of the
 * agent (agent/remote-process.ts).
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { pastSetpriv } from '../setpriv.js';

export interface ProcessExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A started program, as host.spawn needs it. */
export interface StartedProcess {
  pid: number;
  stdout: Readable;
  stderr: Readable;
  /** 'exit' (code, signal) and 'close' (code, signal), as a ChildProcess emits them */
  once(event: 'exit' | 'close', fn: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  /** signal the program's whole process group */
  signal(signal: NodeJS.Signals): void;
}

export interface ProcessStarter {
  start(command: string, args: readonly string[], options: { env: Record<string, string>; cwd?: string }): Promise<StartedProcess>;
}

/**
 * `setpriv --pdeathsig KILL -- nsenter --net=<ns> -- cmd …`: both exec, neither forks, so
 * the child's pid is the program's pid, in a process group of its own (the case's end
 * reaches whatever it starts too), and it dies with this process even on SIGKILL.
 */
export function localProcesses(ns: string): ProcessStarter {
  return {
    async start(command, args, options) {
      const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'nsenter', `--net=/run/netns/${ns}`, '--', command, ...args], {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (e) => reject(new Error(`cannot start setpriv: ${e.message}`)));
      });
      await pastSetpriv(child.pid!);
      return Object.assign(child, {
        pid: child.pid!,
        stdout: child.stdout!,
        stderr: child.stderr!,
        signal: (sig: NodeJS.Signals) => {
          try {
            process.kill(-child.pid!, sig);
          } catch {
            try {
              child.kill(sig);
            } catch {
              // already gone
            }
          }
        },
      });
    },
  };
}
