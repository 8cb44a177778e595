/**
 * How host.spawn starts a program on a host: on a namespace host, a child of this
 * process entered into the namespace (and dying with it); in a guest, a child of the
 * agent (agent/remote-process.ts).
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
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

type ExitEvent = 'exit' | 'close';

/**
 * A program's 'exit' and 'close', for listeners added before or after they happened: a
 * short program (`ip link set …`) may end while its starter is still busy with it, and a
 * listener that came later would wait for ever.
 */
export class ExitEvents {
  private readonly seen: Partial<Record<ExitEvent, [number | null, NodeJS.Signals | null]>> = {};
  private readonly emitter = new EventEmitter();

  emit(event: ExitEvent, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.seen[event]) return;
    this.seen[event] = [code, signal];
    this.emitter.emit(event, code, signal);
  }

  readonly once = (event: ExitEvent, fn: (code: number | null, signal: NodeJS.Signals | null) => void): void => {
    const seen = this.seen[event];
    if (seen) fn(...seen);
    else this.emitter.once(event, fn);
  };
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
      const events = new ExitEvents();
      child.once('exit', (code, signal) => events.emit('exit', code, signal));
      child.once('close', (code, signal) => events.emit('close', code, signal));
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (e) => reject(new Error(`cannot start setpriv: ${e.message}`)));
      });
      await pastSetpriv(child.pid!);
      return {
        pid: child.pid!,
        stdout: child.stdout!,
        stderr: child.stderr!,
        once: events.once,
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
      };
    },
  };
}
