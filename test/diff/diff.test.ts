/** Comparing bundles: recorded ones from this machine, an edited copy "from another kernel", baselines, text, JSON, HTML. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  applyBaseline,
  baselineFor,
  buildBundle,
  bundleText,
  diffBundles,
  formatDiffText,
  parseBaseline,
  parseBundle,
  readBundle,
  renderDiffHtml,
  type Bundle,
  type BundleDiff,
} from '../../harness/diff/index.js';
import { align } from '../../harness/diff/align.js';
import { jsonText } from '../../harness/diff/json-text.js';
import { fixturePath, recordedTrace } from './fixtures.js';

const THIS = fixturePath('bundles/this-kernel.json');
const OTHER = fixturePath('bundles/other-kernel.json');

function diffOf(a: Bundle, b: Bundle, baseline?: Parameters<typeof diffBundles>[3]): BundleDiff {
  return diffBundles(a, b, { a: 'A.json', b: 'B.json' }, baseline);
}

/** `a` with one case changed by `edit`. */
function edited(a: Bundle, id: string, edit: (c: Bundle['cases'][number]) => void): Bundle {
  const b = structuredClone(a);
  const c = b.cases.find((x) => x.id === id);
  if (!c) throw new Error(`no case ${id}`);
  edit(c);
  return b;
}

const HANDSHAKE = 'three-way handshake [ipv4]';
const ACTIVE = 'active close: FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT [ipv4]';
const ABORTIVE = 'abortive close: SO_LINGER 0 sends RST [ipv4]';

describe('a rootless bundle (sampled states) against a traced one', () => {
  it('does not compare state lists, says so, and still compares segments', () => {
    const a = readBundle(THIS);
    const b = edited(a, ACTIVE, (c) => {
      c.sockets[0].states = c.sockets[0].states.filter((s) => s !== 'FIN_WAIT_1');
      c.segments[0].flags = 'SYN ECE CWR';
    });
    b.states = 'sampled';
    const d = diffOf(a, b);
    expect(d.environment).toContain('states: traced → sampled through sock_diag (rootless) (state lists not compared: sampling misses short states)');
    const kinds = d.cases.find((c) => c.id === ACTIVE)!.differences.map((x) => x.difference.kind);
    expect(kinds).not.toContain('states');
    expect(kinds.length).toBeGreaterThan(0);
    // both sampled: compared again
    a.states = 'sampled';
    expect(diffOf(a, b).cases.find((c) => c.id === ACTIVE)!.differences.map((x) => x.difference.kind)).toContain('states');
  });
});

describe('a bundle against itself', () => {
  it('has no difference', () => {
    const a = readBundle(THIS);
    const d = diffOf(a, readBundle(THIS));
    expect(d.counts).toMatchObject({ cases: 7, same: 7, differences: 0, new: 0 });
    expect(d.environment).toEqual([]);
    expect(formatDiffText(d)).toContain('7 cases: 7 the same, 0 different, 0 only in A, 0 only in B; 0 differences, 0 accepted by the baseline, 0 new');
  });

  it('is rebuilt byte for byte from the same traces, whatever their order', () => {
    const traces = ['half-close-ipv4-a', 'lost-final-ack-ipv4-a', 'linger-acks-lost-ipv6-a'].map(recordedTrace);
    const meta = { run: 'r', createdAt: 't', tool: { name: 'tcpladder', version: '0', node: 'v20' }, system: readBundle(THIS).system, profile: null, describeProfile: () => undefined };
    const one = bundleText(buildBundle(traces, meta));
    expect(bundleText(buildBundle([...traces].reverse(), meta))).toBe(one);
    expect(parseBundle(JSON.parse(one), 'x').cases.map((c) => c.id)).toEqual([
      'SO_LINGER 2 s: with every ACK lost, close() returns after the timeout [ipv6]',
      'half-close: the closer still receives [ipv4]',
      'lost final ACK: the FIN is retransmitted and answered from TIME_WAIT [ipv4]',
    ]);
  });

  it('writes each sysctl once, with the hosts that differ listing only their own values', () => {
    const meta = { run: 'r', createdAt: 't', tool: { name: 'tcpladder', version: '0', node: 'v20' }, system: readBundle(THIS).system, profile: null, describeProfile: () => undefined };
    const traces = ['half-close-ipv4-a', 'lost-final-ack-ipv4-a', 'linger-acks-lost-ipv6-a'].map(recordedTrace);
    const server = traces[1].hosts[1];
    server.profile = 'no-sack';
    server.sysctls = { ...server.sysctls!, 'net.ipv4.tcp_sack': '0' };
    const b = buildBundle(traces, meta);
    expect(b.sysctls['net.ipv4.tcp_sack']).toBe('1');
    const hosts = b.cases.flatMap((c) => c.hosts.map((h) => ({ id: c.id, ...h })));
    expect(hosts.filter((h) => h.sysctls)).toEqual([
      { id: 'lost final ACK: the FIN is retransmitted and answered from TIME_WAIT [ipv4]', name: 'server', profile: 'no-sack', sysctls: { 'net.ipv4.tcp_sack': '0' } },
    ]);
  });

  it('is the same from another run of the same cases', () => {
    const meta = { run: 'r', createdAt: 't', tool: { name: 'tcpladder', version: '0', node: 'v20' }, system: readBundle(THIS).system, profile: null, describeProfile: () => undefined };
    const names = ['half-close-ipv4', 'lost-final-ack-ipv4', 'linger-acks-lost-ipv6'];
    const a = buildBundle(names.map((n) => recordedTrace(`${n}-a`)), meta);
    const b = buildBundle(names.map((n) => recordedTrace(`${n}-b`)), { ...meta, run: 'r2' });
    expect(diffOf(a, b).counts.differences).toBe(0);
  });
});

describe('a bundle from another kernel (an edited copy)', () => {
  const d = diffOf(readBundle(THIS), readBundle(OTHER));

  it('finds exactly the edits: the wscale on the SYNs, a timer beyond tolerance, a case it lacks', () => {
    const found = d.cases.flatMap((c) => c.differences.map((x) => ({ id: c.id, ...x.difference })));
    expect(found).toEqual([
      { id: 'half-close: the closer still receives [ipv4]', kind: 'case-only-in-a' },
      { id: 'lost final ACK: the FIN is retransmitted and answered from TIME_WAIT [ipv4]', kind: 'timer', name: 'conn 1 server > client FIN ACK seq=1 retransmission 1', a: 184, b: 412, toleranceMs: 52 },
      { id: HANDSHAKE, kind: 'segment-changed', a: 0, b: 0, changes: [{ field: 'opts', a: 'mss 1460,sackOK,ts,nop,wscale 10', b: 'mss 1460,sackOK,ts,nop,wscale 7' }] },
      { id: HANDSHAKE, kind: 'segment-changed', a: 1, b: 1, changes: [{ field: 'opts', a: 'mss 1460,sackOK,ts,nop,wscale 10', b: 'mss 1460,sackOK,ts,nop,wscale 7' }] },
    ]);
    expect(d.counts).toMatchObject({ cases: 7, same: 4, different: 2, onlyInA: 1, onlyInB: 0, differences: 4, new: 4 });
  });

  it('says where each run was made, as context', () => {
    expect(d.environment).toEqual([
      'kernel: 6.18.44-fc-v669 #1 SMP PREEMPT_DYNAMIC @0 → 5.10.0-28-amd64 #1 SMP Debian 5.10.209-2 (2024-01-31)',
      'distribution: Debian GNU/Linux 12 (bookworm) → Debian GNU/Linux 11 (bullseye)',
      'sysctl net.ipv4.tcp_congestion_control: bbr → cubic (client, server; 6 cases)',
      'sysctl net.ipv4.tcp_rmem: 4096 131072 33554432 → 4096 131072 6291456 (client, server; 6 cases)',
    ]);
  });

  it('prints the changed segments like a unified diff of ladders', () => {
    const text = formatDiffText(d);
    expect(text).toContain(
      [
        '── three-way handshake [ipv4]: 2 segments changed',
        '  segments (A → B)',
        '  - client > server SYN seq=0 win=64240 <mss 1460,sackOK,ts,nop,wscale 10>',
        '  + client > server SYN seq=0 win=64240 <mss 1460,sackOK,ts,nop,wscale 7>   ≠ opts',
        '  - server > client SYN ACK seq=0 ack=1 win=65160 <mss 1460,sackOK,ts,nop,wscale 10>',
        '  + server > client SYN ACK seq=0 ack=1 win=65160 <mss 1460,sackOK,ts,nop,wscale 7>   ≠ opts',
        '    client > server ACK seq=1 ack=1 <nop,nop,ts>',
      ].join('\n'),
    );
    expect(text).toContain('  timer conn 1 server > client FIN ACK seq=1 retransmission 1: 184 ms → 412 ms (tolerance ±52 ms)');
    expect(text).toContain('── half-close: the closer still receives [ipv4]: only in A');
  });

  it('a wider tolerance accepts the timer', () => {
    const wide = diffBundles(readBundle(THIS), readBundle(OTHER), { a: 'A', b: 'B' }, { tolerance: { ms: 300 } });
    expect(wide.cases.flatMap((c) => c.differences).map((x) => x.difference.kind)).not.toContain('timer');
  });
});

describe('state sequences, outcomes and segments that come and go (RST into TIME_WAIT, no TIME_WAIT)', () => {
  const a = readBundle(THIS);

  it('rfc1337: the TIME_WAIT socket killed in one, kept in the other, is a states difference', () => {
    const b = edited(a, ACTIVE, (c) => {
      c.sockets.find((s) => s.label === 'client#1')!.states.push('CLOSED');
    });
    const d = diffOf(b, a);
    expect(d.cases.find((c) => c.id === ACTIVE)!.differences.map((x) => x.difference)).toEqual([
      { kind: 'states', socket: 'client#1', a: ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED'], b: ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT'] },
    ]);
    expect(formatDiffText(d)).toContain(
      ['  states of client#1', '  - SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED', '  + SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT'].join('\n'),
    );
  });

  it('no-timewait: CLOSED instead of TIME_WAIT and a 4-tuple reused at once are a states and an outcome difference', () => {
    const b = edited(a, ACTIVE, (c) => {
      const client = c.sockets.find((s) => s.label === 'client#1')!;
      client.states[client.states.length - 1] = 'CLOSED';
      client.calls.push('bind(client:40000) → ok');
      c.status = 'failed';
      c.error = 'client#1 states: expected TIME_WAIT, got CLOSED';
    });
    const a2 = edited(a, ACTIVE, (c) => c.sockets.find((s) => s.label === 'client#1')!.calls.push('bind(client:40000) → EADDRINUSE'));
    const d = diffOf(a2, b);
    const kinds = d.cases.find((c) => c.id === ACTIVE)!.differences.map((x) => x.difference.kind);
    expect(kinds).toEqual(['status', 'states', 'outcome']);
    const text = formatDiffText(d);
    expect(text).toContain('── active close: FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT [ipv4]: status, states of client#1, 1 call');
    expect(text).toContain('  status: passed → failed\n  + client#1 states: expected TIME_WAIT, got CLOSED');
    expect(text).toContain('  call of client#1\n  - bind(client:40000) → EADDRINUSE\n  + bind(client:40000) → ok');
  });

  it('an errno that changes is an outcome difference', () => {
    const b = edited(a, ABORTIVE, (c) => {
      const s = c.sockets.find((x) => x.label === 'server#2')!;
      s.calls = s.calls.map((x) => x.replace('ECONNRESET', 'EOF after 0 bytes'));
    });
    const diffs = diffOf(a, b).cases.find((c) => c.id === ABORTIVE)!.differences.map((x) => x.difference);
    expect(diffs).toEqual([{ kind: 'outcome', socket: 'server#2', a: 'read(to EOF) → ECONNRESET', b: 'read(to EOF) → EOF after 0 bytes' }]);
  });

  it('a missing RST and an added FIN are a segment missing and a segment added', () => {
    const b = edited(a, ABORTIVE, (c) => {
      const rst = c.segments.findIndex((s) => s.flags === 'RST ACK');
      c.segments[rst] = { ...c.segments[rst], flags: 'FIN ACK' };
    });
    const text = formatDiffText(diffOf(a, b));
    expect(text).toContain(['  - client > server RST ACK seq=1 ack=1 <nop,nop,ts>', '  + client > server FIN ACK seq=1 ack=1 <nop,nop,ts>'].join('\n'));
    expect(diffOf(a, b).cases.find((c) => c.id === ABORTIVE)!.differences.map((x) => x.difference.kind)).toEqual(['segment-missing', 'segment-added']);
  });
});

describe('baselines', () => {
  const a = readBundle(THIS);
  const b = readBundle(OTHER);

  it('accepted differences are shown but do not count', () => {
    const baseline = parseBaseline(
      {
        format: 'tcpladder-baseline',
        version: 1,
        accept: [
          { case: 'three-way handshake [*]', kind: 'segment-changed', field: 'opts', reason: 'older kernel: smaller rmem, wscale 7' },
          { case: 'lost final ACK*', kind: 'timer' },
          { case: 'half-close*', kind: 'case-only-in-a' },
        ],
      },
      'baseline.json',
    );
    const d = diffOf(a, b, { baseline });
    expect(d.counts).toMatchObject({ differences: 4, accepted: 4, new: 0 });
    expect(formatDiffText(d)).toContain('≠ opts  (accepted)');
  });

  it('a changed segment counts unless every changed field is accepted', () => {
    const c = edited(b, HANDSHAKE, (x) => {
      x.segments[0].win = 29200;
    });
    const only = parseBaseline({ format: 'tcpladder-baseline', version: 1, accept: [{ case: HANDSHAKE, kind: 'segment', field: 'opts' }] }, 'b.json');
    const d = diffOf(a, c, { baseline: only });
    const syn = d.cases.find((x) => x.id === HANDSHAKE)!.differences[0];
    expect(syn.difference).toMatchObject({ kind: 'segment-changed', changes: [{ field: 'win' }, { field: 'opts' }] });
    expect(syn.accepted).toBe(false);
    expect(applyBaseline(only, HANDSHAKE, { kind: 'segment-changed', a: 0, b: 0, changes: [{ field: 'opts', a: 'x', b: 'y' }] })).toBe(true);
    expect(applyBaseline(only, 'other case', { kind: 'segment-changed', a: 0, b: 0, changes: [{ field: 'opts', a: 'x', b: 'y' }] })).toBe(false);
  });

  it('a baseline written from a diff accepts all of it', () => {
    const d = diffOf(a, b);
    const written = baselineFor(d);
    expect(written.accept).toContainEqual({ case: HANDSHAKE, kind: 'segment-changed', field: 'opts' });
    expect(diffOf(a, b, { baseline: parseBaseline(JSON.parse(jsonText(written)), 'w.json') }).counts.new).toBe(0);
  });

  it('rejects a malformed baseline naming the field', () => {
    expect(() => parseBaseline({ format: 'tcpladder-baseline', version: 1, accept: [{ case: 'x', kind: 'segments-changed' }] }, 'b.json')).toThrow(/^b\.json: accept\[0\]\.kind: /);
    expect(() => parseBaseline({ accept: [] }, 'b.json')).toThrow('b.json: format: not a tcpladder baseline (format is missing, expected "tcpladder-baseline")');
  });
});

describe('the side-by-side HTML fragment', () => {
  it('draws both ladders of each differing case with the differing rows named, and nothing for cases that are the same', () => {
    const html = renderDiffHtml(diffOf(readBundle(THIS), readBundle(OTHER)));
    const sections = html.match(/<section class="tcpl-diff-case"[^>]*>/g) ?? [];
    expect(sections).toHaveLength(3);
    const handshake = html.slice(html.indexOf(`data-case="${HANDSHAKE}"`));
    const section = handshake.slice(0, handshake.indexOf('</section>'));
    expect(section.match(/<svg /g)).toHaveLength(2);
    expect(section).toContain('[≠ opts]');
    expect(section).toContain('<svg style="width:100%;height:auto" '); // each ladder fits its half
    expect(section).toMatch(/<text class="time"[^>]*>#2<\/text>/); // rows numbered, not timed
    expect(section).toContain('client#1 SYN_SENT → ESTABLISHED');
    expect(section).toContain('segment A#0 / B#0: opts mss 1460,sackOK,ts,nop,wscale 10 → mss 1460,sackOK,ts,nop,wscale 7');
    expect(html).not.toContain('data-case="three-way handshake [ipv6]"');
    expect(new Set(html.match(/id="[^"]+"/g)).size).toBe((html.match(/id="[^"]+"/g) ?? []).length); // ids unique on the page
  });
});

describe('alignment and JSON text', () => {
  it('aligns by key, keeping order', () => {
    expect(align(['S', 'SA', 'A', 'F'], ['S', 'SA', 'R'], (x) => x)).toEqual([
      { a: 0, b: 0 },
      { a: 1, b: 1 },
      { a: 2, b: null },
      { a: 3, b: null },
      { a: null, b: 2 },
    ]);
  });

  it('writes JSON that parses back to the same value', () => {
    const value = JSON.parse(readFileSync(THIS, 'utf8'));
    expect(JSON.parse(jsonText(value))).toEqual(value);
  });
});
