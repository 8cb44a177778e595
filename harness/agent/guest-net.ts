/**
 * The case's network inside a guest, made at `begin` and undone at `end`.
 *
 * User-Mode Linux has network namespaces: each case gets a fresh one and the guest's
 * NIC moves into it (renamed as the case wants), so nothing of one case (TIME_WAIT,
 * sysctls, routes) is left for the next; at the end the NIC moves back and the
 * namespace is deleted. gVisor's netstack cannot move its NIC: the case's addresses
 * are added to it and removed at the end, and each case comes on a subnet the
 * sandbox has not used lately (the pool sees to that).
 */
import { homeNamespaceFd, namespaceFd, releaseNamespace, withRtnl } from '../topology/netns.js';
import { Rtnl, netnsAdd, netnsDel, IF_OPER_UP } from '../topology/netlink.js';
import { applySysctls } from '../topology/sysctl.js';
import type { CaseNet } from './protocol.js';

/** Quiet and deterministic, as on a namespace host (topology/build.ts). */
const QUIET: Record<string, string> = {
  'net.ipv6.conf.default.accept_dad': '0',
  'net.ipv6.conf.all.accept_dad': '0',
  'net.ipv6.conf.default.dad_transmits': '0',
  'net.ipv6.conf.default.router_solicitations': '0',
  'net.ipv6.conf.default.accept_ra': '0',
  'net.ipv6.conf.default.autoconf': '0',
};

const READY_TIMEOUT_MS = 5000;

/**
 * `ip addr add`; gVisor adds the address and then answers EOPNOTSUPP (to the flags it
 * does not know): the address being there is what counts.
 */
function addAddress(nl: Rtnl, index: number, a: { address: string; prefix: number }): void {
  try {
    nl.addAddress(index, a.address, a.prefix, a.address.includes(':'));
  } catch (e) {
    if (!nl.addresses(index).some((x) => x.address === a.address)) throw e;
  }
}

export class GuestNet {
  private constructor(readonly net: CaseNet) {}

  /** The namespace the case's sockets live in (null: the guest's own). */
  get namespace(): string | null {
    return this.net.namespace;
  }

  static async make(net: CaseNet): Promise<GuestNet> {
    const g = new GuestNet(net);
    const ns = net.namespace;
    if (ns !== null) {
      netnsAdd(ns, homeNamespaceFd());
      try {
        applySysctls(ns, { ...QUIET, ...net.sysctls });
        withRtnl(null, (nl) => nl.setLink(net.nic, { nsFd: namespaceFd(ns), name: net.ifname }));
      } catch (e) {
        g.undoNamespace();
        throw e;
      }
    }
    withRtnl(ns, (nl) => {
      if (ns !== null) nl.setUp('lo', true);
      const index = nl.index(net.ifname);
      // gVisor: the address the sandbox was started with (runsc takes a link only with one),
      // or one a case before left behind, is not this case's
      if (ns === null) for (const a of nl.addresses(index)) if (!a.address.startsWith('fe80:')) nl.delAddress(index, a.address, a.prefix);
      if (ns !== null) nl.offloadsOff(net.ifname);
      for (const a of net.addresses) addAddress(nl, index, a);
      // gVisor keeps no static neighbours (it resolves them on the wire) and its link is always up
      if (ns === null) return;
      for (const n of net.neighbours) nl.addNeighbour(index, n.address, n.mac);
      nl.setUp(net.ifname, true);
    });
    return g;
  }

  /**
   * Until the addresses are usable: once the link has carrier (the wire's port is up),
   * IPv6 leaves the tentative state a moment later, and its local route comes after.
   */
  async ready(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const ok = withRtnl(this.net.namespace, (nl) => {
        const link = nl.link(this.net.ifname);
        const have = nl.addresses(link.index);
        // gVisor answers no route requests: there, an address present is an address in use
        const local = (a: string) => this.net.namespace === null || nl.isLocal(a);
        return this.net.addresses.every((a) => have.some((h) => h.address === a.address && !h.tentative) && local(a.address));
      });
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`the guest's ${this.net.ifname} addresses are not usable after ${READY_TIMEOUT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Is the NIC's carrier up (the wire port at the other end is up)? */
  carrier(): boolean {
    return withRtnl(this.net.namespace, (nl) => nl.link(this.net.ifname).operstate === IF_OPER_UP);
  }

  /** Give the NIC back as it was before the case. */
  undo(): void {
    if (this.net.namespace === null) {
      withRtnl(null, (nl) => {
        const index = nl.index(this.net.nic);
        for (const a of this.net.addresses) {
          try {
            nl.delAddress(index, a.address, a.prefix);
          } catch {
            // already gone
          }
        }
      });
      return;
    }
    this.undoNamespace();
  }

  private undoNamespace(): void {
    const ns = this.net.namespace!;
    try {
      withRtnl(ns, (nl) => {
        nl.setUp(this.net.ifname, false);
        nl.setLink(this.net.ifname, { nsFd: homeNamespaceFd(), name: this.net.nic });
      });
    } catch {
      // not moved in yet; or gone: deleting the namespace gives a physical NIC back too
    }
    releaseNamespace(ns);
    netnsDel(ns);
  }
}
