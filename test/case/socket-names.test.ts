// names(): getsockname() and getpeername() in one call (one trip into a guest), each null when it fails.
import { describe, expect, it } from 'vitest';
import * as libc from '../../harness/sockets/libc.js';
import { localSyscalls, learnTuple } from '../../harness/sockets/index.js';

describe('names()', () => {
  const sys = localSyscalls(null);

  it('an unconnected socket: its local name, no remote one', async () => {
    const fd = await sys.socket(libc.AF_INET, libc.SOCK_STREAM);
    try {
      const known = { local: null, remote: null, tupleSince: 0n };
      await learnTuple(sys, fd, known);
      expect(known.local).toEqual({ address: '0.0.0.0', port: 0 });
      expect(known.remote).toBeNull();
      expect(known.tupleSince).toBeGreaterThan(0n);
    } finally {
      sys.closeNow(fd);
    }
  });

  it('a closed descriptor: neither, and no throw', async () => {
    const fd = await sys.socket(libc.AF_INET6, libc.SOCK_STREAM);
    sys.closeNow(fd);
    expect(await sys.names(fd)).toEqual({ local: null, remote: null });
  });
});
