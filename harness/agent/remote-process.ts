/** host.spawn on a guest: the program is a child of the agent inside the guest. */
import { PassThrough } from 'node:stream';
import type { AgentClient } from './client.js';
import type { AgentEvent } from './protocol.js';
import { ExitEvents, type ProcessStarter, type StartedProcess } from '../stacks/process.js';

export function remoteProcesses(agent: AgentClient): ProcessStarter {
  return {
    async start(command, args, options) {
      // the agent may report the program's output and end in the same read as its pid:
      // what comes before the pid is known is kept, and replayed once it is
      const early: AgentEvent[] = [];
      let handle: (e: AgentEvent) => void = (e) => void early.push(e);
      const unsubscribe = agent.on((e) => handle(e));
      let pid: number;
      try {
        ({ pid } = await agent.request<{ pid: number }>({ op: 'spawn', command, args: [...args], env: options.env, ...(options.cwd ? { cwd: options.cwd } : {}) }));
      } catch (e) {
        unsubscribe();
        throw e;
      }
      const events = new ExitEvents();
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const end = (code: number | null, signal: NodeJS.Signals | null) => {
        unsubscribe();
        stdout.end();
        stderr.end();
        events.emit('exit', code, signal);
        events.emit('close', code, signal);
      };
      handle = (e) => {
        if (e.ev !== 'proc' || e.pid !== pid) return;
        if ('exit' in e) end(e.exit.code, e.exit.signal as NodeJS.Signals | null);
        else (e.stream === 'stdout' ? stdout : stderr).write(e.data);
      };
      for (const e of early.splice(0)) handle(e);
      // a guest that dies ends its programs with it
      agent.onFailure(() => end(null, 'SIGKILL'));
      const started: StartedProcess = {
        pid,
        stdout,
        stderr,
        once: events.once,
        signal: (signal) => agent.send({ op: 'signal', pid, signal }),
      };
      return started;
    },
  };
}
