// A UML guest's NICs read their frames from packet sockets on the host. Their queues are
// raised past any TCP window a case opens (stacks/uml/nic-queue.ts): with the default
// ~200 kB, a burst into a lagging guest was lost there though the wire showed it
// delivered, and a guest that missed a wake-up with its queue full received nothing again.
import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../harness/index.js';
import { CaseRun } from '../../harness/case/run.js';
import * as libc from '../../harness/sockets/libc.js';
import { NIC_QUEUE_BYTES } from '../../harness/stacks/uml/nic-queue.js';
import { useCaseRunDir } from '../case-run-dir.js';

useCaseRunDir(mkdtempSync(join(tmpdir(), 'tcpl-uml-nic-queue-')));

/** the guest's kernel process: the first process whose case NIC has `mac` */
function umlPid(mac: string): number {
  const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).sort((a, b) => a - b);
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`vec0:transport=raw,ifname=eth0,mac=${mac}`)) return pid;
    } catch {
      // gone
    }
  }
  throw new Error(`no UML guest with MAC ${mac}`);
}

/** SO_RCVBUF of each packet socket of `pid` bound to every protocol (the NICs' receiving sockets) */
function receiveQueues(pid: number): number[] {
  const all = new Set(
    readFileSync(`/proc/${pid}/net/packet`, 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f[3] === '0003').map((f) => f[8]),
  );
  return readdirSync(`/proc/${pid}/fd`).flatMap((name) => {
    const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${name}`))?.[1];
    if (!inode || !all.has(inode)) return [];
    const fd = libc.descriptorOf(pid, Number(name));
    try {
      return [libc.getsockoptBytes(fd, libc.SOL_SOCKET, 8, 4).readInt32LE(0)];
    } finally {
      libc.closeSync(fd);
    }
  });
}

describe("a UML guest's NIC queues on the host", () => {
  it('hold more than any window, for the case NIC (reopened in each case) and the control link', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 2; i++) {
      const run = new CaseRun('uml nic queues', import.meta.url, 4);
      let error: unknown = null;
      let queues: number[] = [];
      try {
        await run.hosts(['client', 'server'], { stack: { client: 'uml' } });
        queues = receiveQueues(umlPid(run.wire.hosts.find((h) => h.name === 'client')!.mac));
      } catch (e) {
        error = e;
      }
      const { error: failure } = await run.finish(error);
      if (failure) throw failure;
      expect(queues).toHaveLength(2);
      for (const q of queues) expect(q).toBeGreaterThanOrEqual(NIC_QUEUE_BYTES);
    }
  });
});
