/**
 * One case's wire: a namespace between the hosts holding one port per host, the
 * wire-side end of that host's link, where the capture sidecar relays and records.
 *
 *   host "client"                wire ns                 host "server"
 *   eth0 (MAC …:01) ── veth ── p0   [relay]   p1 ── veth ── eth0 (MAC …:02)
 *
 * A host's end of its link is its stack's business (a namespace host's own eth0, a
 * guest's holder namespace); here are the wire side, the case's addresses (an address
 * slot: tracepoint events carry addresses but no namespace, so every live case on the
 * machine has its own subnet) and the plumbing both sides share.
 */
import { readFileSync } from 'node:fs';
import { Rtnl, netnsAdd, netnsDel, IF_OPER_UP } from './netlink.js';
import { releaseNamespace, namespaceFd, homeNamespaceFd, inNamespace, withRtnl } from './netns.js';
import { applySysctls } from './sysctl.js';
import { resourceName, registerOwner } from './owner.js';
import { takeSlot, releaseSlot, slotSubnets } from './slots.js';

export interface HostSpec {
  name: string;
  index: number;
  /** the namespace holding the host's end of its link (a namespace host's own; a guest's holder) */
  ns: string;
  /** the host's end of its link, in `ns` */
  ifname: string;
  mac: string;
  ipv4: string;
  ipv6: string;
  /** the wire-side end of this host's link, inside the wire namespace */
  port: string;
  /** the wire namespace that holds `port` */
  wireNs?: string;
}

export interface CaseWire {
  id: string;
  slot: number;
  wireNs: string;
  bridge: boolean;
  /** the case's address of host number `index` */
  ipv4(index: number): string;
  ipv6(index: number): string;
  /** textual prefixes of the case's subnets, e.g. "198.18.5." and "fd74:6370:6c00:5::" */
  prefixes: [string, string];
  destroy(): void;
}

let caseSeq = 0;

const WIRE_SYSCTLS = {
  'net.ipv6.conf.default.disable_ipv6': 1,
  'net.ipv6.conf.all.disable_ipv6': 1,
};

/** The wire namespace of a new case, on an address slot of its own (none of `avoid`). */
export function createWire(options: { bridge?: boolean; avoid?: Iterable<number> } = {}): CaseWire {
  registerOwner();
  const slot = takeSlot(new Set(options.avoid ?? []));
  const id = resourceName(++caseSeq);
  const wireNs = `${id}-wire`;
  const net = slotSubnets(slot);
  const bridge = options.bridge === true;
  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    releaseNamespace(wireNs);
    try {
      netnsDel(wireNs);
    } catch {
      // never made, or gone already
    }
    releaseSlot(slot);
  };
  try {
    netnsAdd(wireNs, homeNamespaceFd());
    // the wire side has no IP stack of its own: the only frames on it are the hosts'
    applySysctls(wireNs, WIRE_SYSCTLS);
    withRtnl(wireNs, (nl) => {
      nl.setUp('lo', true);
      if (bridge) {
        nl.addBridge('br0');
        // multicast off: the bridge device would otherwise send IGMP reports of its own to the hosts
        nl.setMulticast('br0', false);
        nl.setUp('br0', true);
      }
    });
  } catch (e) {
    destroy();
    throw e;
  }
  const v4 = net.ipv4(1);
  const v6 = net.ipv6(1);
  return {
    id,
    slot,
    wireNs,
    bridge,
    ipv4: (i) => net.ipv4(i + 1),
    ipv6: (i) => net.ipv6(i + 1),
    prefixes: [v4.slice(0, v4.lastIndexOf('.') + 1), v6.slice(0, v6.lastIndexOf(':') + 1)],
    destroy,
  };
}

/**
 * A new veth pair: the host's end in its namespace (down: the host's link comes up once
 * the capture is attached), the port up in the wire namespace.
 */
export function addLink(h: HostSpec, bridge: boolean): void {
  withRtnl(h.wireNs!, (nl) => {
    nl.addVeth(h.ifname, h.mac, namespaceFd(h.ns), h.port, namespaceFd(h.wireNs!));
    plugPort(nl, h, bridge, true);
  });
}

/**
 * Take an existing port (a guest's, waiting in `fromNs` as `fromName`) into the wire
 * namespace as the host's port. It stays down: the guest's end is up, and the port
 * coming up is the guest's link coming up, once the capture is attached.
 */
export function adoptPort(h: HostSpec, fromNs: string, fromName: string, bridge: boolean): void {
  withRtnl(fromNs, (nl) => nl.setLink(fromName, { nsFd: namespaceFd(h.wireNs!), name: h.port }));
  withRtnl(h.wireNs!, (nl) => plugPort(nl, h, bridge, false));
}

/** Give an adopted port back to `toNs` as `toName`, down. */
export function returnPort(h: HostSpec, toNs: string, toName: string): void {
  withRtnl(h.wireNs!, (nl) => {
    nl.setUp(h.port, false);
    nl.setLink(h.port, { nsFd: namespaceFd(toNs), name: toName });
  });
}

function plugPort(nl: Rtnl, h: HostSpec, bridge: boolean, up: boolean): void {
  if (bridge) nl.setMaster(h.port, 'br0');
  nl.setUp(h.port, up);
  // Segmentation and checksum offloads off: the wire then carries (and the relay can
  // re-inject) exactly the MSS-sized segments with full checksums the peer receives.
  nl.offloadsOff(h.port);
}

export function setPortUp(h: HostSpec, up: boolean): void {
  withRtnl(h.wireNs!, (nl) => nl.setUp(h.port, up));
}

/** Delete a host's port (and so its link): a crashed namespace host's. */
export function deletePort(h: HostSpec): void {
  withRtnl(h.wireNs!, (nl) => nl.delLink(h.port));
}

const READY_TIMEOUT_MS = 5000;

/**
 * Wait until `hostReady` says the host can use its link and the wire's port can carry
 * frames to it.
 */
export async function linkReady(h: HostSpec, hostReady: () => boolean | string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const wire = Rtnl.open(namespaceFd(h.wireNs!), homeNamespaceFd());
  try {
    for (;;) {
      // until the kernel has activated the port's queue, frames sent into it are lost
      const port = wire.link(h.port).operstate;
      const host = port === IF_OPER_UP ? hostReady() : 'the wire port is not up';
      if (host === true) {
        // The port's operational state is set a moment before the kernel gives its queue a
        // working qdisc (both in one linkwatch step under the RTNL lock); a frame the relay
        // sends in between is dropped without a trace. A request that takes the same lock
        // (setting the port up again: no change) returns only after that step is complete.
        wire.setUp(h.port, true);
        return;
      }
      if (Date.now() > deadline) throw new Error(`host ${h.name}: link ${h.ifname} in ${h.ns} not ready after ${READY_TIMEOUT_MS / 1000} s (${host})`);
      await new Promise((r) => setTimeout(r, 1));
    }
  } finally {
    wire.close();
  }
}

export interface Counters {
  rx: number;
  tx: number;
  txDropped: number;
}

export const ZERO: Counters = { rx: 0, tx: 0, txDropped: 0 };

/** Packet counters of `ifname` as its own namespace sees them (zero when it is gone). */
export function readCounters(ns: string, ifname: string): Counters {
  let text: string;
  try {
    text = inNamespace(ns, () => readFileSync('/proc/thread-self/net/dev', 'utf8'));
  } catch {
    return { ...ZERO };
  }
  const line = text.split('\n').find((l) => l.trim().startsWith(`${ifname}:`));
  if (!line) return { ...ZERO };
  const f = line.split(':')[1].trim().split(/\s+/).map(Number);
  return { rx: f[1], tx: f[9], txDropped: f[11] };
}

export function addCounters(a: Counters, b: Counters): Counters {
  return { rx: a.rx + b.rx, tx: a.tx + b.tx, txDropped: a.txDropped + b.txDropped };
}

export function subCounters(a: Counters, b: Counters): Counters {
  return { rx: a.rx - b.rx, tx: a.tx - b.tx, txDropped: a.txDropped - b.txDropped };
}

/** Silence a host's own TCP stack: it neither answers nor resets; a scripted peer speaks for it. */
export async function silenceTcp(ns: string): Promise<void> {
  const rules = `table inet tcpladder_raw {
  chain in { type filter hook input priority -400; policy accept; meta l4proto tcp drop; }
  chain out { type filter hook output priority -400; policy accept; meta l4proto tcp drop; }
}
`;
  const { execa } = await import('execa'); // loaded when needed: it costs ~70 ms at start-up in every worker
  const r = await execa('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: rules, reject: false });
  if (r.exitCode !== 0) throw new Error(`nft in ${ns} failed: ${r.stderr.trim()}`);
}
