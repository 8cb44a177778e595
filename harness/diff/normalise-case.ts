/**
 * One case's trace.json → its bundle entry: hosts by name, segments normalised,
 * each socket's states and calls, timer durations. Nothing that changes from run
 * to run survives (ISNs, ports the kernel chose, addresses, absolute times).
 */
import type { CaseTrace, TraceCall } from '../trace/types.js';
import type { BundleCase, BundleSocket } from './bundle-schema.js';
import { EndpointNames } from './endpoint-names.js';
import { normaliseSegments } from './normalise-segments.js';
import { measureTimers } from './timers.js';

/** "three-way handshake [ipv4]" */
export function caseId(trace: Pick<CaseTrace, 'case' | 'family'>): string {
  return `${trace.case} [${trace.family}]`;
}

/** Sort key for labels like "server#10": host name, then number. */
export function compareLabels(a: string, b: string): number {
  const [ha, na] = a.split('#');
  const [hb, nb] = b.split('#');
  if (ha !== hb) return ha < hb ? -1 : 1;
  return (Number(na) || 0) - (Number(nb) || 0) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The case file relative to the checkout: "cases/close/active-close.case.ts". */
export function caseFile(file: string): string {
  const i = file.lastIndexOf('/cases/');
  if (i >= 0) return file.slice(i + 1);
  return file.startsWith('cases/') ? file : file.slice(file.lastIndexOf('/') + 1);
}

function callText(c: TraceCall, names: EndpointNames): string {
  return `${c.call}(${names.text(c.args ?? '')}) → ${names.text(c.result)}`;
}

/** How harness/case/node-api records a Node socket's 'close' event. */
const NODE_CLOSE_EVENT = "'close'";

/** "client#1", "server#2 (node)": a socket; "node" (a spawned program), "client" (crash, reboot) are not. */
function isSocketLabel(label: string): boolean {
  return /^[^#\s]+#\d+/.test(label);
}

/**
 * Each socket with its states and the outcome of every call made on it. Events of
 * programs a case spawned (pids, their output) and of hosts (crash, reboot) are
 * not socket calls and are left out, and so is Node's 'close' event: it comes last,
 * once the socket is gone, sometimes after the case has ended — whether it was
 * recorded is timing — and 'end' and 'error' carry the outcome.
 */
function sockets(trace: CaseTrace, names: EndpointNames): BundleSocket[] {
  const byLabel = new Map<string, BundleSocket>();
  for (const s of trace.sockets) {
    byLabel.set(s.label, {
      label: s.label,
      host: s.host,
      local: names.endpoint(s.local),
      remote: names.endpoint(s.remote),
      states: s.transitions.map((t) => t.to),
      calls: [],
    });
  }
  const calls = [...trace.calls].sort((a, b) => a.t - b.t);
  for (const c of calls) {
    if (!isSocketLabel(c.socket) || c.call === NODE_CLOSE_EVENT) continue;
    let sock = byLabel.get(c.socket);
    if (!sock) {
      sock = { label: c.socket, host: c.host, local: null, remote: null, states: [], calls: [] };
      byLabel.set(c.socket, sock);
    }
    sock.calls.push(callText(c, names));
  }
  return [...byLabel.values()].sort((a, b) => compareLabels(a.label, b.label));
}

/** The case's bundle entry; host sysctls are complete here (the bundle keeps only what differs from the run's common values). */
export function normaliseCase(trace: CaseTrace): BundleCase {
  const names = new EndpointNames(trace.hosts, trace.calls);
  return {
    id: caseId(trace),
    case: trace.case,
    family: trace.family,
    file: caseFile(trace.file),
    status: trace.status,
    ...(trace.error ? { error: names.text(trace.error) } : {}),
    hosts: trace.hosts.map((h) => ({
      name: h.name,
      profile: h.profile ?? null,
      ...(h.stack && h.stack !== 'linux' ? { stack: h.stack } : {}),
      ...(h.sysctls ? { sysctls: { ...h.sysctls } } : {}),
    })),
    segments: normaliseSegments(trace.segments, { kernelEvents: trace.kernelEvents, hostOrder: trace.hosts.map((h) => h.name) }),
    sockets: sockets(trace, names),
    timers: measureTimers(trace, names),
  };
}
