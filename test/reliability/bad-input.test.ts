// Bad input gives one clear message naming the file and the field, exit code 2, and
// no partial state. docs/RELIABILITY.md has the table of these inputs with the
// messages below (TCPLADDER_REL_TABLE=FILE writes it).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../harness/cli/index.js';
import { tempDir, writeCase, settledLeftovers, readSummary, removeRunDir, tcpladder, type Child, type SummaryCase } from './helpers.js';

const tmp = tempDir('bad-input');
const V4 = '{ families: [4] }';

/** [case name, body, the first line of its failure after the place in the case file] */
const CASES: [string, string, string | RegExp][] = [
  ['bad: port out of range', `const { server } = await hosts('client', 'server');\n  await server.listen(70000);`, 'listen: port 70000 is out of range (1–65535)'],
  ['bad: local port out of range', `const { client, server } = await hosts('client', 'server');\n  await client.connect(server, 8080, { localPort: -1 });`, 'connect localPort: port -1 is out of range (0–65535)'],
  [
    'bad: malformed segment pattern',
    `const { client, server } = await hosts('client', 'server');\n  await expect(wire).toHaveSegments(['client > server SYN', 'server > client SYN ACK ack=fin+x']);`,
    'segment pattern 2 "server > client SYN ACK ack=fin+x": ack takes a number, fin+1, syn+1 or +len, not "fin+x" at column 29',
  ],
  [
    'bad: unknown flag in a segment pattern',
    `await hosts('client', 'server');\n  await expect(wire).toHaveSegments(['client > server SYM']);`,
    'segment pattern 1 "client > server SYM": unknown flag "SYM" (flags: SYN FIN RST PSH ACK URG ECE CWR, PSH? for optional) at column 17',
  ],
  [
    'bad: malformed wire rule',
    `await hosts('client', 'server');\n  await wire.drop('client > server SYN ack=fin+1');`,
    /^wire rule "client > server SYN ack=fin\+1": .*cannot be matched on the wire/,
  ],
  [
    'bad: unknown profile',
    `await hosts('client', 'server', { profile: 'no-such-profile' });`,
    /^cases\/profiles: unknown profile "no-such-profile" \(known: [a-z0-9-]+(, [a-z0-9-]+)*\)$/,
  ],
  ['bad: unknown sysctl', `await hosts('client', 'server', { sysctls: { server: { 'net.ipv4.tcp_nonsense': 1 } } });`, 'unknown sysctl net.ipv4.tcp_nonsense'],
  [
    'bad: sysctls for an unknown host',
    `await hosts('client', 'server', { sysctls: { nobody: { 'net.ipv4.tcp_timestamps': 0 } } });`,
    'hosts(): sysctls for unknown host "nobody" (hosts: client, server)',
  ],
  ['bad: host name', `await hosts('client', 'server-1');`, 'host name "server-1" must be a letter then up to 15 letters, digits or _'],
  ['bad: unknown host in a wire rule', `await hosts('client', 'server');\n  await wire.drop('client > nobody SYN');`, 'wire rule "client > nobody SYN": unknown host "nobody" (hosts: client, server)'],
  ['bad: wrong type in socket options', `const { client } = await hosts('client', 'server');\n  client.socket({ linger: { seconds: 'x' } } as never);`, /^socket options: linger\.seconds: /],
  ['bad: unknown socket option', `const { client } = await hosts('client', 'server');\n  client.socket({ lingr: false } as never);`, /^socket options: unknown option "lingr" \(known: reuseAddr, /],
  [
    'bad: unknown host in a segment pattern',
    `const { client, server } = await hosts('client', 'server');\n  const l = await server.listen(8080);\n  await client.connect(server, 8080);\n  await l.accept();\n  await expect(wire).toHaveSegments(['client > nobody SYN'], { within: 200 });`,
    'segment pattern 1 "client > nobody SYN": unknown host "nobody" (hosts: client, server)',
  ],
];

const file = writeCase(tmp.dir, 'bad', CASES.map(([name, body]) => `tcpCase(${JSON.stringify(name)}, async ({ hosts, wire }) => {\n  ${body}\n}, ${V4});`).join('\n\n'));
const fileLines = readFileSync(file, 'utf8').split('\n');
/** The line (1-based) of the case's last statement, the one that asks for the bad thing. */
const lineOf = (name: string): number => {
  const start = fileLines.indexOf(`tcpCase(${JSON.stringify(name)}, async ({ hosts, wire }) => {`);
  return start + CASES.find((c) => c[0] === name)![1].split('\n').length + 1;
};
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let run: Child;
let byName: Record<string, SummaryCase>;

beforeAll(async () => {
  run = tcpladder(['run', file]);
  await run.done;
  byName = Object.fromEntries((readSummary(run.runDir)?.cases ?? []).map((c) => [c.case, c]));
}, 55_000);

/** TCPLADDER_REL_TABLE=FILE: write the table of inputs and their real messages (docs/RELIABILITY.md) */
const rows: string[] = [];
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ').replaceAll(tmp.dir, '$CASES');

afterAll(() => {
  if (process.env.TCPLADDER_REL_TABLE) {
    writeFileSync(process.env.TCPLADDER_REL_TABLE, ['| input | exit | message (first line) |', '|---|---|---|', ...rows].join('\n') + '\n');
  }
  if (run) removeRunDir(run);
  tmp.remove();
});

describe('bad input in a case file', () => {
  for (const [name, , want] of CASES) {
    it(`${name}: ${typeof want === 'string' ? want : want.source}`, () => {
      const c = byName[name];
      expect(c, `no result for ${name}: ${run.stdout()}`).toBeDefined();
      const body = CASES.find((x) => x[0] === name)![1].split('\n').pop()!.trim();
      rows.push(`| case file: \`${cell(body)}\` | ${run.child.exitCode} | \`${cell(c.error ?? '')}\` |`);
      expect(c.status).toBe('failed');
      // the one line begins with the case file and the line of the bad call
      const place = `${file}:${lineOf(name)}:`;
      expect(c.error!.startsWith(place), `${c.error} should begin with ${place}`).toBe(true);
      const rest = c.error!.replace(/^[^:]+:\d+:\d+: /, '');
      if (typeof want === 'string') expect(rest).toBe(want);
      else expect(rest).toMatch(want);
      const trace = JSON.parse(readFileSync(join(run.runDir, c.dir, 'trace.json'), 'utf8')) as { error?: string; errorKind?: string };
      expect(trace).toMatchObject({ error: c.error, errorKind: 'input' });
      expect((c as SummaryCase & { errorKind?: string }).errorKind).toBe('input');
    });
  }

  it('each failure begins with the case file and line, which is not repeated below it, and the run leaves nothing behind', async () => {
    const out = run.stdout();
    for (const [name] of CASES) {
      const block = out.slice(out.indexOf(`${name} [IPv4]`)).split('\n');
      expect(block[1], name).toMatch(new RegExp(`^    ${escape(file)}:${lineOf(name)}:\\d+: `));
      const end = block.findIndex((l, i) => i > 0 && /^[✓✗-] /.test(l));
      expect(block.slice(2, end).join('\n'), name).not.toContain(`at ${file}`);
    }
    expect(out).toMatch(new RegExp(`\\n0 passed, ${CASES.length} failed \\(${CASES.length} on bad input\\) in `));
    expect(await settledLeftovers(run)).toEqual([]);
  });

  it('a run whose cases fail on bad input exits 2, as bad input on the command line does', async () => {
    expect((await run.done).code).toBe(2);
  });

  it('a case that failed before its hosts existed does not point at a pcap that is not there', () => {
    expect(byName['bad: unknown profile'].message).toContain('pcap: (none: the case ended before the capture began)');
  });

  it('wrong type in socket options names the field', () => {
    expect(byName['bad: wrong type in socket options'].error).toMatch(/linger\.seconds/);
  });
  it('an unknown socket option is named in the first line', () => {
    expect(byName['bad: unknown socket option'].error).toMatch(/lingr/);
  });
  it('an unknown host in a segment pattern is reported as such', () => {
    expect(byName['bad: unknown host in a segment pattern'].error).toMatch(/unknown host "nobody"/);
  });
  it('an unknown host in a wire rule names the rule', () => {
    expect(byName['bad: unknown host in a wire rule'].error).toContain('client > nobody SYN');
  });
});

/** `tcpladder …` in this process: exit code and what it wrote. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

describe('bad input on the command line: exit 2, one line naming the file or flag', () => {
  const sackNow = readFileSync('/proc/sys/net/ipv4/tcp_sack', 'utf8').trim();
  const dir = join(tmp.dir, 'files');
  const profiles = join(tmp.dir, 'profiles');
  beforeAll(() => {
    mkdirSync(join(dir, 'a-folder.pcap'), { recursive: true });
    writeFileSync(join(dir, 'random.pcap'), Buffer.from('c42bed7b0c47f3749e8e53aa1b2c3d4e5f60718293a4b5c6d7e8f9', 'hex'));
    writeFileSync(join(dir, 'short.pcap'), Buffer.from('d4c3b2a102000400', 'hex'));
    // a valid header and one record whose 60 bytes are missing
    const hdr = Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex');
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(60, 8);
    rec.writeUInt32LE(60, 12);
    writeFileSync(join(dir, 'truncated.pcap'), Buffer.concat([hdr, rec]));
    writeFileSync(join(dir, 'empty.pcap'), '');
    mkdirSync(profiles, { recursive: true });
    writeFileSync(join(profiles, 'unknown-sysctl.json'), JSON.stringify({ name: 'unknown-sysctl', description: 'x', sysctls: { 'net.ipv4.tcp_nonsense': 1 } }));
    writeFileSync(join(profiles, 'not-netns.json'), JSON.stringify({ name: 'not-netns', description: 'x', sysctls: { 'kernel.pid_max': 1 } }));
    writeFileSync(join(profiles, 'wrong-type.json'), JSON.stringify({ name: 'wrong-type', description: 'x', sysctls: { 'net.ipv4.tcp_sack': true } }));
    writeFileSync(join(profiles, 'broken.json'), '{"name": "broken",');
    writeFileSync(join(profiles, 'refused-value.json'), JSON.stringify({ name: 'refused-value', description: 'x', sysctls: { 'net.ipv4.tcp_sack': 'on' } }));
    process.env.TCPLADDER_PROFILES_DIR = profiles;
  });
  afterAll(() => {
    delete process.env.TCPLADDER_PROFILES_DIR;
  });

  const table: [string[], string | ((d: string, p: string) => string)][] = [
    [['show', '/nonexistent/x.pcap'], 'tcpladder show: cannot read /nonexistent/x.pcap: ENOENT'],
    [['show', '@/a-folder.pcap'], (d) => `tcpladder show: cannot read ${d}/a-folder.pcap: EISDIR`],
    [['show', '@/random.pcap'], (d) => `tcpladder show: ${d}/random.pcap: not a pcap or pcapng file (starts with c4 2b ed 7b) at byte offset 0`],
    [['show', '@/short.pcap'], (d) => `tcpladder show: ${d}/short.pcap: pcap file header truncated: 8 of 24 bytes at byte offset 0`],
    [['show', '@/truncated.pcap'], (d) => `tcpladder show: ${d}/truncated.pcap: pcap file cut short: last record incomplete (16 bytes) at byte offset 24`],
    [['show', '@/empty.pcap'], (d) => `tcpladder show: ${d}/empty.pcap: empty capture file at byte offset 0`],
    [['show', '@/random.pcap', '--port', '70000'], 'tcpladder show: --port 70000 is not in 0..65535'],
    [['show', '@/random.pcap', '--bogus'], 'tcpladder show: unknown option --bogus'],
    [['run', '--bogus'], 'tcpladder run: unknown option --bogus'],
    [['run', 'no/such/path'], 'tcpladder run: no such case file or folder: no/such/path'],
    [['run', 'README.md'], 'tcpladder run: README.md: case files end in .case.ts, packetdrill scripts in .pkt'],
    [['run', '--junit', '/no/such/dir/j.xml', 'cases/handshake'], 'tcpladder run: --junit /no/such/dir/j.xml: no such folder /no/such/dir'],
    [
      ['run', '--profile', 'nope', 'cases/handshake'],
      (_, p) => `tcpladder run: --profile nope: ${p}: unknown profile "nope" (known: broken, not-netns, refused-value, unknown-sysctl, wrong-type)`,
    ],
    [
      ['run', '--profile', 'unknown-sysctl', 'cases/handshake'],
      (_, p) => `tcpladder run: --profile unknown-sysctl: ${p}/unknown-sysctl.json: sysctls["net.ipv4.tcp_nonsense"]: no such sysctl on this kernel (/proc/sys/net/ipv4/tcp_nonsense does not exist)`,
    ],
    [
      ['run', '--profile', 'not-netns', 'cases/handshake'],
      (_, p) => `tcpladder run: --profile not-netns: ${p}/not-netns.json: sysctls["kernel.pid_max"]: not a per-namespace sysctl (net.ipv4.*, net.ipv6.* or net.core.*, e.g. net.ipv4.tcp_sack)`,
    ],
    [
      ['run', '--profile', 'wrong-type', 'cases/handshake'],
      (_, p) => `tcpladder run: --profile wrong-type: ${p}/wrong-type.json: sysctls["net.ipv4.tcp_sack"]: expected an integer or a string, got true`,
    ],
    [
      ['run', '--profile', 'refused-value', 'cases/handshake'],
      (_, p) => `tcpladder run: --profile refused-value: ${p}/refused-value.json: sysctls["net.ipv4.tcp_sack"]: expected an integer (the kernel's value is ${sackNow}), got "on"`,
    ],
    [
      ['run', '--profile', 'broken', 'cases/handshake'],
      (_, p) => `tcpladder run: --profile broken: ${p}/broken.json: not valid JSON (Expected double-quoted property name in JSON at position 18)`,
    ],
    [['clean', '--bogus'], 'tcpladder clean: unknown option --bogus'],
    [['doctor', '--bogus'], 'tcpladder doctor: unknown option --bogus'],
    [['diff', '--bogus'], 'tcpladder diff: unknown option --bogus'],
    [['diff', '/nonexistent/a', '/nonexistent/b'], 'tcpladder diff: /nonexistent/a: cannot read (ENOENT)'],
    [['bogus'], 'tcpladder: unknown command "bogus" (try tcpladder --help)'],
  ];
  for (const [args, want] of table) {
    it(`tcpladder ${args.join(' ').replace(/@/g, '…')}`, async () => {
      const argv = args.map((a) => a.replace(/^@/, dir));
      const r = await cli(...argv);
      const expected = typeof want === 'string' ? want : want(dir, profiles);
      rows.push(`| \`tcpladder ${cell(argv.join(' ').replaceAll(dir, '$DIR').replaceAll(profiles, '$PROFILES'))}\` | ${r.code} | \`${cell(r.err.split('\n')[0].replaceAll(dir, '$DIR').replaceAll(profiles, '$PROFILES'))}\` |`);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')[0]).toBe(expected);
      expect(r.out).toBe('');
    });
  }

  it('the real process exits 2 too, and makes no namespace', async () => {
    const c = tcpladder(['run', '--profile', 'nope', 'cases/handshake'], { env: { TCPLADDER_PROFILES_DIR: profiles } });
    const { code } = await c.done;
    expect(code).toBe(2);
    expect(c.stderr()).toBe(`tcpladder run: --profile nope: ${profiles}: unknown profile "nope" (known: broken, not-netns, refused-value, unknown-sysctl, wrong-type)\n`);
    expect(await settledLeftovers(c)).toEqual([]);
  }, 30_000);

  it('a profile value the kernel would refuse is bad input: exit 2 naming the file and key, before anything is made', async () => {
    const c = tcpladder(['run', '--profile', 'refused-value', 'cases/handshake/three-way.case.ts'], { env: { TCPLADDER_PROFILES_DIR: profiles } });
    const { code } = await c.done;
    expect(code).toBe(2);
    expect(c.stderr()).toBe(`tcpladder run: --profile refused-value: ${profiles}/refused-value.json: sysctls["net.ipv4.tcp_sack"]: expected an integer (the kernel's value is ${sackNow}), got "on"\n`);
    expect(c.stdout()).toBe('');
    expect(existsSync(c.runDir)).toBe(false);
    expect(await settledLeftovers(c)).toEqual([]);
  }, 30_000);

  it('a flag given a value is refused', async () => {
    const r = await cli('clean', '--help=1');
    expect(r.code).toBe(2);
  });
});
