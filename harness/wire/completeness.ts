/**
 * Is the capture complete? Every frame a host sent was captured, and every frame the
 * relay delivered reached its host or was refused by the kernel as the relay sent it
 * (the host's link not up yet, as the hosts' links come up one after the other, or
 * going down, or the port gone with a crashed host). A frame the wire port dropped
 * while the host's link was up is a loss the capture did not see. In bridge mode the
 * kernel forwards, so the relay's deliveries are not counted; the other checks hold.
 */
import type { PortStats } from './protocol.js';
import type { TraceWireCheck } from '../trace/types.js';

export interface LinkCounters {
  rx: number;
  tx: number;
  txDropped: number;
}

/**
 * Drops of each wire port while its host's link was up: the rest are expected. Relay
 * mode: the frames the relay saw refused (an egress filter's drop is counted by no
 * device); bridge mode: the port's own drop counter.
 */
export class PortDrops {
  /** the port's drops and the relay's refusals when its host's link was last made ready; null while the link is down or gone */
  private readonly atUp: ({ txDropped: number; refused: number } | null)[] = [];
  private readonly whileUp: number[] = [];

  linkUp(i: number, port: LinkCounters, refused: number): void {
    this.atUp[i] = { txDropped: port.txDropped, refused };
  }

  linkDown(i: number, port: LinkCounters, refused: number): void {
    const base = this.atUp[i];
    if (base === null || base === undefined) return;
    this.whileUp[i] = (this.whileUp[i] ?? 0) + Math.max(port.txDropped - base.txDropped, refused - base.refused);
    this.atUp[i] = null;
  }

  get dropsWhileUp(): readonly number[] {
    return this.whileUp;
  }
}

export function completeness(stats: PortStats[], host: LinkCounters[], port: LinkCounters[], whileUp: readonly number[], names: string[], bridged: boolean): TraceWireCheck {
  const ports = names.map((name, i) => ({
    host: name,
    sent: host[i].tx,
    captured: stats[i]?.captured ?? 0,
    delivered: stats[i]?.delivered ?? 0,
    received: host[i].rx,
    // relay: every drop the port counted was a send the kernel refused; bridge: the kernel sends
    droppedBeforeUp: (bridged ? port[i].txDropped : (stats[i]?.refused ?? 0)) - (whileUp[i] ?? 0),
    droppedWhileUp: whileUp[i] ?? 0,
  }));
  const problems = ports.flatMap((p) => [
    ...(p.captured !== p.sent ? [`${p.host} sent ${p.sent} frames, the sidecar captured ${p.captured}`] : []),
    ...(p.droppedWhileUp ? [`the wire dropped ${p.droppedWhileUp} frame${p.droppedWhileUp === 1 ? '' : 's'} to ${p.host} while its link was up`] : []),
    ...(!bridged && p.received + p.droppedBeforeUp + p.droppedWhileUp !== p.delivered
      ? [`the sidecar delivered ${p.delivered} frames to ${p.host}, it received ${p.received} (${p.droppedBeforeUp} dropped while its link was down or gone)`]
      : []),
  ]);
  return { ports, complete: problems.length === 0, ...(problems.length ? { problem: problems.join('; ') } : {}) };
}
