// close(fd, inKernel) on a namespace host: the kernel's close() runs on a libuv worker
// thread, which on a loaded machine may start long after it was queued; with SO_LINGER
// the FIN leaves at that moment, so `inKernel` (from which a packetdrill script counts
// its next events) must wait for the call itself, not for the queueing.
import { describe, expect, it } from 'vitest';
import * as libc from '../../harness/sockets/libc.js';
import { localSyscalls } from '../../harness/sockets/index.js';

describe('close() with inKernel', () => {
  const sys = localSyscalls(null);

  it('calls it when the worker thread makes the call, not when it is queued', async () => {
    // occupy every worker thread with a poll that waits its whole time (an unbound UDP
    // socket is never readable), so the close() queued next runs only when one ends
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const idle = await sys.socket(libc.AF_INET, libc.SOCK_DGRAM);
    const fd = await sys.socket(libc.AF_INET, libc.SOCK_STREAM);
    const seen: string[] = [];
    try {
      const polls = Array.from({ length: threads }, () => libc.pollAsync(idle, libc.POLLIN, 300));
      const firstPollEnded = Promise.race(polls).then(() => seen.push('a worker thread free'));
      const closed = sys.close(fd, () => seen.push('close in the kernel')).then(() => seen.push('close returned'));
      await Promise.all([...polls, firstPollEnded, closed]);
      expect(seen).toEqual(['a worker thread free', 'close in the kernel', 'close returned']);
    } finally {
      sys.closeNow(idle);
    }
  });

  it('calls it for a descriptor that is not open (close fails at once)', async () => {
    const fd = await sys.socket(libc.AF_INET, libc.SOCK_STREAM);
    sys.closeNow(fd);
    const seen: string[] = [];
    await expect(sys.close(fd, () => seen.push('in the kernel'))).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual(['in the kernel']);
  });
});
