/**
 * The script's system calls on the local host (through its Syscalls, so on any
 * stack), with packetdrill's semantics: script fds map to live descriptors, `...`
 * addresses are the run's, results and errno are compared as end_syscall does.
 * Live descriptors are always non-blocking; a call on a socket the script left
 * blocking is tried, and on EAGAIN waits with poll() in short slices.
 */
import { encodeSockaddr, SocketError, tcpInfoFields, TCP_INFO_MAX_SIZE, type Syscalls } from '../sockets/index.js';
import type { Expr, SyscallSpec } from './ast.js';
import type { ExecState } from './exec-state.js';
import type { ScriptSocket } from './script-socket.js';
import { describeErrno, errnoName, errnoNumber, sameErrno, SYMBOLS } from './symbols.js';
import { recvNull, sendmsgNow, sendNull } from './raw-io.js';
import { ArgError, bracketedInt, bufferArg, describeExpr, expectArgs, intValue, isEllipsis, structFields } from './values.js';

/** A call that did not do what the script says: packetdrill's text, without `file:line:`. */
export class CallMismatch extends Error {}
/** Valid packetdrill tcpladder does not run. */
export class CallUnsupported extends Error {}

export interface Outcome {
  result: number;
  errno?: string;
}

export interface CallOptions {
  /** the call may block as long as it needs (written with `...`); else it may wait only `waitLimitMs` */
  mayBlock: boolean;
  waitLimitMs: number;
  /** called when the call starts to wait (packetdrill's main thread goes on once its call blocks) */
  onBlocked?: () => void;
  /**
   * set by the call: until when (monotonic ns) it surely still had to wait. What it
   * waited for happened after that, however late tcpladder noticed its end.
   */
  notReadyUntil?: bigint;
}

type Check = 'exact' | 'fd';

interface Handled {
  outcome: Outcome;
  check: Check;
  /** after the result matched: effects on the script's state and extra checks (getsockopt values, poll revents) */
  after?: () => void | Promise<void>;
}

const POLL_SLICE_MS = 25;
const S = SYMBOLS;

export async function runSyscall(st: ExecState, spec: SyscallSpec, opts: CallOptions): Promise<Outcome> {
  const handler = HANDLERS[spec.name];
  if (!handler) throw new CallUnsupported(`system call ${spec.name}() (tcpladder runs ${SYSCALL_NAMES.join(', ')})`);
  const h = await handler(new Call(st, spec, opts));
  checkResult(spec, h.outcome, h.check);
  await h.after?.();
  return h.outcome;
}

function checkResult(spec: SyscallSpec, o: Outcome, check: Check): void {
  const got = o.result < 0 && o.errno ? `${o.result} with errno ${describeErrno(o.errno)}` : String(o.result);
  if (!isEllipsis(spec.result)) {
    const expected = intValue(spec.result, 'the result');
    if (check === 'fd' && expected >= 0) {
      if (o.result < 0) throw new CallMismatch(`Expected non-negative result but got ${got}`);
    } else if (o.result !== expected) {
      throw new CallMismatch(`Expected result ${expected} but got ${got}`);
    }
  }
  if (spec.errno) {
    if (errnoNumber(spec.errno.name) === undefined) throw new ArgError(`unknown errno ${spec.errno.name}`);
    if (!o.errno || !sameErrno(o.errno, spec.errno.name)) {
      throw new CallMismatch(`Expected errno ${describeErrno(spec.errno.name)} but got ${o.errno ? describeErrno(o.errno) : '0 (Success)'}`);
    }
  }
}

/** One call being run: its arguments, its socket, and how long it may wait. */
class Call {
  constructor(
    readonly st: ExecState,
    readonly spec: SyscallSpec,
    readonly opts: CallOptions,
  ) {}

  get sys(): Syscalls {
    return this.st.sys;
  }

  arg(i: number): Expr {
    return this.spec.args[i];
  }

  args(n: number): void {
    expectArgs(this.spec.args, n, this.spec.name);
  }

  int(i: number, what: string): number {
    return intValue(this.arg(i), what);
  }

  /** The socket of the script fd in argument `i`. */
  socket(i = 0): ScriptSocket {
    const fd = this.int(i, 'fd');
    const s = this.st.fds.get(fd);
    if (!s || s.closed) throw new CallMismatch(`unable to find fd with script fd ${fd}`);
    return s;
  }

  /** Wait until the descriptor is ready; a call not written with `...` may wait only a little. */
  async ready(fd: number, events: number): Promise<number> {
    const start = Date.now();
    // blocked from when the first slice is being waited (a guest's: a control-link trip later)
    let inKernel = this.opts.onBlocked;
    for (;;) {
      if (this.st.signal.aborted) throw new Error(`${this.spec.name}() was still waiting when the case ended`);
      const sliceStart = process.hrtime.bigint();
      const revents = await this.sys.poll(fd, events | S.POLLERR | S.POLLHUP, POLL_SLICE_MS, inKernel);
      inKernel = undefined;
      if (revents) return revents;
      // a slice that timed out: the socket was not ready when it began (taken as the
      // bound, not its end: under load a slice's own start and end are known only roughly)
      this.opts.notReadyUntil = sliceStart;
      if (!this.opts.mayBlock && Date.now() - start > this.opts.waitLimitMs) {
        throw new CallMismatch(
          `${this.spec.name}() blocked for more than ${this.opts.waitLimitMs} ms; a call the script expects to block is written with its return time (+0...0.1 ${this.spec.name}(...))`,
        );
      }
    }
  }

  /** A live call: its result, or -1 and the errno it failed with. */
  async attempt(fn: () => Promise<number>): Promise<Outcome> {
    try {
      return { result: await fn() };
    } catch (e) {
      if (e instanceof SocketError) return { result: -1, errno: e.code };
      throw e;
    }
  }

  /** A sockaddr argument: `...` means the run's address and port; a struct names them (script addresses map to live ones). */
  address(e: Expr, fallback: { address: string; port: number }): Buffer {
    if (isEllipsis(e)) return encodeSockaddr(fallback);
    const f = structFields(e, 'the address');
    const port = f.get('sin_port') ?? f.get('sin6_port');
    const addr = f.get('sin_addr') ?? f.get('sin6_addr');
    return encodeSockaddr({ address: addr ? this.liveAddress(addr) : fallback.address, port: port ? intValue(port, 'the port') : fallback.port });
  }

  private liveAddress(e: Expr): string {
    if (e.kind === 'word' && e.name === 'INADDR_ANY') return this.st.net.domain === S.AF_INET6 ? '::' : '0.0.0.0';
    if (e.kind !== 'call' || !/^inet6?_addr$/.test(e.name) || e.args[0]?.kind !== 'string') {
      throw new ArgError(`expected inet_addr("…") or inet6_addr("…") for the address, got ${describeExpr(e)}`);
    }
    const written = e.args[0].value;
    const net = this.st.net;
    if (net.scriptLocal.includes(written)) return net.local;
    if (net.scriptRemote.includes(written)) return net.remote;
    if (written === '0.0.0.0' || written === '::') return net.domain === S.AF_INET6 ? '::' : '0.0.0.0';
    throw new CallUnsupported(`address ${written}: scripts may name the local and the remote address (${[...net.scriptLocal, ...net.scriptRemote].join(', ')}) or the wildcard`);
  }

  /** A blocking call on a blocking socket: retry `fn` (null = would block) after waiting for `events`. */
  async blockingLoop(s: ScriptSocket, events: number, dontWait: boolean, fn: () => Promise<number | null>): Promise<Outcome> {
    for (;;) {
      const o = await this.attempt(async () => (await fn()) ?? Number.NaN);
      if (!Number.isNaN(o.result)) return o;
      if (!s.blocking || dontWait) return { result: -1, errno: 'EAGAIN' };
      await this.ready(s.liveFd, events);
    }
  }
}

type Handler = (c: Call) => Promise<Handled>;

const HANDLERS: Record<string, Handler> = {
  async socket(c) {
    c.args(3);
    const domain = isEllipsis(c.arg(0)) ? c.st.net.domain : c.int(0, 'domain');
    const type = c.int(1, 'type');
    const protocol = c.int(2, 'protocol');
    if ((type & 0xf) !== S.SOCK_STREAM) throw new CallUnsupported('socket types other than SOCK_STREAM (tcpladder runs TCP)');
    const outcome = await c.attempt(() => c.sys.socket(domain, S.SOCK_STREAM, protocol));
    return {
      outcome,
      check: 'fd',
      after: () => {
        if (outcome.result < 0) return;
        const scriptFd = intValue(c.spec.result, 'the result');
        if (c.st.fds.get(scriptFd)?.closed === false) throw new CallMismatch(`duplicate fd ${scriptFd} in script`);
        const s = c.st.newSocket('new');
        s.blocking = (type & S.SOCK_NONBLOCK) === 0;
        c.st.bindFd(s, scriptFd, outcome.result);
        c.st.underTest = s;
      },
    };
  },

  async bind(c) {
    c.args(3);
    const s = c.socket();
    const addr = c.address(c.arg(1), { address: c.st.net.local, port: c.st.net.bindPort });
    const outcome = await c.attempt(async () => (await c.sys.bind(s.liveFd, addr), 0));
    return { outcome, check: 'exact', after: () => c.st.refreshTuple(s) };
  },

  async listen(c) {
    c.args(2);
    const s = c.socket();
    const backlog = c.int(1, 'backlog');
    const outcome = await c.attempt(async () => (await c.sys.listen(s.liveFd, backlog), 0));
    return {
      outcome,
      check: 'exact',
      after: async () => {
        s.phase = 'listening';
        await c.st.refreshTuple(s);
      },
    };
  },

  async accept(c) {
    c.args(3);
    const s = c.socket();
    const outcome = await c.blockingLoop(s, S.POLLIN, false, () => c.sys.accept(s.liveFd));
    return {
      outcome,
      check: 'fd',
      after: async () => {
        if (outcome.result < 0) return;
        const child = c.st.sockets.find((x) => x.liveFd < 0 && (x.phase === 'passive-synack-sent' || x.phase === 'passive-synack-acked'));
        if (!child) {
          c.sys.closeNow(outcome.result);
          throw new CallMismatch('unable to find socket matching accept() call');
        }
        child.accepted = true;
        c.st.bindFd(child, intValue(c.spec.result, 'the result'), outcome.result);
        await c.st.refreshTuple(child);
      },
    };
  },

  async connect(c) {
    c.args(3);
    const s = c.socket();
    const unspec = !isEllipsis(c.arg(1)) && c.arg(1).kind !== 'struct';
    const addr = unspec ? unspecAddress(c.int(1, 'the address family')) : c.address(c.arg(1), { address: c.st.net.remote, port: c.st.net.connectPort });
    if (unspec) s.phase = 'new';
    else if (s.phase === 'new') {
      s.phase = 'active-connecting';
      s.remotePort = addr.readUInt16BE(2);
    }
    const outcome = await c.attempt(async () => {
      if (await c.sys.connect(s.liveFd, addr)) return 0;
      if (!s.blocking) throw new SocketError('EINPROGRESS', 'connect');
      await c.ready(s.liveFd, S.POLLOUT);
      const err = (await c.sys.getsockopt(s.liveFd, S.SOL_SOCKET, S.SO_ERROR, 4)).readInt32LE(0);
      if (err) throw new SocketError(errnoName(err), 'connect');
      return 0;
    });
    return { outcome, check: 'exact', after: () => c.st.refreshTuple(s) };
  },

  read: (c) => receive(c, 3),
  recv: (c) => receive(c, 4),
  recvfrom: (c) => receive(c, 6),
  write: (c) => transmit(c, 3),
  send: (c) => transmit(c, 4),
  sendto: (c) => transmit(c, 6),
  sendmsg,

  async shutdown(c) {
    c.args(2);
    const s = c.socket();
    const how = c.int(1, 'how');
    return { outcome: await c.attempt(async () => (await c.sys.shutdown(s.liveFd, how), 0)), check: 'exact' };
  },

  async close(c) {
    c.args(1);
    const s = c.socket();
    const outcome = await c.attempt(async () => {
      // with SO_LINGER > 0 the kernel's close() waits for the peer's ACK, which the script sends meanwhile
      await c.sys.close(s.liveFd, c.opts.onBlocked);
      return 0;
    });
    if (outcome.result === 0) s.closed = true;
    return { outcome, check: 'exact' };
  },

  async setsockopt(c) {
    c.args(5);
    const s = c.socket();
    const level = c.int(1, 'level');
    const name = c.int(2, 'option name');
    const len = c.int(4, 'option length');
    const value = optionValue(c.arg(3), len);
    return { outcome: await c.attempt(async () => (await c.sys.setsockopt(s.liveFd, level, name, value), 0)), check: 'exact' };
  },

  async getsockopt(c) {
    c.args(5);
    const s = c.socket();
    const level = c.int(1, 'level');
    const name = c.int(2, 'option name');
    const tcpInfo = level === S.IPPROTO_TCP && name === S.TCP_INFO;
    let got: Buffer = Buffer.alloc(0);
    const outcome = await c.attempt(async () => ((got = await c.sys.getsockopt(s.liveFd, level, name, tcpInfo ? TCP_INFO_MAX_SIZE : 256)), 0));
    return {
      outcome,
      check: 'exact',
      after: () => {
        if (outcome.result < 0) return;
        if (tcpInfo) return compareTcpInfo(c.arg(3), tcpInfoFields(got));
        compareOptionValue(c.arg(3), got);
        if (!isEllipsis(c.arg(4))) {
          const len = bracketedInt(c.arg(4), 'the option length');
          if (len !== got.length) throw new CallMismatch(`Bad getsockopt optlen: expected: ${len} actual: ${got.length}`);
        }
      },
    };
  },

  async fcntl(c) {
    if (c.spec.args.length !== 2 && c.spec.args.length !== 3) throw new ArgError(`fcntl() takes 2 or 3 arguments, got ${c.spec.args.length}`);
    const s = c.socket();
    const cmd = c.int(1, 'command');
    const arg = c.spec.args.length === 3 ? c.int(2, 'argument') : 0;
    if (cmd === S.F_GETFL) {
      // the live descriptor is always non-blocking: show the script's own setting
      const outcome = await c.attempt(() => c.sys.fcntl(s.liveFd, cmd, 0));
      if (outcome.result >= 0) outcome.result = (outcome.result & ~S.O_NONBLOCK) | (s.blocking ? 0 : S.O_NONBLOCK);
      return { outcome, check: 'exact' };
    }
    if (cmd === S.F_SETFL) {
      const outcome = await c.attempt(() => c.sys.fcntl(s.liveFd, cmd, arg | S.O_NONBLOCK));
      return { outcome, check: 'exact', after: () => void (s.blocking = (arg & S.O_NONBLOCK) === 0) };
    }
    if (cmd === S.F_GETFD || cmd === S.F_SETFD) return { outcome: await c.attempt(() => c.sys.fcntl(s.liveFd, cmd, arg)), check: 'exact' };
    throw new CallUnsupported(`fcntl command ${describeExpr(c.arg(1))} (tcpladder runs F_GETFL, F_SETFL, F_GETFD, F_SETFD)`);
  },

  async ioctl(c) {
    c.args(3);
    const s = c.socket();
    const request = c.int(1, 'request');
    if (![S.SIOCINQ, S.SIOCOUTQ, S.SIOCOUTQNSD].includes(request)) throw new CallUnsupported(`ioctl request ${describeExpr(c.arg(1))} (tcpladder runs SIOCINQ/FIONREAD, SIOCOUTQ, SIOCOUTQNSD)`);
    let value = 0;
    const outcome = await c.attempt(async () => ((value = await c.sys.ioctlInt(s.liveFd, request)), 0));
    return {
      outcome,
      check: 'exact',
      after: () => {
        if (outcome.result < 0 || isEllipsis(c.arg(2))) return;
        const expected = bracketedInt(c.arg(2), 'the value');
        if (expected !== value) throw new CallMismatch(`Bad ioctl value: expected: ${expected} actual: ${value}`);
      },
    };
  },

  async poll(c) {
    c.args(3);
    const list = c.arg(0);
    if (list.kind !== 'array' || list.items.length !== 1) throw new CallUnsupported('poll() on other than exactly one descriptor');
    const f = structFields(list.items[0], 'the pollfd');
    const fdExpr = f.get('fd');
    const eventsExpr = f.get('events');
    if (!fdExpr || !eventsExpr) throw new ArgError('a pollfd needs fd= and events=');
    const fd = intValue(fdExpr, 'fd');
    const s = c.st.fds.get(fd);
    if (!s || s.closed) throw new CallMismatch(`unable to find fd with script fd ${fd}`);
    const events = intValue(eventsExpr, 'events');
    const timeout = c.int(2, 'timeout');
    let revents = 0;
    const start = Date.now();
    let inKernel = timeout !== 0 ? c.opts.onBlocked : undefined;
    for (;;) {
      if (c.st.signal.aborted) throw new Error('poll() was still waiting when the case ended');
      const sliceStart = process.hrtime.bigint();
      const left = Math.max(0, timeout < 0 ? POLL_SLICE_MS : Math.min(POLL_SLICE_MS, timeout - (Date.now() - start)));
      revents = await c.sys.poll(s.liveFd, events, left, inKernel);
      inKernel = undefined;
      if (!revents) c.opts.notReadyUntil = sliceStart;
      if (revents || (timeout >= 0 && Date.now() - start >= timeout)) break;
    }
    return {
      outcome: { result: revents ? 1 : 0 },
      check: 'exact',
      after: () => {
        const expected = f.get('revents');
        if (!expected || isEllipsis(expected)) return;
        const want = intValue(expected, 'revents');
        if (want !== revents) throw new CallMismatch(`poll() revents: expected: ${pollText(want)} actual: ${pollText(revents)}`);
      },
    };
  },
};

async function receive(c: Call, n: number): Promise<Handled> {
  c.args(n);
  const s = c.socket();
  const nullBuffer = bufferArg(c.arg(1), 'the buffer') === 'null';
  const count = c.int(2, 'count');
  const flags = n > 3 ? c.int(3, 'flags') : 0;
  if (n === 6 && !(isEllipsis(c.arg(4)) && isEllipsis(c.arg(5)))) throw new CallUnsupported('recvfrom() with an address other than ...');
  if (nullBuffer) {
    // packetdrill hands the kernel the NULL pointer: the kernel answers (EFAULT once there is data to copy)
    ownFds(c, 'a NULL buffer');
    return { outcome: await c.blockingLoop(s, S.POLLIN | S.POLLRDHUP, (flags & S.MSG_DONTWAIT) !== 0, async () => recvNull(s.liveFd, count, flags & ~S.MSG_DONTWAIT)), check: 'exact' };
  }
  const outcome = await c.blockingLoop(s, S.POLLIN | S.POLLRDHUP, (flags & S.MSG_DONTWAIT) !== 0, async () => {
    const got = await c.sys.recv(s.liveFd, count, flags & ~S.MSG_DONTWAIT);
    return got === null ? null : got.length;
  });
  return { outcome, check: 'exact' };
}

async function transmit(c: Call, n: number): Promise<Handled> {
  c.args(n);
  const s = c.socket();
  const buf = c.arg(1);
  const nullBuffer = bufferArg(buf, 'the buffer') === 'null';
  const count = c.int(2, 'count');
  const flags = n > 3 ? c.int(3, 'flags') : 0;
  if (n === 6 && !(isEllipsis(c.arg(4)) && isEllipsis(c.arg(5)))) throw new CallUnsupported('sendto() with an address other than ...');
  if (nullBuffer) {
    // packetdrill hands the kernel the NULL pointer: the kernel answers (EFAULT, or 0 for a count of 0)
    ownFds(c, 'a NULL buffer');
    const dontWait = (flags & S.MSG_DONTWAIT) !== 0;
    return { outcome: await c.blockingLoop(s, S.POLLOUT, dontWait, async () => sendNull(s.liveFd, count, flags & ~S.MSG_DONTWAIT)), check: 'exact' };
  }
  const data = Buffer.alloc(count);
  if (buf.kind === 'string') Buffer.from(buf.value, 'latin1').copy(data, 0, 0, count);
  const dontWait = !s.blocking || (flags & S.MSG_DONTWAIT) !== 0;
  let sent = 0;
  const outcome = await c.attempt(async () => {
    while (sent < count) {
      let n: number;
      try {
        n = await c.sys.send(s.liveFd, data.subarray(sent), flags & ~S.MSG_DONTWAIT);
      } catch (e) {
        if (sent > 0) return sent;
        throw e;
      }
      sent += n;
      if (n === 0) {
        if (dontWait) {
          if (sent > 0) return sent;
          throw new SocketError('EAGAIN', 'write');
        }
        await c.ready(s.liveFd, S.POLLOUT);
      } else if (dontWait) {
        return sent;
      }
    }
    return sent;
  });
  return { outcome, check: 'exact' };
}

/** A call tcpladder makes on the live descriptor itself (raw-io.ts): only where this process holds it. */
function ownFds(c: Call, what: string): void {
  if (!c.st.ownsFds) throw new CallUnsupported(`${what} on a guest's stack (tcpladder passes it to the kernel of a namespace host only)`);
}

/**
 * sendmsg(fd, {msg_name(...)=..., msg_iov(N)=[{..., len}, …], msg_flags=0}, flags) as
 * packetdrill makes it: one iovec of zeroed bytes per element (zero-length ones
 * included), msg_name the remote's address when written, msg_flags 0 (packetdrill
 * refuses any other: sendmsg ignores it). A socket the script left blocking sends
 * all of it, waiting for room as write() does.
 */
async function sendmsg(c: Call): Promise<Handled> {
  c.args(3);
  const s = c.socket();
  const msg = c.arg(1);
  if (msg.kind !== 'struct') throw new ArgError(`the message: expected {msg_name(...)=..., msg_iov(N)=[...], msg_flags=0}, got ${describeExpr(msg)}`);
  let iovLens: number[] = [];
  let named = false;
  for (const item of msg.items) {
    if (item.kind !== 'assign' || (item.target.kind !== 'word' && item.target.kind !== 'call')) throw new ArgError(`the message: expected name=value, got ${describeExpr(item)}`);
    const field = item.target.name;
    if (field === 'msg_name') {
      if (!isEllipsis(item.value)) throw new CallUnsupported(`msg_name other than ... (${describeExpr(item.value)})`);
      named = true;
    } else if (field === 'msg_iov') {
      if (item.value.kind !== 'array') throw new ArgError(`msg_iov: expected [{..., len}, ...], got ${describeExpr(item.value)}`);
      iovLens = item.value.items.map((v) => {
        if (v.kind !== 'struct' || v.items.length !== 2 || !isEllipsis(v.items[0])) throw new ArgError(`msg_iov: expected {..., len}, got ${describeExpr(v)}`);
        return intValue(v.items[1], 'iov_len');
      });
      if (item.target.kind === 'call') {
        const declared = item.target.args.length === 1 ? intValue(item.target.args[0], 'msg_iovlen') : Number.NaN;
        if (declared !== iovLens.length) throw new ArgError(`msg_iovlen ${describeExpr(item.target.args[0] ?? item.target)} does not match ${iovLens.length}-element iovec array`);
      }
    } else if (field === 'msg_flags') {
      if (intValue(item.value, 'msg_flags') !== 0) throw new ArgError('sendmsg ignores msg_flags field in msghdr');
    } else if (field === 'msg_control') {
      throw new CallUnsupported('sendmsg() with msg_control (ancillary data)');
    } else {
      throw new ArgError(`the message: unknown field ${field}`);
    }
  }
  const flags = c.int(2, 'flags');
  const total = iovLens.reduce((a, b) => a + b, 0);
  const dontWait = !s.blocking || (flags & S.MSG_DONTWAIT) !== 0;
  const name = named ? c.address({ kind: 'ellipsis', line: 0, column: 0 } as Expr, { address: c.st.net.remote, port: c.st.net.connectPort }) : null;
  let sent = 0;
  const outcome = await c.attempt(async () => {
    for (;;) {
      // what is left of the iovecs after `sent` bytes went
      let skip = sent;
      const left = iovLens.map((len) => {
        const cut = Math.min(len, skip);
        skip -= cut;
        return len - cut;
      });
      let n: number | null;
      try {
        // on a guest the bytes go as one send(): TCP takes the iovecs as one byte stream
        n = c.st.ownsFds ? sendmsgNow(s.liveFd, sent ? left.filter((l) => l > 0) : left, flags & ~S.MSG_DONTWAIT, name) : await c.sys.send(s.liveFd, Buffer.alloc(total - sent), flags & ~S.MSG_DONTWAIT);
      } catch (e) {
        if (sent > 0) return sent;
        throw e;
      }
      if (n === 0 && !c.st.ownsFds && total > sent) n = null;
      if (n !== null) sent += n;
      if (sent >= total || (n !== null && dontWait)) return sent;
      if (dontWait) throw new SocketError('EAGAIN', 'sendmsg');
      await c.ready(s.liveFd, S.POLLOUT);
    }
  });
  return { outcome, check: 'exact' };
}

function unspecAddress(family: number): Buffer {
  if (family !== S.AF_UNSPEC) throw new ArgError(`connect(): an address family alone must be AF_UNSPEC, got ${family}`);
  return Buffer.alloc(16);
}

/** An option value as bytes: `[n]` an int, `{l_onoff=…, l_linger=…}` a linger, "text" its bytes. */
function optionValue(e: Expr, len: number): Buffer {
  let buf: Buffer;
  if (e.kind === 'array') {
    buf = Buffer.alloc(4);
    buf.writeInt32LE(bracketedInt(e, 'the option value') | 0);
  } else if (e.kind === 'struct') {
    const f = structFields(e, 'the option value');
    const onoff = f.get('l_onoff');
    const linger = f.get('l_linger');
    if (!onoff || !linger || f.size !== 2) throw new CallUnsupported(`option value ${describeExpr(e)} (structs: {l_onoff=…, l_linger=…})`);
    buf = Buffer.alloc(8);
    buf.writeInt32LE(intValue(onoff, 'l_onoff'), 0);
    buf.writeInt32LE(intValue(linger, 'l_linger'), 4);
  } else if (e.kind === 'string') {
    buf = Buffer.from(e.value, 'latin1');
  } else {
    buf = Buffer.alloc(4);
    buf.writeInt32LE(intValue(e, 'the option value') | 0);
  }
  if (len === buf.length) return buf;
  const out = Buffer.alloc(Math.max(0, len));
  buf.copy(out, 0, 0, Math.min(len, buf.length));
  return out;
}

function compareOptionValue(e: Expr, got: Buffer): void {
  if (isEllipsis(e)) return;
  if (e.kind === 'struct') {
    const f = structFields(e, 'the option value');
    for (const [name, off] of [['l_onoff', 0], ['l_linger', 4]] as const) {
      const want = f.get(name);
      if (!want || isEllipsis(want)) continue;
      const expected = intValue(want, name);
      const actual = got.length >= off + 4 ? got.readInt32LE(off) : NaN;
      if (expected !== actual) throw new CallMismatch(`Bad getsockopt ${name}: expected: ${expected} actual: ${actual}`);
    }
    return;
  }
  if (e.kind === 'string') {
    const actual = got.toString('latin1').replace(/\0.*$/s, '');
    if (actual !== e.value) throw new CallMismatch(`Bad getsockopt optval: expected: "${e.value}" actual: "${actual}"`);
    return;
  }
  const expected = bracketedInt(e, 'the option value');
  const actual = got.length >= 4 ? got.readInt32LE(0) : got.length === 1 ? got.readUInt8(0) : NaN;
  if (expected !== actual) throw new CallMismatch(`Bad getsockopt optval: expected: ${expected} actual: ${actual}`);
}

function compareTcpInfo(e: Expr, fields: Record<string, number>): void {
  if (isEllipsis(e)) return;
  for (const [name, want] of structFields(e, 'struct tcp_info')) {
    if (isEllipsis(want)) continue;
    if (!(name in fields)) throw new CallUnsupported(`TCP_INFO field ${name} (this kernel's struct tcp_info has no such field)`);
    const expected = intValue(want, name);
    if (fields[name] !== expected) throw new CallMismatch(`Bad getsockopt TCP_INFO ${name}: expected: ${expected} actual: ${fields[name]}`);
  }
}

const POLL_NAMES = ['POLLIN', 'POLLPRI', 'POLLOUT', 'POLLERR', 'POLLHUP', 'POLLNVAL', 'POLLRDNORM', 'POLLRDBAND', 'POLLWRNORM', 'POLLWRBAND', 'POLLMSG', 'POLLRDHUP'];

function pollText(bits: number): string {
  if (bits === 0) return '0';
  const names = POLL_NAMES.filter((n) => bits & S[n]);
  const rest = bits & ~names.reduce((a, n) => a | S[n], 0);
  return [...names, ...(rest ? [`0x${rest.toString(16)}`] : [])].join('|');
}

/** The system calls tcpladder runs. */
export const SYSCALL_NAMES = Object.keys(HANDLERS);
