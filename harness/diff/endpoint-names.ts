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
    // ports the case asked for: bind(addr:port) with a port, connect(addr:port)
    for (const c of calls) {
      if ((c.call === 'bind' || c.call === 'connect') && c.args) {
        const p = portOf(c.args);
        if (p) this.fixedPorts.add(p);
      }
    }
    // any address of the case's subnets, with an optional port
    const alternatives: string[] = [];
    const first = hosts[0];
    if (first) {
      const v4 = first.ipv4.slice(0, first.ipv4.lastIndexOf('.') + 1);
      const v6 = first.ipv6.slice(0, first.ipv6.lastIndexOf(':') + 1);
      alternatives.push(`\\[(${escapeRegExp(v6)}[0-9a-f]{0,4})\\](?::(\\d+))?`);
      alternatives.push(`(?<![\\d.])(${escapeRegExp(v4)}\\d{1,3})(?![\\d])(?::(\\d+))?`);
      alternatives.push(`(${escapeRegExp(v6)}[0-9a-f]{0,4})(?![0-9a-f:])`);
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
    return s.replace(this.pattern, (_m, v6b: string | undefined, v6bPort: string | undefined, v4: string | undefined, v4Port: string | undefined, v6: string | undefined) => {
      const addr = v6b ?? v4 ?? v6 ?? '';
      const port = v6bPort ?? v4Port;
      return port === undefined ? this.address(addr) : `${this.address(addr)}:${this.port(Number(port))}`;
    });
  }
}
