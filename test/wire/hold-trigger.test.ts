// wire.hold(p).until(q) whose trigger q goes by before p comes: nothing will ever release
// p, which used to be held silently until the case ended. Now the case fails saying so,
// at its next wire wait, or at its end if it has none.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tcpladder, tempDir, writeCase, readSummary, removeRunDir, settledLeftovers, type Child } from '../reliability/helpers.js';

const tmp = tempDir('hold-trigger');
let run: Child | undefined;
afterAll(() => {
  if (run) removeRunDir(run);
  tmp.remove();
});

const file = writeCase(
  tmp.dir,
  'late',
  `async function serverClosesFirst({ hosts, wire }) {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();
  await wire.hold('client > server FIN ACK').until('server > client FIN ACK');
  await peer.shutdown('write'); // the trigger goes by
  expect((await conn.read()).length).toBe(0);
  await conn.shutdown('write'); // held, and nothing will release it
  return wire;
}

tcpCase('wire: a hold whose trigger went by, then a wire wait', async (ctx) => {
  const wire = await serverClosesFirst(ctx);
  await expect(wire).toHaveSegments(['...', 'client > server FIN ACK held']);
  throw new Error('not reached: the wait above fails');
}, { families: [4] });

tcpCase('wire: a hold whose trigger went by, and no wire call after', async (ctx) => {
  await serverClosesFirst(ctx);
}, { families: [6] });`,
);

describe('wire.hold(…).until(…) whose trigger has already passed', () => {
  it('fails the case with the rule and the time the trigger went by', async () => {
    run = tcpladder(['run', file]);
    const { code } = await run.done;
    expect(code, run.stderr()).toBe(1);
    const s = readSummary(run.runDir)!;
    expect(s.cases).toHaveLength(2);
    for (const c of s.cases) {
      const m = /^wire hold "client > server FIN ACK" until "server > client FIN ACK": the trigger had already passed at (\d+\.\d{3}) s$/.exec(c.error ?? '');
      expect(m, `${c.case}: ${c.error}`).not.toBeNull();
      const trace = JSON.parse(readFileSync(join(run.runDir, c.dir, 'trace.json'), 'utf8')) as {
        segments: { t: number; from: string; flags: string; marks?: string[] }[];
      };
      const trigger = trace.segments.find((x) => x.from === 'server' && x.flags === 'FIN ACK')!;
      const held = trace.segments.find((x) => x.from === 'client' && x.flags === 'FIN ACK')!;
      expect(m![1]).toBe(trigger.t.toFixed(3));
      expect(held.marks).toContain('held');
      expect(held.t).toBeGreaterThan(trigger.t);
    }
    expect(run.stdout()).toContain('the trigger had already passed at');
    expect(await settledLeftovers(run)).toEqual([]);
  }, 50_000);
});
