import { describe, expect, it } from 'vitest';
import { completeness, PortDrops } from '../../harness/wire/completeness.js';

const link = (rx: number, tx: number, txDropped = 0) => ({ rx, tx, txDropped });

describe('capture completeness', () => {
  it('counts a frame the kernel refused as dropped while the link was down, whatever the port counted', () => {
    // a guest's port refuses a frame while down (ENETDOWN): the port counts nothing
    const check = completeness(
      [
        { host: 'a', captured: 3, delivered: 4, refused: 0 },
        { host: 'b', captured: 4, delivered: 3, refused: 1 },
      ],
      [link(4, 3), link(2, 4)],
      [link(0, 4), link(0, 2)],
      [0, 0],
      ['a', 'b'],
      false,
    );
    expect(check.complete).toBe(true);
    expect(check.ports[1]).toMatchObject({ delivered: 3, received: 2, droppedBeforeUp: 1, droppedWhileUp: 0 });
  });

  it('finds a frame delivered that the host neither received nor the kernel refused', () => {
    const check = completeness([{ host: 'a', captured: 1, delivered: 1, refused: 0 }, { host: 'b', captured: 0, delivered: 5, refused: 0 }], [link(1, 1), link(4, 0)], [link(0, 0), link(0, 0)], [0, 0], ['a', 'b'], false);
    expect(check.complete).toBe(false);
    expect(check.problem).toBe('the sidecar delivered 5 frames to b, it received 4 (0 dropped while its link was down or gone)');
  });

  it('reports drops while the link was up as a loss, and keeps them apart from the refusals before', () => {
    const drops = new PortDrops();
    drops.linkUp(0, link(0, 0, 2), 2);
    drops.linkDown(0, link(0, 0, 3), 3);
    const check = completeness([{ host: 'a', captured: 0, delivered: 6, refused: 3 }], [link(3, 0)], [link(0, 0, 3)], drops.dropsWhileUp, ['a'], false);
    expect(check.ports[0]).toMatchObject({ droppedBeforeUp: 2, droppedWhileUp: 1 });
    expect(check.problem).toBe('the wire dropped 1 frame to a while its link was up');
  });

  it('counts a refusal while the link was up as a loss though no device counted it (an egress filter)', () => {
    const drops = new PortDrops();
    drops.linkUp(0, link(0, 0, 0), 1);
    drops.linkDown(0, link(0, 0, 0), 2);
    const check = completeness([{ host: 'a', captured: 0, delivered: 5, refused: 2 }], [link(3, 0)], [link(0, 0, 0)], drops.dropsWhileUp, ['a'], false);
    expect(check.ports[0]).toMatchObject({ droppedBeforeUp: 1, droppedWhileUp: 1 });
    expect(check.problem).toBe('the wire dropped 1 frame to a while its link was up');
  });

  it('in bridge mode takes the drops from the port, and does not judge deliveries', () => {
    const check = completeness([{ host: 'a', captured: 2, delivered: 9, refused: 0 }], [link(1, 2)], [link(0, 0, 4)], [0], ['a'], true);
    expect(check.complete).toBe(true);
    expect(check.ports[0].droppedBeforeUp).toBe(4);
  });
});
