// What harness/stacks/capabilities.ts says of gVisor's sysctls is what a real sandbox
// does: the writable ones take a write, the fixed ones hold their value and refuse one,
// the ones a case may pin but gVisor lacks are absent. (UML is Linux 6.1: its sysctls are
// found out by setting them, nothing to list.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPool, leaseGuest, type StartedPool, type Lease } from '../../harness/stacks/pool/client.js';
import { AgentClient } from '../../harness/agent/client.js';
import { GVISOR_FIXED, GVISOR_WRITABLE } from '../../harness/stacks/index.js';
import { WATCHED_SYSCTLS } from '../../harness/profiles/index.js';

let pool: StartedPool;
let lease: Lease;
let agent: AgentClient;

beforeAll(async () => {
  pool = await startPool();
  lease = await leaseGuest('gvisor');
  agent = new AgentClient(lease.channel, 'gvisor guest');
}, 120_000);

afterAll(async () => {
  agent?.close();
  await pool?.stop();
});

describe('gVisor sysctls', () => {
  it('the writable ones take a write of their own value', async () => {
    const now = await agent.request<Record<string, string>>({ op: 'sysctl-read', keys: [...GVISOR_WRITABLE] });
    expect(Object.keys(now).sort()).toEqual([...GVISOR_WRITABLE].sort());
    await agent.request({ op: 'sysctl-write', values: now });
  });

  it('the fixed ones hold the value listed and refuse a write', async () => {
    const now = await agent.request<Record<string, string>>({ op: 'sysctl-read', keys: Object.keys(GVISOR_FIXED) });
    expect(now).toEqual(GVISOR_FIXED);
    for (const [key, value] of Object.entries(GVISOR_FIXED)) {
      await expect(agent.request({ op: 'sysctl-write', values: { [key]: value } }), key).rejects.toThrow(/EACCES|EPERM|EROFS/);
    }
  });

  it('every other watched sysctl is absent', async () => {
    const listed = new Set([...GVISOR_WRITABLE, ...Object.keys(GVISOR_FIXED)]);
    const others = [...WATCHED_SYSCTLS, 'net.ipv4.ip_forward', 'net.ipv4.ip_local_port_range'].filter((k) => !listed.has(k));
    expect(await agent.request({ op: 'sysctl-read', keys: others })).toEqual({});
  });
});
