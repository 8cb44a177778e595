/**
 * Building a topology without a process per step: rtnetlink messages on a NETLINK_ROUTE
 * socket opened inside the namespace they act on, SIOCETHTOOL ioctls for offloads, and
 * network namespaces made the way `ip netns add` makes them (unshare + bind mount),
 * all synchronously from this thread through koffi.
 *
 * Each call does what the `ip` / `ethtool` command named in its comment does, with the
 * same netlink request, so the kernel ends up in the same state; errors read like ip's
 * ("RTNETLINK answers: File exists").
 */
import { createRequire } from 'node:module';
import { openSync, closeSync, mkdirSync, unlinkSync, readFileSync, constants as fsc } from 'node:fs';
import { setns } from '../sockets/libc.js';
import { ipv6Bytes, formatIpv6 } from '../sockets/sockaddr.js';

const require = createRequire(import.meta.url);
const koffi = require('koffi') as typeof import('koffi');
const lib = koffi.load('libc.so.6');

const ifreqEthtool = koffi.struct('tcpl_ifreq_ethtool', {
  name: koffi.array('char', 16, 'String'),
  data: 'void *',
  pad: koffi.array('uint8', 16),
});

const c = {
  socket: lib.func('int socket(int domain, int type, int protocol)'),
  send: lib.func('intptr_t send(int fd, const void *buf, uintptr_t len, int flags)'),
  recv: lib.func('intptr_t recv(int fd, _Out_ void *buf, uintptr_t len, int flags)'),
  close: lib.func('int close(int fd)'),
  ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)'),
  unshare: lib.func('int unshare(int flags)'),
  mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)'),
  umount2: lib.func('int umount2(const char *target, int flags)'),
  strerror: lib.func('const char *strerror(int errnum)'),
};

const AF_UNSPEC = 0;
const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const CLONE_NEWNET = 0x40000000;
const MS_BIND = 0x1000;
const MS_REC = 0x4000;
const MS_SHARED = 1 << 20;
const MNT_DETACH = 2;
const EINVAL = 22;

const NLM_F_REQUEST = 0x1;
const NLM_F_MULTI = 0x2;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_GETLINK = 18;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const RTM_GETADDR = 22;
const RTM_NEWNEIGH = 28;
const RTM_GETROUTE = 26;
const RTA_DST = 1;
const RTN_LOCAL = 2;

const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_MASTER = 10;
const IFLA_OPERSTATE = 16;
const IFLA_LINKINFO = 18;
const IFLA_NET_NS_FD = 28;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;

const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_FLAGS = 8;
const IFA_F_NODAD = 0x02;
const IFA_F_TENTATIVE = 0x40;

const NDA_DST = 1;
const NDA_LLADDR = 2;
const NUD_PERMANENT = 0x80;

const IFF_UP = 0x1;
const IFF_MULTICAST = 0x1000;
export const IF_OPER_UP = 6;

const SIOCETHTOOL = 0x8946;
const ETHTOOL_GSTRINGS = 0x1b;
const ETHTOOL_GSSET_INFO = 0x37;
const ETHTOOL_SFEATURES = 0x3b;
const ETH_SS_FEATURES = 4;
const ETH_GSTRING_LEN = 32;

export const NETNS_RUN_DIR = '/run/netns';

function errnoText(errno: number): string {
  return String(c.strerror(errno));
}

/** An error of the kind `ip` reports, with the errno name kept for callers. */
export class NetlinkError extends Error {
  constructor(
    message: string,
    readonly errno: number,
  ) {
    super(message);
    this.name = 'NetlinkError';
  }
}

// ── messages ────────────────────────────────────────────────────────────────

function align4(n: number): number {
  return (n + 3) & ~3;
}

type Attr = { type: number; data: Buffer } | { type: number; nested: Attr[] };

function attr(type: number, data: Buffer): Attr {
  return { type, data };
}
function nest(type: number, ...nested: Attr[]): Attr {
  return { type, nested };
}
function str(type: number, s: string): Attr {
  return attr(type, Buffer.from(s + '\0'));
}
function u32(type: number, n: number): Attr {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return attr(type, b);
}

function encodeAttrs(attrs: Attr[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of attrs) {
    const payload = 'data' in a ? a.data : encodeAttrs(a.nested);
    const head = Buffer.alloc(4);
    head.writeUInt16LE(4 + payload.length, 0);
    head.writeUInt16LE(a.type, 2);
    parts.push(head, payload, Buffer.alloc(align4(payload.length) - payload.length));
  }
  return Buffer.concat(parts);
}

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

function ifinfomsg(index: number, flags = 0, change = 0, family = AF_UNSPEC): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(family, 0);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

function parseAttrs(buf: Buffer, start: number, end: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = start;
  while (off + 4 <= end) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & 0x3fff;
    if (len < 4 || off + len > end) break;
    if (!out.has(type)) out.set(type, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

interface Reply {
  type: number;
  body: Buffer;
}

let seq = Math.floor(Math.random() * 0x7fffffff);

/** A NETLINK_ROUTE socket living in one network namespace. */
export class Rtnl {
  private readonly rx = Buffer.alloc(65536);
  private closed = false;

  private constructor(readonly fd: number) {}

  /** Open a socket inside namespace file `nsFd` (the namespace a netlink socket acts on is the one it was made in). */
  static open(nsFd: number | null, homeFd: number): Rtnl {
    if (nsFd !== null) setns(nsFd);
    let fd: number;
    try {
      fd = Number(c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    } finally {
      if (nsFd !== null) setns(homeFd);
    }
    if (fd < 0) throw new NetlinkError(`cannot open a netlink socket: ${errnoText(koffi.errno())}`, koffi.errno());
    return new Rtnl(fd);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    c.close(this.fd);
  }

  private sendMsg(type: number, flags: number, header: Buffer, attrs: Attr[]): number {
    const payload = Buffer.concat([header, encodeAttrs(attrs)]);
    const msg = Buffer.alloc(16 + payload.length);
    const s = (seq = (seq + 1) & 0x7fffffff);
    msg.writeUInt32LE(msg.length, 0);
    msg.writeUInt16LE(type, 4);
    msg.writeUInt16LE(flags, 6);
    msg.writeUInt32LE(s, 8);
    msg.writeUInt32LE(0, 12);
    payload.copy(msg, 16);
    const n = Number(c.send(this.fd, msg, msg.length, 0));
    if (n !== msg.length) throw new NetlinkError(`netlink send failed: ${errnoText(koffi.errno())}`, koffi.errno());
    return s;
  }

  /** Messages answering request `s` until its ack (or the end of a dump). */
  private replies(s: number, dump: boolean): Reply[] {
    const out: Reply[] = [];
    for (;;) {
      const n = Number(c.recv(this.fd, this.rx, this.rx.length, 0));
      if (n < 0) throw new NetlinkError(`netlink receive failed: ${errnoText(koffi.errno())}`, koffi.errno());
      let off = 0;
      while (off + 16 <= n) {
        const len = this.rx.readUInt32LE(off);
        const type = this.rx.readUInt16LE(off + 4);
        const flags = this.rx.readUInt16LE(off + 6);
        const mseq = this.rx.readUInt32LE(off + 8);
        if (len < 16 || off + len > n) break;
        const body = Buffer.from(this.rx.subarray(off + 16, off + len));
        off += align4(len);
        if (mseq !== s) continue; // an answer to an earlier request (cannot happen: each waits for its own)
        if (type === NLMSG_ERROR) {
          const err = -body.readInt32LE(0);
          if (err === 0) return out;
          throw new NetlinkError(`RTNETLINK answers: ${errnoText(err)}`, err);
        }
        if (type === NLMSG_DONE) return out;
        out.push({ type, body });
        if (!dump && !(flags & NLM_F_MULTI)) {
          // a plain answer (RTM_GET* for one object) comes without an ack
          return out;
        }
      }
    }
  }

  /** Send a request that changes something and wait for its ack. */
  private change(type: number, flags: number, header: Buffer, attrs: Attr[]): void {
    this.replies(this.sendMsg(type, NLM_F_REQUEST | NLM_F_ACK | flags, header, attrs), false);
  }

  /** `ip link add name IF [netns NS] address MAC type veth peer name PEER [netns PEERNS]` */
  addVeth(ifname: string, mac: string, nsFd: number | null, peer: string, peerNsFd: number | null): void {
    const peerInfo = Buffer.concat([ifinfomsg(0), encodeAttrs([str(IFLA_IFNAME, peer), ...(peerNsFd !== null ? [u32(IFLA_NET_NS_FD, peerNsFd)] : [])])]);
    this.change(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifinfomsg(0), [
      str(IFLA_IFNAME, ifname),
      ...(nsFd !== null ? [u32(IFLA_NET_NS_FD, nsFd)] : []),
      attr(IFLA_ADDRESS, macBytes(mac)),
      nest(IFLA_LINKINFO, str(IFLA_INFO_KIND, 'veth'), nest(IFLA_INFO_DATA, attr(VETH_INFO_PEER, peerInfo))),
    ]);
  }

  /** `ip link add IF type bridge` */
  addBridge(ifname: string): void {
    this.change(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifinfomsg(0), [str(IFLA_IFNAME, ifname), nest(IFLA_LINKINFO, str(IFLA_INFO_KIND, 'bridge'))]);
  }

  /** `ip link set IF up|down` */
  setUp(ifname: string, up: boolean): void {
    this.change(RTM_NEWLINK, 0, ifinfomsg(0, up ? IFF_UP : 0, IFF_UP), [str(IFLA_IFNAME, ifname)]);
  }

  /** `ip link set IF multicast on|off` */
  setMulticast(ifname: string, on: boolean): void {
    this.change(RTM_NEWLINK, 0, ifinfomsg(0, on ? IFF_MULTICAST : 0, IFF_MULTICAST), [str(IFLA_IFNAME, ifname)]);
  }

  /** `ip link set IF master MASTER` */
  setMaster(ifname: string, master: string): void {
    this.change(RTM_NEWLINK, 0, ifinfomsg(0), [str(IFLA_IFNAME, ifname), u32(IFLA_MASTER, this.index(master))]);
  }

  /** `ip link set IF [netns NS] [name NEW] [address MAC] [mtu N]`: NS as an open namespace file */
  setLink(ifname: string, change: { nsFd?: number; name?: string; mac?: string; mtu?: number }): void {
    this.change(RTM_NEWLINK, 0, ifinfomsg(this.index(ifname)), [
      ...(change.name ? [str(IFLA_IFNAME, change.name)] : []),
      ...(change.nsFd !== undefined ? [u32(IFLA_NET_NS_FD, change.nsFd)] : []),
      ...(change.mac ? [attr(IFLA_ADDRESS, macBytes(change.mac))] : []),
      ...(change.mtu !== undefined ? [u32(IFLA_MTU, change.mtu)] : []),
    ]);
  }

  /** `ip link del IF` */
  delLink(ifname: string): void {
    this.change(RTM_DELLINK, 0, ifinfomsg(0), [str(IFLA_IFNAME, ifname)]);
  }

  /** The link named `ifname`: its index and operational state. */
  link(ifname: string): { index: number; operstate: number } {
    let r: Reply | undefined;
    try {
      [r] = this.replies(this.sendMsg(RTM_GETLINK, NLM_F_REQUEST, ifinfomsg(0), [str(IFLA_IFNAME, ifname)]), false);
    } catch (e) {
      if (!(e instanceof NetlinkError)) throw e;
    }
    // gVisor's netlink finds a link by index only: look for the name in the list of all
    r ??= this.replies(this.sendMsg(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, ifinfomsg(0), []), true).find(
      (x) => parseAttrs(x.body, 16, x.body.length).get(IFLA_IFNAME)?.toString('utf8').replace(/\0+$/, '') === ifname,
    );
    if (!r) throw new NetlinkError(`Cannot find device "${ifname}"`, 19);
    const attrs = parseAttrs(r.body, 16, r.body.length);
    return { index: r.body.readInt32LE(4), operstate: attrs.get(IFLA_OPERSTATE)?.readUInt8(0) ?? 0 };
  }

  index(ifname: string): number {
    try {
      return this.link(ifname).index;
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === 19) throw new NetlinkError(`Cannot find device "${ifname}"`, 19);
      throw e;
    }
  }

  /**
   * Is `address` a local address here yet (`ip route get ADDR` says "local")? An IPv6
   * address leaves the tentative state a moment before its local route is in; a
   * segment arriving in between is not delivered to this host.
   */
  isLocal(address: string): boolean {
    const v6 = address.includes(':');
    const h = Buffer.alloc(12);
    h.writeUInt8(v6 ? AF_INET6 : AF_INET, 0);
    h.writeUInt8(v6 ? 128 : 32, 1);
    try {
      const [r] = this.replies(this.sendMsg(RTM_GETROUTE, NLM_F_REQUEST, h, [attr(RTA_DST, Buffer.from(v6 ? ipv6Bytes(address) : ipv4Bytes(address)))]), false);
      return r?.body.readUInt8(7) === RTN_LOCAL;
    } catch (e) {
      if (e instanceof NetlinkError) return false; // no route at all yet
      throw e;
    }
  }

  /** `ip addr add ADDR/PREFIX dev IF [nodad]` */
  addAddress(index: number, address: string, prefix: number, nodad = false): void {
    const v6 = address.includes(':');
    const bytes = Buffer.from(v6 ? ipv6Bytes(address) : ipv4Bytes(address));
    const h = Buffer.alloc(8);
    h.writeUInt8(v6 ? AF_INET6 : AF_INET, 0);
    h.writeUInt8(prefix, 1);
    const flags = nodad ? IFA_F_NODAD : 0;
    h.writeUInt8(flags & 0xff, 2);
    h.writeUInt8(0, 3); // scope global
    h.writeUInt32LE(index, 4);
    this.change(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, h, [attr(IFA_LOCAL, bytes), attr(IFA_ADDRESS, bytes), u32(IFA_FLAGS, flags)]);
  }

  /** `ip addr del ADDR/PREFIX dev IF` */
  delAddress(index: number, address: string, prefix: number): void {
    const v6 = address.includes(':');
    const bytes = Buffer.from(v6 ? ipv6Bytes(address) : ipv4Bytes(address));
    const h = Buffer.alloc(8);
    h.writeUInt8(v6 ? AF_INET6 : AF_INET, 0);
    h.writeUInt8(prefix, 1);
    h.writeUInt32LE(index, 4);
    this.change(RTM_DELADDR, 0, h, [attr(IFA_LOCAL, bytes), attr(IFA_ADDRESS, bytes)]);
  }

  /** `ip neigh add ADDR lladdr MAC dev IF nud permanent` */
  addNeighbour(index: number, address: string, mac: string): void {
    const v6 = address.includes(':');
    const h = Buffer.alloc(12);
    h.writeUInt8(v6 ? AF_INET6 : AF_INET, 0);
    h.writeInt32LE(index, 4);
    h.writeUInt16LE(NUD_PERMANENT, 8);
    this.change(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, h, [attr(NDA_DST, Buffer.from(v6 ? ipv6Bytes(address) : ipv4Bytes(address))), attr(NDA_LLADDR, macBytes(mac))]);
  }

  /** Addresses on link `index`, with their prefix length and whether each is still tentative. */
  addresses(index: number): { address: string; prefix: number; tentative: boolean }[] {
    const h = Buffer.alloc(8);
    h.writeUInt8(AF_UNSPEC, 0);
    const out: { address: string; prefix: number; tentative: boolean }[] = [];
    for (const r of this.replies(this.sendMsg(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, h, []), true)) {
      if (r.body.readUInt32LE(4) !== index) continue;
      const family = r.body.readUInt8(0);
      const attrs = parseAttrs(r.body, 8, r.body.length);
      const flags = attrs.get(IFA_FLAGS)?.readUInt32LE(0) ?? r.body.readUInt8(2);
      const a = attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS);
      if (!a) continue;
      out.push({ address: family === AF_INET6 ? formatIpv6(a) : [...a].join('.'), prefix: r.body.readUInt8(1), tentative: (flags & IFA_F_TENTATIVE) !== 0 });
    }
    return out;
  }

  /**
   * `ethtool -K IF tx off tso off gso off gro off`: the features those words stand for in
   * ethtool (tx-checksum-*, tx-tcp*-segmentation, tx-generic-segmentation, rx-gro), found
   * by name in the kernel's feature list and cleared in one ETHTOOL_SFEATURES request.
   */
  offloadsOff(ifname: string): void {
    const { count, bits } = offloadFeatureBits(this.fd, ifname);
    const words = Math.ceil(count / 32);
    const req = Buffer.alloc(8 + words * 8);
    req.writeUInt32LE(ETHTOOL_SFEATURES, 0);
    req.writeUInt32LE(words, 4);
    for (const bit of bits) {
      const at = 8 + (bit >> 5) * 8; // { valid, requested } per word; requested stays 0: off
      req.writeUInt32LE((req.readUInt32LE(at) | (1 << (bit & 31))) >>> 0, at);
    }
    // a positive answer (ETHTOOL_F_WISH / _UNSUPPORTED) is what `ethtool -K` also takes quietly
    ethtoolIoctl(this.fd, ifname, req);
  }
}

function ethtoolIoctl(fd: number, ifname: string, data: Buffer): void {
  const r = Number(c.ioctl(fd, SIOCETHTOOL, koffi.pointer(ifreqEthtool), { name: ifname, data, pad: ZERO16 }));
  if (r < 0) {
    const errno = koffi.errno();
    throw new NetlinkError(`ethtool -K ${ifname}: ${errnoText(errno)}`, errno);
  }
}

/** ethtool's words for the offloads the harness turns off, as patterns of feature names. */
const OFFLOAD_PATTERNS = [/^tx-checksum-.*$/, /^tx-tcp.*-segmentation$/, /^tx-generic-segmentation$/, /^rx-gro$/];

let featureBits: { count: number; bits: number[] } | null = null;

/** The kernel's netdev feature names (the same for every device), read once. */
function offloadFeatureBits(fd: number, ifname: string): { count: number; bits: number[] } {
  if (featureBits) return featureBits;
  const info = Buffer.alloc(20);
  info.writeUInt32LE(ETHTOOL_GSSET_INFO, 0);
  info.writeBigUInt64LE(1n << BigInt(ETH_SS_FEATURES), 8);
  ethtoolIoctl(fd, ifname, info);
  const count = info.readUInt32LE(16);
  const strings = Buffer.alloc(12 + count * ETH_GSTRING_LEN);
  strings.writeUInt32LE(ETHTOOL_GSTRINGS, 0);
  strings.writeUInt32LE(ETH_SS_FEATURES, 4);
  strings.writeUInt32LE(count, 8);
  ethtoolIoctl(fd, ifname, strings);
  const bits: number[] = [];
  for (let i = 0; i < count; i++) {
    const raw = strings.subarray(12 + i * ETH_GSTRING_LEN, 12 + (i + 1) * ETH_GSTRING_LEN);
    const name = raw.subarray(0, raw.indexOf(0) >= 0 ? raw.indexOf(0) : raw.length).toString('latin1');
    if (OFFLOAD_PATTERNS.some((p) => p.test(name))) bits.push(i);
  }
  if (bits.length === 0) throw new NetlinkError('ethtool: the kernel names none of the tx/tso/gso/gro features', 0);
  featureBits = { count, bits };
  return featureBits;
}

const ZERO16 = new Array(16).fill(0);

function ipv4Bytes(address: string): Buffer {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`not an IPv4 address: ${address}`);
  return Buffer.from(parts);
}


// ── namespaces ──────────────────────────────────────────────────────────────

let runDirReady = false;

/** /run/netns as `ip netns add` leaves it: a shared mount, so namespace mounts propagate. */
function prepareRunDir(): void {
  if (runDirReady) return;
  mkdirSync(NETNS_RUN_DIR, { recursive: true, mode: 0o755 });
  if (!isSharedMount(NETNS_RUN_DIR)) {
    if (Number(c.mount('', NETNS_RUN_DIR, 'none', MS_SHARED | MS_REC, null)) !== 0) {
      if (koffi.errno() !== EINVAL) throw new NetlinkError(`mount --make-shared ${NETNS_RUN_DIR} failed: ${errnoText(koffi.errno())}`, koffi.errno());
      // not a mount point yet: bind it on itself first
      if (Number(c.mount(NETNS_RUN_DIR, NETNS_RUN_DIR, 'none', MS_BIND | MS_REC, null)) !== 0) {
        throw new NetlinkError(`mount --bind ${NETNS_RUN_DIR} failed: ${errnoText(koffi.errno())}`, koffi.errno());
      }
      if (Number(c.mount('', NETNS_RUN_DIR, 'none', MS_SHARED | MS_REC, null)) !== 0) {
        throw new NetlinkError(`mount --make-shared ${NETNS_RUN_DIR} failed: ${errnoText(koffi.errno())}`, koffi.errno());
      }
    }
  }
  runDirReady = true;
}

function isSharedMount(dir: string): boolean {
  try {
    return readFileSync('/proc/thread-self/mountinfo', 'utf8')
      .split('\n')
      .some((l) => {
        const f = l.split(' ');
        return f[4] === dir && f.slice(6, f.indexOf('-')).some((x) => x.startsWith('shared:'));
      });
  } catch {
    return false;
  }
}

/** `ip netns add NAME`: a new network namespace kept alive by a bind mount at /run/netns/NAME. */
export function netnsAdd(name: string, homeFd: number): void {
  prepareRunDir();
  const path = `${NETNS_RUN_DIR}/${name}`;
  try {
    closeSync(openSync(path, fsc.O_RDONLY | fsc.O_CREAT | fsc.O_EXCL, 0));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new NetlinkError(`Cannot create namespace file "${path}": ${errnoText(err.errno ? -err.errno : 0)}`, err.errno ? -err.errno : 0);
  }
  let failure: NetlinkError | null = null;
  if (Number(c.unshare(CLONE_NEWNET)) !== 0) {
    failure = new NetlinkError(`Failed to create a new network namespace "${name}": ${errnoText(koffi.errno())}`, koffi.errno());
  } else {
    try {
      if (Number(c.mount('/proc/thread-self/ns/net', path, 'none', MS_BIND, null)) !== 0) {
        failure = new NetlinkError(`Bind /proc/self/ns/net -> ${path} failed: ${errnoText(koffi.errno())}`, koffi.errno());
      }
    } finally {
      setns(homeFd);
    }
  }
  if (failure) {
    try {
      unlinkSync(path);
    } catch {
      // nothing to undo
    }
    throw failure;
  }
}

/** `ip netns del NAME` */
export function netnsDel(name: string): void {
  const path = `${NETNS_RUN_DIR}/${name}`;
  c.umount2(path, MNT_DETACH);
  try {
    unlinkSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new NetlinkError(`Cannot remove namespace file "${path}": ${errnoText(err.errno ? -err.errno : 0)}`, err.errno ? -err.errno : 0);
  }
}
