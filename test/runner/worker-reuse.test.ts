// `tcpladder run` reuses a worker process for many case files (vitest's isolation is off
// for cases): the second file of a worker must find nothing of the first. The first
// leaves a listener and an established connection open on the port the second uses, with
// a sysctl changed; the second runs in the same process (checked, or the test proves
// nothing), binds and connects that exact port without EADDRINUSE and sees the default.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tcpladder, tempDir, writeCase, readSummary, removeRunDir, settledLeftovers, type Child } from '../reliability/helpers.js';

const tmp = tempDir('reuse');
const children: Child[] = [];
afterAll(() => {
  for (const c of children) removeRunDir(c);
  tmp.remove();
});

const pidFile = (name: string) => join(tmp.dir, `${name}.pid`);
const fileCase = (name: string, body: string) =>
  writeCase(
    tmp.dir,
    name,
    `import { writeFileSync } from 'node:fs';

tcpCase('worker reuse: ${name}', async ({ hosts }) => {
  writeFileSync(${JSON.stringify(pidFile(name))}, String(process.pid));
${body}
}, { families: [4] });`,
  );

describe('a worker reused for another case file', () => {
  it('carries no socket, port or sysctl from the file before', async () => {
    fileCase(
      'a-first',
      `  const { client, server } = await hosts('client', 'server', { sysctls: { server: { 'net.ipv4.tcp_fin_timeout': 7 } } });
  const listener = await server.listen(8080);
  await client.connect(server, 8080);
  await listener.accept();
  expect(await server.sysctl('net.ipv4.tcp_fin_timeout')).toBe('7');
  // nothing closed: the end of the case must do it`,
    );
    fileCase(
      'b-second',
      `  const { client, server } = await hosts('client', 'server');
  expect(await server.sysctl('net.ipv4.tcp_fin_timeout')).toBe('60');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();
  await conn.write('x');
  expect((await peer.read(1)).toString()).toBe('x');`,
    );
    const c = tcpladder(['run', '--workers', '1', tmp.dir]);
    children.push(c);
    const { code } = await c.done;
    expect(code, c.stdout() + c.stderr()).toBe(0);
    expect(readSummary(c.runDir)?.passed).toBe(2);
    const pids = ['a-first', 'b-second'].map((n) => readFileSync(pidFile(n), 'utf8'));
    expect(pids[1], 'the two files ran in different processes: nothing was reused').toBe(pids[0]);
    expect(await settledLeftovers(c)).toEqual([]);
  }, 60_000);
});
