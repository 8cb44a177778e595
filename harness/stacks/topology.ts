/**
 * A case's hosts on their stacks and the wire between them:
 *
 *   host "client" (linux: a namespace)      wire ns       host "server" (uml: a guest)
 *   eth0 ──────────────────── veth ──────── p0 [relay] p1 ──── veth ──── eth0 in the guest's holder
 *
 * Guests are leased first (their MACs, and the subnets a gVisor sandbox served lately
 * and may still hold TIME_WAIT for, are known then), then the wire takes an address slot
 * and every host its link. Host links stay down until the capture is attached.
 */
import { createWire, type CaseWire, type HostSpec, type Sysctls } from '../topology/index.js';
import { InputError } from '../input-error.js';
import { LinuxHost, linuxMac, type Peer } from './linux/host.js';
import { GuestHost } from './guest/host.js';
import type { Lease } from './pool/client.js';
import type { StackHost } from './host.js';
import type { StackName } from './types.js';
import { GVISOR_WRITABLE } from './capabilities.js';

export interface TopologyOptions {
  /** the stack of each host (default linux) */
  stacks?: Partial<Record<string, StackName>>;
  /** sysctls per host name, set before the host's link comes up */
  sysctls?: Partial<Record<string, Sysctls>>;
  /** join the wire ports with a kernel bridge (the sidecar then only records) */
  bridge?: boolean;
  /** a host's interface name inside its namespace or guest (default eth0; gVisor's stays eth0) */
  interfaces?: Partial<Record<string, string>>;
}

export interface Topology {
  id: string;
  slot: number;
  wireNs: string;
  /** textual prefixes of the case's subnets */
  prefixes: [string, string];
  hosts: StackHost[];
  /** every host's link up (after the capture is attached) */
  up(): Promise<void>;
  destroy(): Promise<void>;
}

function checkNames(names: string[]): void {
  if (names.length < 2) throw new InputError('a topology needs at least two hosts');
  if (new Set(names).size !== names.length) throw new InputError(`host names must be unique: ${names.join(', ')}`);
  for (const n of names) {
    if (!/^[a-z][a-z0-9_]{0,15}$/i.test(n)) throw new InputError(`host name "${n}" must be a letter then up to 15 letters, digits or _`);
  }
}

const writableOnGvisor = (s: Record<string, string>) => Object.fromEntries(Object.entries(s).filter(([k]) => GVISOR_WRITABLE.has(k)));

const asStrings = (s: Sysctls | undefined): Record<string, string> => Object.fromEntries(Object.entries(s ?? {}).map(([k, v]) => [k, String(v)]));

export async function createTopology(names: string[], options: TopologyOptions = {}): Promise<Topology> {
  checkNames(names);
  const stackOf = (name: string): StackName => options.stacks?.[name] ?? 'linux';
  const bridge = options.bridge === true;
  const leases = new Map<string, Lease>();
  let wire: CaseWire | null = null;
  const hosts: StackHost[] = [];
  const undo = async () => {
    for (const h of [...hosts].reverse()) await h.destroy().catch(() => undefined);
    for (const [name, lease] of leases) if (!hosts.some((h) => h.spec.name === name)) lease.channel.destroy();
    wire?.destroy();
  };
  try {
    const guests = names.filter((n) => stackOf(n) !== 'linux');
    const leased = await Promise.allSettled(
      guests.map((n) => {
        const stack = stackOf(n) as 'uml' | 'gvisor';
        // a gVisor sandbox's sysctls belong to all of it: it is started with the case's (those
        // it can set; a read-only one pinned to its own value needs no setting)
        return GuestHost.lease(stack, stack === 'gvisor' ? writableOnGvisor(asStrings(options.sysctls?.[n])) : {});
      }),
    );
    leased.forEach((r, i) => r.status === 'fulfilled' && leases.set(guests[i], r.value));
    const failed = leased.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    wire = createWire({ bridge, avoid: [...leases.values()].flatMap((l) => l.guest.recentSlots) });
    const w = wire;
    const specs: HostSpec[] = names.map((name, index) => {
      const lease = leases.get(name);
      return {
        name,
        index,
        ns: lease ? lease.guest.holderNs : `${w.id}-h${index}`,
        // a guest's end of its link in its holder is eth0; the name inside the guest is begin()'s
        ifname: lease ? 'eth0' : (options.interfaces?.[name] ?? 'eth0'),
        mac: lease ? lease.guest.mac : linuxMac(w.slot, index),
        ipv4: w.ipv4(index),
        ipv6: w.ipv6(index),
        port: `p${index}`,
        wireNs: w.wireNs,
      };
    });
    const peersOf = (spec: HostSpec): Peer[] => specs.filter((s) => s !== spec).map((s) => ({ ipv4: s.ipv4, ipv6: s.ipv6, mac: s.mac }));
    // guests one round trip at a time each, all of them at once
    const made = await Promise.allSettled(
      specs.map(async (spec) => {
        const lease = leases.get(spec.name);
        return lease ? GuestHost.attach(lease.guest.stack, lease, spec, w.slot, bridge) : LinuxHost.make(spec, () => peersOf(spec), options.sysctls?.[spec.name] ?? {}, bridge);
      }),
    );
    for (const r of made) if (r.status === 'fulfilled') hosts.push(r.value);
    const unmade = made.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (unmade) throw unmade.reason;
    await Promise.all(
      hosts.map(async (h) => {
        if (h instanceof LinuxHost) h.configure();
        else if (h instanceof GuestHost) await h.begin(peersOf(h.spec), asStrings(options.sysctls?.[h.spec.name]), w.prefixes, options.interfaces?.[h.spec.name]);
      }),
    );

  } catch (e) {
    await undo();
    throw e;
  }
  const w = wire!;
  let destroyed = false;
  return {
    id: w.id,
    slot: w.slot,
    wireNs: w.wireNs,
    prefixes: w.prefixes,
    hosts,
    up: async () => {
      await Promise.all(hosts.map((h) => h.up()));
    },
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      // guests first: their ports go back to the pool before the wire namespace goes
      await Promise.all(hosts.map((h) => h.destroy().catch(() => undefined)));
      w.destroy();
    },
  };
}
