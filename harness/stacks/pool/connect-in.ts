/** A TCP connection made from inside a namespace (a guest's holder), retried until the other end listens. */
import net from 'node:net';
import { encodeSockaddr } from '../../sockets/sockaddr.js';
import { localSyscalls } from '../../sockets/syscalls.js';
import * as libc from '../../sockets/libc.js';

const SO_SNDBUF = 7;
/**
 * What may be in flight towards the guest (the kernel doubles it). A UML guest reads its
 * NIC from a packet socket on the host whose queue holds about 200 kB (rmem_default):
 * a burst that fills it can stop the guest receiving for good (RELIABILITY.md: the
 * agent's control link stalled after a burst of 1.7 MB of a bulk write's data, and
 * retransmissions and ARP requests went unanswered from then on).
 */
const SEND_BUFFER = 32 * 1024;

export async function connectIn(ns: string, address: string, port: number, timeoutMs: number, gaveUp: () => boolean): Promise<net.Socket> {
  const sys = localSyscalls(ns);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fd = await sys.socket(libc.AF_INET, libc.SOCK_STREAM);
    try {
      const size = Buffer.alloc(4);
      size.writeInt32LE(SEND_BUFFER);
      await sys.setsockopt(fd, libc.SOL_SOCKET, SO_SNDBUF, size);
      if (!(await sys.connect(fd, encodeSockaddr({ address, port })))) {
        // An attempt is never given up while it may still succeed: the agent serves one
        // connection and exits when it closes, so one it accepted after this end had
        // stopped waiting (a loaded machine, a slow guest) was its last; in UML the guest
        // then panics ("Attempted to kill init") and dies with SIGABRT while booting.
        let revents = 0;
        while (!revents && Date.now() < deadline && !gaveUp()) revents = await sys.poll(fd, libc.POLLOUT, 1000);
        const err = (await sys.getsockopt(fd, libc.SOL_SOCKET, 4, 4)).readInt32LE(0);
        if (!revents || err) throw new Error(err ? libc.errnoName(err) : 'ETIMEDOUT');
      }
      const s = new net.Socket({ fd, readable: true, writable: true });
      s.setNoDelay(true);
      return s;
    } catch (e) {
      sys.closeNow(fd);
      if (gaveUp()) throw new Error('the guest ended before its agent listened');
      if (Date.now() > deadline) throw new Error(`its agent did not listen on ${address}:${port} within ${timeoutMs / 1000} s (${(e as Error).message})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
