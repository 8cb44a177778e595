/** host.spawn on a guest: the program is a child of the agent inside the guest. */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { AgentClient } from './client.js';
import type { ProcessStarter, StartedProcess } from '../stacks/process.js';

export function remoteProcesses(agent: AgentClient): ProcessStarter {
  return {
    async start(command, args, options) {
      const { pid } = await agent.request<{ pid: number }>({ op: 'spawn', command, args: [...args], env: options.env, ...(options.cwd ? { cwd: options.cwd } : {}) });
      const events = new EventEmitter();
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const unsubscribe = agent.on((e) => {
        if (e.ev !== 'proc' || e.pid !== pid) return;
        if ('exit' in e) {
          unsubscribe();
          stdout.end();
          stderr.end();
          const signal = e.exit.signal as NodeJS.Signals | null;
          events.emit('exit', e.exit.code, signal);
          events.emit('close', e.exit.code, signal);
        } else {
          (e.stream === 'stdout' ? stdout : stderr).write(e.data);
        }
      });
      // a guest that dies ends its programs with it
      agent.onFailure(() => {
        unsubscribe();
        stdout.end();
        stderr.end();
        events.emit('exit', null, 'SIGKILL');
        events.emit('close', null, 'SIGKILL');
      });
      const started: StartedProcess = {
        pid,
        stdout,
        stderr,
        once: (event, fn) => events.once(event, fn),
        signal: (signal) => agent.send({ op: 'signal', pid, signal }),
      };
      return started;
    },
  };
}
