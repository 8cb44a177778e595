/**
 * gVisor keeps no static neighbours (every other host is given its peers' MACs before a
 * case): it resolves a peer's IPv4 address with ARP the first time it sends to it, and
 * sends the waiting segment about 20 ms after the reply on a busy machine, which made
 * the first outbound packet of a packetdrill script late on gVisor, IPv4 only. So before
 * a case begins, each peer asks a gVisor host for its address (an ARP request on the
 * wire, injected in the peer's name, in the pcap as such): gVisor learns the asker's MAC
 * from it (a neighbour probe), as it would from a peer that spoke first.
 */
import { parseIp, parseMac } from '../../packet/index.js';
import type { StackHost } from '../host.js';

const ETHERTYPE_ARP = 0x0806;

/** An ARP request, broadcast: `from` (MAC, IPv4 address) asks who has `target`. */
export function arpRequest(from: { mac: string; ipv4: string }, target: string): Buffer {
  const f = Buffer.alloc(42);
  f.fill(0xff, 0, 6);
  f.set(parseMac(from.mac), 6);
  f.writeUInt16BE(ETHERTYPE_ARP, 12);
  f.writeUInt16BE(1, 14); // Ethernet
  f.writeUInt16BE(0x0800, 16); // IPv4
  f[18] = 6;
  f[19] = 4;
  f.writeUInt16BE(1, 20); // request
  f.set(parseMac(from.mac), 22);
  f.set(parseIp(from.ipv4), 28);
  // target hardware address unknown: zero
  f.set(parseIp(target), 38);
  return f;
}

/** The requests that introduce every host to each gVisor host of `to` (default: all): from (port index), frame. */
export function neighbourIntroductions(hosts: readonly StackHost[], to: readonly StackHost[] = hosts): { from: number; frame: Buffer }[] {
  return to.flatMap((g) =>
    g.stack !== 'gvisor' ? [] : hosts.flatMap((from, i) => (from === g ? [] : [{ from: i, frame: arpRequest(from.spec, g.spec.ipv4) }])),
  );
}
