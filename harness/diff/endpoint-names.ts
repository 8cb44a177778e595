/**
 * Addresses and ports out of a case's text: an address becomes its host's name, a
 * port the case chose (bound or connected to) stays, a port the kernel picked
 * becomes "eph". "198.18.118.1:41722" → "client:eph", "[fd74:…::2]:8080" → "server:8080".
 */
import type { TraceCall, TraceHost } from '../trace/types.js';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Port of an endpoint written "a.b.c.d:port" or "[v6]:port", or null. */
function portOf(endpoint: string): number | null {
  const m = /:(\d+)$/.exec(endpoint.trim());
  return m ? Number(m[1]) : null;
}

export class EndpointNames {
  private readonly byAddress = new Map<string, string>();
  private readonly fixedPorts = new Set<number>();
  private readonly pattern: RegExp | null;

  constructor(hosts: readonly TraceHost[], calls: readonly TraceCall[]) {
    for (const h of hosts) {
      this.byAddress.set(h.ipv4, h.name);
      this.byAddress.set(h.ipv6, h.name);
    }
    // ports the case asked for: bind(addr:port), connect(addr:port), and Node's
    // net.connect(addr:port) and server.listen(port)
    for (const c of calls) {
      if (!c.args) continue;
      const p = /(^|\.)(bind|connect)$/.test(c.call) ? portOf(c.args) : c.call === 'server.listen' && /^\d+$/.test(c.args) ? Number(c.args) : null;
      if (p) this.fixedPorts.add(p);
    }
    // any address of the case's subnets, with an optional port: [v6]:port, v4:port, a host's
    // v6 address then :port (as Node writes it), any other v6 address of the subnet
    const alternatives: string[] = [];
    const first = hosts[0];
    if (first) {
      const v4 = escapeRegExp(first.ipv4.slice(0, first.ipv4.lastIndexOf('.') + 1));
      const v6 = escapeRegExp(first.ipv6.slice(0, first.ipv6.lastIndexOf(':') + 1));
      const known6 = hosts.map((h) => h.ipv6).sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
      alternatives.push(`\\[(?<b6>${v6}[0-9a-f]{0,4})\\](?::(?<b6port>\\d+))?`);
      alternatives.push(`(?<![\\d.])(?<v4>${v4}\\d{1,3})(?!\\d)(?::(?<v4port>\\d+))?`);
      alternatives.push(`(?<k6>${known6})(?::(?<k6port>\\d+))?(?![0-9a-f:])`);
      alternatives.push(`(?<o6>${v6}[0-9a-f]{0,4})(?![0-9a-f:])`);
    }
    this.pattern = alternatives.length ? new RegExp(alternatives.join('|'), 'gi') : null;
  }

  /** A host's name for one of the case's addresses; "net.<n>" / "net::<n>" for another address of the subnet. */
  address(addr: string): string {
    const name = this.byAddress.get(addr.toLowerCase()) ?? this.byAddress.get(addr);
    if (name) return name;
    const v4 = /\.(\d+)$/.exec(addr);
    if (v4 && !addr.includes(':')) return `net.${v4[1]}`;
    return `net::${addr.slice(addr.lastIndexOf(':') + 1)}`;
  }

  port(port: number): string {
    return port === 0 || this.fixedPorts.has(port) ? String(port) : 'eph';
  }

  /** "198.18.118.1:41722" → "client:eph"; null stays null. */
  endpoint(text: string | null): string | null {
    return text === null ? null : this.text(text);
  }

  /** Every address (and the port after it) inside free text replaced. */
  text(s: string): string {
    if (!this.pattern) return s;
    return s.replace(this.pattern, (...args: unknown[]) => {
      const g = args[args.length - 1] as Record<string, string | undefined>;
      const addr = g.b6 ?? g.v4 ?? g.k6 ?? g.o6 ?? '';
      const port = g.b6port ?? g.v4port ?? g.k6port;
      return port === undefined ? this.address(addr) : `${this.address(addr)}:${this.port(Number(port))}`;
    });
  }
}
