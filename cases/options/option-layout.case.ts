// TCP option layout (RFC 9293 §3.2, RFC 7323, RFC 2018): Linux puts MSS, SACK-permitted,
// timestamps, NOP, window scale on SYN and SYN-ACK, in that order; afterwards only
// timestamps (NOP, NOP, TS) and SACK blocks. Window scale and SACK-permitted are allowed
// on SYNs only. Each option disappears when its sysctl is off on the client (the server
// then leaves it out of its SYN-ACK too, as the RFCs require).
import { expect } from 'vitest';
import { tcpCase } from '../../harness/index.js';

tcpCase('options: layout on SYN, SYN-ACK and after', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();
  await conn.write('ping');
  await peer.read(4);
  await peer.write('pong');
  await conn.read(4);

  await expect(wire).toHaveSegments([
    'client > server SYN opts=[mss,sackOK,ts,nop,wscale]',
    'server > client SYN ACK opts=[mss,sackOK,ts,nop,wscale]',
    'client > server ACK opts=[nop,nop,ts]',
    '...',
  ]);
  await wire.settle();
  for (const s of wire.segments().filter((x) => !x.flags.includes('SYN'))) {
    expect(s.options.map((o) => o.name)).toEqual(['nop', 'nop', 'ts']);
  }
});

const switches = [
  { sysctl: 'net.ipv4.tcp_timestamps', option: 'ts', syn: 'opts=[mss,nop,nop,sackOK,nop,wscale]' },
  { sysctl: 'net.ipv4.tcp_sack', option: 'sackOK', syn: 'opts=[mss,nop,nop,ts,nop,wscale]' },
  { sysctl: 'net.ipv4.tcp_window_scaling', option: 'wscale', syn: 'opts=[mss,sackOK,ts]' },
] as const;

for (const sw of switches) {
  tcpCase(`options: ${sw.sysctl}=0 removes ${sw.option}`, async ({ hosts, wire }) => {
    const { client, server } = await hosts('client', 'server', { sysctls: { client: { [sw.sysctl]: 0 } } });
    const listener = await server.listen(8080);
    await client.connect(server, 8080);
    await listener.accept();
    await expect(wire).toHaveSegments([`client > server SYN ${sw.option}=none`, `server > client SYN ACK ${sw.option}=none`, 'client > server ACK']);
    await wire.settle();
    const [syn] = wire.segments();
    expect(`opts=[${syn.options.map((o) => o.name).join(',')}]`).toBe(sw.syn);
  });
}
