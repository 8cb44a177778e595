/**
 * tcpladder's own scripts (test/packetdrill/fixtures/, written for this project, one per
 * catalogue topic) all parse, and between them use the whole grammar.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePacketdrill, scriptFeatures } from '../../harness/packetdrill/index.js';

const dir = join(import.meta.dirname, 'fixtures');
const files = readdirSync(dir).filter((f) => f.endsWith('.pkt')).sort();
const parsed = new Map(files.map((f) => [f, parsePacketdrill(readFileSync(join(dir, f), 'utf8'), f)]));

/** what each script is about, as features it must use */
const TOPICS: Record<string, string[]> = {
  'handshake-passive.pkt': ['syscall listen', 'syscall accept', 'option timestamp', 'option wscale', '%{ }% (parsed)', '`command` (init)'],
  'handshake-active.pkt': ['blocking call ...T', 'options <...>', '%{ }% (kept raw)'],
  'active-close.pkt': ['syscall close', '%{ }% (parsed)'],
  'passive-close.pkt': ['syscall read'],
  'half-close.pkt': ['syscall shutdown', 'errno'],
  'abortive-close.pkt': ['arg: {struct}', 'syscall getsockopt'],
  'close-unread-data.pkt': ['syscall close'],
  'rst-no-listener.pkt': ['flag --bind_port'],
  'rst-in-syn-rcvd.pkt': ['syscall fcntl', 'errno'],
  'time-wait-reuse.pkt': ['`command` (timed)', 'flag --tolerance_usecs'],
  'lost-final-ack.pkt': ['option TS val/ecr ...', '`command` (cleanup)'],
  'simultaneous-open.pkt': ['flag --connect_port'],
  'simultaneous-close.pkt': ['%{ }% (parsed)'],
  'mss-default.pkt': ['flag --ip_version', 'flag --mtu'],
  'options-and-times.pkt': ['option sack', 'option eol', 'time *', 'time range a~b', 'urgent', 'flag --tolerance_percent'],
  'nonblocking-connect-poll.pkt': ['syscall poll', 'syscall ioctl', 'arg: htons()', 'arg: inet_addr()', 'arg: a|b'],
  'blocking-io.pkt': ['syscall sendmsg', 'arg: msg_iov()', 'arg: "string"', 'blocking call ...T'],
  'fastopen-md5-defines.pkt': ['flag --define', 'option fastopen', 'option md5', 'explicit ports'],
  'icmp-udp-ecn.pkt': ['icmp inbound', 'udp inbound', 'ip [ect0]', 'ip tos', 'ip flowlabel', 'ip ttl', 'flags E/W/A'],
  'accecn.pkt': ['option accecn', 'flags ACE digit', 'ip [ce]'],
};

describe('the project’s own packetdrill scripts', () => {
  it('are at least 15, each with its topic listed here', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
    expect(files).toEqual(Object.keys(TOPICS).sort());
  });

  it.each(files)('%s parses and uses what its topic needs', (f) => {
    const features = scriptFeatures(parsed.get(f)!);
    for (const need of TOPICS[f]) expect(features, f).toContain(need);
  });

  it('together use every construct the parser knows', () => {
    const all = new Set([...parsed.values()].flatMap((s) => scriptFeatures(s)));
    const grammar = [
      'time *',
      'time range a~b',
      'blocking call ...T',
      'options <...>',
      'option timestamp',
      'option TS val/ecr ...',
      'option sack',
      'option sackOK',
      'option mss',
      'option wscale',
      'option nop',
      'option eol',
      'option fastopen',
      'option md5',
      'option accecn',
      '%{ }% (parsed)',
      '%{ }% (kept raw)',
      '`command` (init)',
      '`command` (timed)',
      '`command` (cleanup)',
      'errno',
      'arg: [array]',
      'arg: {struct}',
      'arg: a|b',
      'arg: "string"',
      'arg: htons()',
      'explicit ports',
      'flags ACE digit',
      'flags E/W/A',
      'urgent',
      'udp inbound',
      'icmp inbound',
      'tcp inbound',
      'tcp outbound',
      'ip [ect0]',
      'ip tos',
      'ip flowlabel',
      'ip ttl',
    ];
    for (const g of grammar) expect(all, g).toContain(g);
  });
});
