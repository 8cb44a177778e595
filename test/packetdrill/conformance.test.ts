/**
 * Where tcpladder's executor once differed from the real packetdrill (found by running
 * the kernel's selftest scripts under both, docs/PACKETDRILL.md): small scripts of our
 * own, each run against the real kernel (linux stack) and judged on its verdict and
 * its failing line. Each fails without its fix.
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CaseRun } from '../../harness/case/run.js';
import { planScript, scriptBody } from '../../harness/packetdrill/index.js';
import { scriptTree } from './script-tree.js';

const TMP = scriptTree('conform', ['t']);

/** A passive open, fd 4 accepted, as most scripts below begin. */
const OPEN = `\`../common/defaults.sh\`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>
   +0 < . 1:1(0) ack 1 win 257
   +0 accept(3, ..., ...) = 4
`;

/** Run `text` as script `name` over `version`; resolves with its error message, or null when it passed, and how long it took (ms). */
async function run(name: string, text: string, version: 'ipv4' | 'ipv6' = 'ipv4'): Promise<{ error: string | null; ms: number; path: string }> {
  const path = join(TMP, 't', name);
  writeFileSync(path, text);
  const plan = planScript(path).find((p) => p.version === version)!;
  const started = Date.now();
  const caseRun = new CaseRun(`conformance ${name}`, path, plan.family);
  let error: unknown = null;
  try {
    await scriptBody(plan, path)({ hosts: (...args: unknown[]) => caseRun.hosts(args.slice(0, -1) as string[], args.at(-1) as never) as never, wire: caseRun.wire, signal: caseRun.signal });
  } catch (e) {
    error = e;
  }
  const { error: failure } = await caseRun.finish(error);
  return { error: failure?.message ?? null, ms: Date.now() - started, path: relative(process.cwd(), path) };
}

describe('scripts the real packetdrill passes', () => {
  // packetdrill writes into a TUN, which takes any size: a segment longer than the
  // link's MTU reaches the host; the host still announces the MSS of the script's MTU
  for (const version of ['ipv4', 'ipv6'] as const) {
    test(`an injected segment longer than the MTU reaches the host (${version})`, { timeout: 60_000 }, async () => {
      const r = await run(
        `oversize-${version}.pkt`,
        `${OPEN}   +0 < P. 1:3001(3000) ack 1 win 257
   +0 > . 1:1(0) ack 3001
   +0 read(4, ..., 3000) = 3000
`,
        version,
      );
      expect(r.error).toBeNull();
    });
  }

  test('a blocking call that starts late: the next relative time counts from its start', { timeout: 60_000 }, async () => {
    // the read starts at +.3 and returns at +.6, when the data comes; the data's +.3
    // counts from the read's start (counted from the accept, it came at .3 and the
    // read returned .3 early)
    const r = await run(
      'late-blocking-start.pkt',
      `${OPEN}  +.3...0.6 read(4, ..., 100) = 100
  +.3 < P. 1:101(100) ack 1 win 257
   +0 > . 1:1(0) ack 101
`,
    );
    expect(r.error).toBeNull();
  });

  test('--mss is taken', { timeout: 60_000 }, async () => {
    const r = await run('mss-flag.pkt', `--mss=1000\n${OPEN}   +0 < P. 1:1001(1000) ack 1 win 257\n   +0 > . 1:1(0) ack 1001\n   +0 read(4, ..., 1000) = 1000\n`);
    expect(r.error).toBeNull();
  });

  test('sendmsg() with an iovec array (zero-length entries too); NULL buffers reach the kernel', { timeout: 60_000 }, async () => {
    const r = await run(
      'sendmsg-null.pkt',
      `${OPEN}   +0 setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0
   +0 sendmsg(4, {msg_name(...)=..., msg_iov(3)=[{..., 0}, {..., 30}, {..., 20}], msg_flags=0}, 0) = 50
   +0 > P. 1:51(50) ack 1
   +0 < . 1:1(0) ack 51 win 257
   +0 sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 0}, {..., 0}], msg_flags=0}, 0) = 0
   +0 write(4, NULL, 100) = -1 EFAULT (Bad address)
   +0 send(4, NULL, 100, 0) = -1 EFAULT (Bad address)
   +0 write(4, NULL, 0) = 0
   +0 < P. 1:101(100) ack 51 win 257
   +0 > . 51:51(0) ack 101
   +0 read(4, NULL, 100) = -1 EFAULT (Bad address)
   +0 recv(4, NULL, 100, 0) = -1 EFAULT (Bad address)
   +0 read(4, ..., 100) = 100
`,
    );
    expect(r.error).toBeNull();
  });

  test('a packet with no flags (-) is sent as such', { timeout: 60_000 }, async () => {
    // an established connection drops a segment without ACK: the data never arrives
    const r = await run(
      'no-flags.pkt',
      `${OPEN}   +0 < - 1:101(100) win 257
  +.1 ioctl(4, SIOCINQ, [0]) = 0
`,
    );
    expect(r.error).toBeNull();
  });

  test('commands see PACKETDRILL_PID: the process making the calls, their shell\'s parent', { timeout: 60_000 }, async () => {
    const r = await run(
      'packetdrill-pid.pkt',
      `\`test "$PACKETDRILL_PID" = "$PPID" && test "$PACKETDRILL_PID" = ${process.pid}\`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 \`test "$PACKETDRILL_PID" = "$PPID"\`
   +0 close(3) = 0
`,
    );
    expect(r.error).toBeNull();
  });
});

describe('scripts the real packetdrill fails', () => {
  test('the same no-flags packet, checked for: the mutated line fails, with its line', { timeout: 60_000 }, async () => {
    const r = await run('no-flags-mutant.pkt', `${OPEN}   +0 < - 1:101(100) win 257\n  +.1 ioctl(4, SIOCINQ, [100]) = 0\n`);
    expect(r.error).toMatch(new RegExp(`^${r.path}:11: runtime error in ioctl call: Bad ioctl value: expected: 100 actual: 0`));
  });

  test('a blocking call still blocked at the end ends the script at once, on its line', { timeout: 60_000 }, async () => {
    const r = await run('blocked-at-end.pkt', `${OPEN}   +0...1.0 read(4, ..., 100) = 100\n  +.1 < . 1:1(0) ack 1 win 257\n`);
    expect(r.error).toMatch(new RegExp(`^${r.path}:10: runtime error: exiting while a blocking system call is in progress`));
    // packetdrill waits 1 s for it; the case's timeout is 20 s past the script
    expect(r.ms).toBeLessThan(10_000);
  });

  test('a packet the scripted peer cannot send fails on its line', { timeout: 60_000 }, async () => {
    // 65535 bytes of payload: more than an IP packet holds
    const r = await run('too-big.pkt', `${OPEN}   +0 < P. 1:65536(65535) ack 1 win 257\n`);
    expect(r.error).toMatch(new RegExp(`^${r.path}:10: error handling packet`));
  });
});
