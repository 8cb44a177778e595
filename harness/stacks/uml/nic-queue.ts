/**
 * A UML guest's NIC queues on the host. The raw vector transport reads each NIC's frames
 * from a packet socket on the holder's end, whose queue holds rmem_default (about 200 kB;
 * a network namespace cannot raise it). A burst past that into a guest that lags (a bulk
 * transfer on a loaded machine) is lost in the queue though the wire shows it delivered,
 * and a guest that missed its wake-up while the queue was full receives nothing again
 * (RELIABILITY.md). Once the guest has booted, the pool gives its receiving sockets a
 * larger queue through copies of their descriptors.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as libc from '../../sockets/libc.js';

/** bytes a guest's NIC may have waiting on the host: more than any TCP window the cases open */
export const NIC_QUEUE_BYTES = 16 * 1024 * 1024;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
/** the receiving sockets are bound to every protocol; the transport's sending one to IPv4 */
const ETH_P_ALL = '0003';

/** Raise the queues of UML process `pid`'s receiving packet sockets; returns each one's queue in bytes. */
export function raiseNicQueues(pid: number): number[] {
  const receiving = new Set(
    readFileSync(`/proc/${pid}/net/packet`, 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[3] === ETH_P_ALL)
      .map((f) => f[8]),
  );
  const sizes: number[] = [];
  for (const name of readdirSync(`/proc/${pid}/fd`)) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${name}`);
    } catch {
      continue; // closed meanwhile
    }
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (!inode || !receiving.has(inode)) continue;
    const fd = libc.descriptorOf(pid, Number(name));
    try {
      const size = Buffer.alloc(4);
      size.writeInt32LE(NIC_QUEUE_BYTES);
      libc.setsockoptBytes(fd, libc.SOL_SOCKET, SO_RCVBUFFORCE, size, 'setsockopt(SO_RCVBUFFORCE)');
      sizes.push(libc.getsockoptBytes(fd, libc.SOL_SOCKET, SO_RCVBUF, 4).readInt32LE(0));
    } finally {
      libc.closeSync(fd);
    }
  }
  return sizes;
}
