import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { deadPid, liveProcess, useFakeStateDir, zombieProcess } from './state-dir.js';

const state = useFakeStateDir();
const slots = await import('../../harness/topology/slots.js');
const dir = `${state.dir}/slots`;
const sleeper = liveProcess();

afterAll(() => {
  sleeper.kill();
  state.restore();
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Every slot file held by `pid`. */
function fill(pid: number, except: number[] = []): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < slots.SLOT_COUNT; i++) if (!except.includes(i)) writeFileSync(`${dir}/${i}`, String(pid));
}

/** The text form the kernel, tcpdump and the packet decoder print (WHATWG URL serialises IPv6 compressed). */
const canonical = (a: string) => new URL(`http://[${a}]/`).hostname.slice(1, -1);

describe('slotSubnets', () => {
  it('gives each slot its own IPv4 /24 in 198.18.0.0/15', () => {
    expect(slots.slotSubnets(0).ipv4(1)).toBe('198.18.0.1');
    expect(slots.slotSubnets(5).ipv4(2)).toBe('198.18.5.2');
    expect(slots.slotSubnets(255).ipv4(1)).toBe('198.18.255.1');
    expect(slots.slotSubnets(256).ipv4(1)).toBe('198.19.0.1');
    expect(slots.slotSubnets(511).ipv4(3)).toBe('198.19.255.3');
    const nets = new Set<string>();
    for (let s = 0; s < slots.SLOT_COUNT; s++) {
      const a = slots.slotSubnets(s).ipv4(1);
      expect(isIPv4(a), a).toBe(true);
      nets.add(a.slice(0, a.lastIndexOf('.')));
    }
    expect(nets.size).toBe(slots.SLOT_COUNT);
  });

  it('gives each slot its own IPv6 /64 in fd74:6370:6c00::/48', () => {
    expect(slots.slotSubnets(5).ipv6(1)).toBe('fd74:6370:6c00:5::1');
    expect(slots.slotSubnets(300).ipv6(2)).toBe('fd74:6370:6c00:12c::2');
    expect(slots.slotSubnets(511).ipv6(10)).toBe('fd74:6370:6c00:1ff::a');
    const nets = new Set<string>();
    for (let s = 0; s < slots.SLOT_COUNT; s++) {
      const a = slots.slotSubnets(s).ipv6(1);
      expect(isIPv6(a), a).toBe(true);
      nets.add(canonical(a).split(':').slice(0, 4).join(':'));
    }
    expect(nets.size).toBe(slots.SLOT_COUNT);
  });

  it('slots 1–511: addresses are already in the form the kernel and the capture print', () => {
    for (let s = 1; s < slots.SLOT_COUNT; s++) {
      for (const h of [1, 2, 3]) expect(slots.slotSubnets(s).ipv6(h)).toBe(canonical(slots.slotSubnets(s).ipv6(h)));
    }
  });

  it('slot 0: IPv6 addresses are in the canonical (RFC 5952) form', () => {
    expect(slots.slotSubnets(0).ipv6(1)).toBe(canonical(slots.slotSubnets(0).ipv6(1)));
  });
});

describe('takeSlot / releaseSlot', () => {
  it('takes a free slot, writing this pid into its file, and releases it', () => {
    const a = slots.takeSlot();
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(slots.SLOT_COUNT);
    expect(readFileSync(`${dir}/${a}`, 'utf8')).toBe(String(process.pid));
    const b = slots.takeSlot();
    expect(b).not.toBe(a);
    slots.releaseSlot(a);
    expect(existsSync(`${dir}/${a}`)).toBe(false);
    expect(existsSync(`${dir}/${b}`)).toBe(true);
    slots.releaseSlot(b);
    slots.releaseSlot(b); // twice is fine
  });

  it('walks on: a slot given back comes to the same process again only after all the others', () => {
    const seen: number[] = [];
    for (let i = 0; i < slots.SLOT_COUNT; i++) {
      const s = slots.takeSlot();
      seen.push(s);
      slots.releaseSlot(s); // a case's end: the next case of this worker must not get it back
    }
    expect(new Set(seen).size).toBe(slots.SLOT_COUNT);
    expect(slots.takeSlot()).toBe(seen[0]);
  });

  it('skips slots held by live processes', () => {
    fill(sleeper.pid, [17]);
    expect(slots.takeSlot()).toBe(17);
  });

  it('takes back slots whose owner is gone when none is free', () => {
    fill(deadPid());
    const s = slots.takeSlot();
    expect(readFileSync(`${dir}/${s}`, 'utf8')).toBe(String(process.pid));
    expect(readdirSync(dir)).toHaveLength(1); // the others were reclaimed
  });

  it('fails clearly when every slot belongs to a live run', () => {
    fill(sleeper.pid);
    expect(() => slots.takeSlot()).toThrow(/all 512 address slots .* are in use by live runs/);
  });
});

describe('reclaimSlots', () => {
  it('frees the slots of dead owners only: not of live processes, not this one\'s', () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/1`, String(deadPid(1)));
    writeFileSync(`${dir}/2`, String(deadPid(2)));
    writeFileSync(`${dir}/3`, String(sleeper.pid));
    writeFileSync(`${dir}/4`, String(process.pid));
    writeFileSync(`${dir}/5`, ''); // half-written: not a pid, left alone
    expect(slots.reclaimSlots()).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['3', '4', '5']);
  });

  it('frees the slot of a zombie owner: killed, not reaped yet', async () => {
    const zombie = await zombieProcess();
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/1`, String(zombie.pid));
      writeFileSync(`${dir}/2`, String(zombie.parent));
      expect(slots.reclaimSlots()).toBe(1);
      expect(readdirSync(dir)).toEqual(['2']);
    } finally {
      zombie.kill();
    }
  });

  it('no slots directory: nothing to do', () => {
    expect(slots.reclaimSlots()).toBe(0);
  });
});
