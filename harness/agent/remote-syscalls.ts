/** A guest's system calls: each one made by the agent inside the guest (agent.ts). */
import type { Syscalls } from '../sockets/syscalls.js';
import type { AgentClient } from './client.js';
import type { SysArg } from './protocol.js';

type Arg = number | string | Buffer | null | undefined;

function encode(a: Arg): SysArg {
  if (a === undefined) return null;
  return Buffer.isBuffer(a) ? { b64: a.toString('base64') } : a;
}

function decode(v: unknown): unknown {
  return v !== null && typeof v === 'object' && 'b64' in v ? Buffer.from((v as { b64: string }).b64, 'base64') : v;
}

export function remoteSyscalls(agent: AgentClient): Syscalls {
  /** `inKernel`, for a call that may block: when the agent says it is making it */
  const request = async <T>(name: string, args: Arg[], inKernel?: () => void): Promise<T> => {
    // trailing optional arguments left out stay out: the agent applies the same defaults
    while (args.length && args[args.length - 1] === undefined) args.pop();
    return decode(await agent.request({ op: 'sys', call: name, args: args.map(encode), ...(inKernel ? { began: true } : {}) }, undefined, inKernel)) as T;
  };
  const call = <T>(name: string, ...args: Arg[]): Promise<T> => request<T>(name, args);
  return {
    socket: (domain, type, protocol) => call('socket', domain, type, protocol),
    setsockopt: (fd, level, name, value, label) => call('setsockopt', fd, level, name, value, label),
    getsockopt: (fd, level, name, size, label) => call('getsockopt', fd, level, name, size, label),
    bind: (fd, addr) => call('bind', fd, addr),
    listen: (fd, backlog) => call('listen', fd, backlog),
    connect: (fd, addr) => call('connect', fd, addr),
    accept: (fd) => call('accept', fd),
    recv: (fd, max, flags) => call('recv', fd, max, flags),
    send: (fd, data, flags) => call('send', fd, data, flags),
    shutdown: (fd, how) => call('shutdown', fd, how),
    close: (fd, inKernel) => request('close', [fd], inKernel),
    poll: (fd, events, ms, inKernel) => request('poll', [fd, events, ms], inKernel),
    names: async (fd) => {
      const n = await call<{ local: unknown; remote: unknown }>('names', fd);
      return { local: decode(n.local) as Buffer | null, remote: decode(n.remote) as Buffer | null };
    },
    fcntl: (fd, cmd, arg) => call('fcntl', fd, cmd, arg),
    ioctlInt: (fd, request) => call('ioctlInt', fd, request),
    closeNow: (fd) => agent.send({ op: 'sys', call: 'close', args: [fd] }),
  };
}
