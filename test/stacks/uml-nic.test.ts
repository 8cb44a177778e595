// A UML guest's NIC must take every frame its case sends. The case's link is the guest's
// vector NIC moved into the case's namespace, closed and opened again at each move; the
// driver forgets the bytes of frames still queued when it closes (here: the FIN the
// guest sends when its case's sockets close, after the case's port went down), and its
// byte queue limit counted them as in flight from then on. Once they reached the limit a
// case began with the NIC's queue stopped: nothing it sent reached the wire (seen in the
// matrix, a connect() with no SYN for a whole minute). The guest lifts the limit at boot
// (stacks/uml/init.sh), so what the driver forgets leaves room for a whole window.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../harness/index.js';
import { CaseRun } from '../../harness/case/run.js';
import { useCaseRunDir } from '../case-run-dir.js';

useCaseRunDir(mkdtempSync(join(tmpdir(), 'tcpl-uml-nic-')));

/** room left in the guest NIC's byte queue, as its case's namespace sees it */
interface Room {
  guest: string;
  inflight: number;
  limit: number;
}

/**
 * A case whose client (on UML) connects and sends, and ends with the connection open:
 * its FIN leaves the guest only after the case's port went down. With `measure`, the
 * client first reads its NIC's byte queue limit (sysfs of the case's namespace).
 */
async function caseOnUml(measure: boolean): Promise<Room | null> {
  const run = new CaseRun('uml nic byte queue', import.meta.url, 4);
  let error: unknown = null;
  let room: Room | null = null;
  let guest = '';
  try {
    const { client, server } = await run.hosts(['client', 'server'], { stack: { client: 'uml' } });
    if (measure) {
      const script =
        'mount -t sysfs sysfs /sys && for q in /sys/class/net/*/queues/tx-0/byte_queue_limits; do ' +
        'case $q in */lo/*) ;; *) echo "$(cat $q/inflight) $(cat $q/limit)";; esac; done';
      const p = await client.spawn('unshare', ['-m', 'sh', '-c', script]);
      expect(await p.exited, p.stderr).toEqual({ code: 0, signal: null });
      const [inflight, limit] = p.stdout.trim().split(/\s+/).map(Number);
      room = { guest: '', inflight, limit };
    }
    const listener = await server.listen(8080);
    const conn = await client.connect(server, 8080);
    await listener.accept();
    await conn.write(1000);
    await expect(run.wire).toHaveSegments(['...', 'client > server SYN', '...', 'client > server PSH? ACK len=1000', '...']);
  } catch (e) {
    error = e;
  }
  const { trace, error: failure } = await run.finish(error);
  if (failure) throw failure;
  guest = trace.hosts.find((h) => h.name === 'client')!.guest ?? '';
  return room ? { ...room, guest } : null;
}

describe('uml: the guest NIC of a case', () => {
  it('has room for a whole window in its queue, after cases whose last frames left after their port went down', async () => {
    await caseOnUml(false);
    await caseOnUml(false);
    const first = await caseOnUml(true);
    const second = await caseOnUml(true);
    expect(second!.guest, 'the pool lent another guest: nothing is proven').toBe(first!.guest);
    for (const room of [first!, second!]) {
      expect(Number.isInteger(room.inflight) && Number.isInteger(room.limit), JSON.stringify(room)).toBe(true);
      expect(room.limit - room.inflight, JSON.stringify(room)).toBeGreaterThanOrEqual(1 << 20);
    }
  }, 300_000);
});
