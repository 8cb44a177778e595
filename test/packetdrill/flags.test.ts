/** Flags: command-line forms, resolution into typed options, precedence, and the folder's tcpladder.json. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isInputError } from '../../harness/input-error.js';
import { DEFAULT_OPTIONS, findFolderConfig, folderRuns, parseFlagArgs, parseFolderConfig, parsePacketdrill, PacketdrillOptions, resolveOptions } from '../../harness/packetdrill/index.js';

const cli = { file: 'command line' };

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isInputError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('flags', () => {
  it('has packetdrill defaults: 4 ms or 12.5 %, ports 8080, python3 for code', () => {
    expect(resolveOptions([])).toEqual(DEFAULT_OPTIONS);
    expect(DEFAULT_OPTIONS).toMatchObject({ toleranceUsecs: 4000, tolerancePercent: 12.5, bindPort: 8080, connectPort: 8080, codeCommand: 'python3' });
    expect(DEFAULT_OPTIONS.ipVersion).toBeUndefined();
    expect(PacketdrillOptions.safeParse(DEFAULT_OPTIONS).success).toBe(true);
  });

  it('reads command-line forms, splitting entries at spaces as the shell does', () => {
    const s = parseFlagArgs(['--ip_version=ipv6 ', '--mtu', '1520', '-D CMSG_LEVEL_IP=SOL_IPV6', '-DX=1', '--define=CC="reno"', '-v', '--dry_run'], cli);
    expect(s.map((f) => [f.name, f.value])).toEqual([
      ['ip_version', 'ipv6'],
      ['mtu', '1520'],
      ['define', 'CMSG_LEVEL_IP=SOL_IPV6'],
      ['define', 'X=1'],
      ['define', 'CC="reno"'],
      ['verbose', undefined],
      ['dry_run', undefined],
    ]);
    expect(resolveOptions(s)).toMatchObject({ ipVersion: 'ipv6', mtu: 1520, defines: { CMSG_LEVEL_IP: 'SOL_IPV6', X: '1', CC: '"reno"' }, verbose: true, dryRun: true });
  });

  it('types every flag packetdrill has', () => {
    const o = resolveOptions(
      parseFlagArgs(
        [
          '--ip_version=ipv4-mapped-ipv6 --bind_port=9000 --connect_port=9001 --local_ip=192.168.0.1 --remote_ip=192.0.2.1/24',
          '--gateway_ip=192.168.0.1 --netmask_ip=255.255.0.0 --mss=1000 --mtu=1500 --speed=100 --init_scripts=a.sh,b.sh',
          '--tolerance_usecs=10000 --tolerance_percent=1.5 --tcp_ts_ecr_scaled --tcp_ts_tick_usecs=1000 --strict_segments',
          '--non_fatal=packet,syscall --send_omit_free --is_anyip --debug --code_command=python2 --code_format=python --code_sockopt=TCP_INFO',
        ],
        cli,
      ),
    );
    expect(o).toEqual({
      ...DEFAULT_OPTIONS,
      ipVersion: 'ipv4-mapped-ipv6',
      bindPort: 9000,
      connectPort: 9001,
      localIp: '192.168.0.1',
      remoteIp: '192.0.2.1/24',
      gatewayIp: '192.168.0.1',
      netmaskIp: '255.255.0.0',
      mss: 1000,
      mtu: 1500,
      speed: 100,
      initScripts: ['a.sh', 'b.sh'],
      toleranceUsecs: 10000,
      tolerancePercent: 1.5,
      tcpTsEcrScaled: true,
      tcpTsTickUsecs: 1000,
      strictSegments: true,
      nonFatal: ['packet', 'syscall'],
      sendOmitFree: true,
      isAnyip: true,
      debug: true,
      codeCommand: 'python2',
      codeFormat: 'python',
      codeSockopt: 'TCP_INFO',
    });
    expect(resolveOptions(parseFlagArgs(['--local_ip=fd3d:0a0b:17d6::1', '--remote_ip=2001:db8::1/32'], cli))).toMatchObject({ localIp: 'fd3d:0a0b:17d6::1', remoteIp: '2001:db8::1/32' });
  });

  it('lets later settings win and adds definitions up', () => {
    const o = resolveOptions(parseFlagArgs(['--mtu=1000', '-D A=1', '-D B=2', '--mtu=1500', '-D A=3'], cli));
    expect(o.mtu).toBe(1500);
    expect(o.defines).toEqual({ A: '3', B: '2' });
  });

  it('gives outside flags precedence over the script, as packetdrill’s command line does', () => {
    const s = parsePacketdrill('--tolerance_usecs=10000\n--ip_version=ipv4\n0 close(3) = 0', 'y.pkt', { flags: parseFlagArgs(['--ip_version=ipv6'], cli) });
    expect(s.options).toMatchObject({ ipVersion: 'ipv6', toleranceUsecs: 10000 });
  });

  it('names the file and the entry of a bad flag from outside a script', () => {
    expect(messageOf(() => resolveOptions(parseFlagArgs(['--foo'], cli)))).toBe('command line: unknown flag --foo');
    expect(messageOf(() => resolveOptions(parseFlagArgs(['--mtu=1', '--ip_version=4'], { file: 'f.json', field: 'flags' })))).toBe('f.json: flags[1]: --ip_version: expected ipv4, ipv6, ipv4-mapped-ipv6, got "4"');
    expect(messageOf(() => parseFlagArgs(['--mtu'], { file: 'f.json', field: 'flags' }))).toBe('f.json: flags[0]: --mtu needs a value');
    expect(messageOf(() => parseFlagArgs(['-D'], cli))).toBe('command line: -D needs a value');
    expect(messageOf(() => parseFlagArgs(['ipv4'], cli))).toBe('command line: expected a flag (--name=value, -D NAME=VALUE), got "ipv4"');
    expect(messageOf(() => resolveOptions(parseFlagArgs(['--non_fatal=packet,timer'], cli)))).toBe('command line: --non_fatal: expected packet and/or syscall, got "timer"');
    expect(messageOf(() => resolveOptions(parseFlagArgs(['--tolerance_percent=101'], cli)))).toBe('command line: --tolerance_percent: expected a percentage from 0 to 100, got "101"');
    expect(messageOf(() => resolveOptions(parseFlagArgs(['--remote_ip=192.0.2.1/33'], cli)))).toBe('command line: --remote_ip: expected an IP address (optionally /prefix length), got "192.0.2.1/33"');
    expect(messageOf(() => resolveOptions(parseFlagArgs(['--so_filename=x.so'], cli)))).toBe('command line: unsupported: --so_filename (packetdrill loads a user-space stack from a shared object; tcpladder runs kernel stacks)');
  });
});

describe('tcpladder.json', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tcpl-pkt-config-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('gives one run per variant, common flags first', () => {
    const runs = parseFolderConfig(
      JSON.stringify({ packetdrill: { flags: ['--tolerance_usecs=10000'], variants: { ipv4: ['--ip_version=ipv4 ', '-D CMSG_LEVEL_IP=SOL_IP '], ipv6: ['--ip_version=ipv6', '--mtu=1520'] } } }),
      'dir/tcpladder.json',
    );
    expect(runs.map((r) => [r.name, resolveOptions(r.flags)])).toEqual([
      ['ipv4', { ...DEFAULT_OPTIONS, toleranceUsecs: 10000, ipVersion: 'ipv4', defines: { CMSG_LEVEL_IP: 'SOL_IP' } }],
      ['ipv6', { ...DEFAULT_OPTIONS, toleranceUsecs: 10000, ipVersion: 'ipv6', mtu: 1520 }],
    ]);
    expect(runs[0].flags[1].where).toEqual({ file: 'dir/tcpladder.json', field: 'packetdrill.variants.ipv4[0]' });
    expect(parseFolderConfig('{"packetdrill": {"flags": ["--mtu=1400"]}}', 'c.json')).toEqual([{ name: '', flags: [{ name: 'mtu', value: '1400', where: { file: 'c.json', field: 'packetdrill.flags[0]' } }] }]);
  });

  it('checks the whole file when it is read', () => {
    expect(messageOf(() => parseFolderConfig('{', 'c.json'))).toMatch(/^c\.json: not valid JSON \(.+\)$/);
    expect(messageOf(() => parseFolderConfig('{"packetdrill": {"flag": []}}', 'c.json'))).toMatch(/^c\.json: packetdrill: Unrecognized key: "flag"$/);
    expect(messageOf(() => parseFolderConfig('{"packetdrill": {"flags": [1]}}', 'c.json'))).toMatch(/^c\.json: packetdrill\.flags\[0\]: /);
    expect(messageOf(() => parseFolderConfig('{"packetdrill": {"variants": {}}}', 'c.json'))).toBe('c.json: packetdrill.variants: is empty: give at least one variant, or leave variants out');
    expect(messageOf(() => parseFolderConfig('{"packetdrill": {"variants": {"v6": ["--ip_version=ipv7"]}}}', 'c.json'))).toBe('c.json: packetdrill.variants.v6[0]: --ip_version: expected ipv4, ipv6, ipv4-mapped-ipv6, got "ipv7"');
  });

  it('applies the nearest tcpladder.json at or above the script', () => {
    const top = join(tmp, 'suite');
    const sub = join(top, 'close');
    const other = join(tmp, 'other');
    mkdirSync(sub, { recursive: true });
    mkdirSync(other);
    writeFileSync(join(top, 'tcpladder.json'), JSON.stringify({ packetdrill: { variants: { ipv4: ['--ip_version=ipv4'], ipv6: ['--ip_version=ipv6'] } } }));
    expect(findFolderConfig(join(sub, 'a.pkt'))).toBe(join(top, 'tcpladder.json'));
    expect(folderRuns(join(sub, 'a.pkt')).map((r) => r.name)).toEqual(['ipv4', 'ipv6']);
    writeFileSync(join(sub, 'tcpladder.json'), JSON.stringify({ packetdrill: { flags: ['--mtu=1500'] } }));
    expect(folderRuns(join(sub, 'a.pkt')).map((r) => [r.name, r.flags.length])).toEqual([['', 1]]);
    expect(findFolderConfig(join(other, 'b.pkt'))).toBeUndefined();
    expect(folderRuns(join(other, 'b.pkt'))).toEqual([{ name: '', flags: [] }]);
  });
});
