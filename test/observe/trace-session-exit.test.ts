// The exit handlers (SIGINT to a run) close this process's trace session even while it
// is still opening: its tracefs instance exists from its mkdir on, before open() returns.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { closeTraceSession, traceSession } from '../../harness/observe/observer.js';
import { tracefsRoot } from '../../harness/observe/tracefs.js';
import { resourceName } from '../../harness/topology/owner.js';

describe('the trace session at exit', () => {
  it('is removed when the exit handlers run while it is still opening', async () => {
    const dir = `${await tracefsRoot()}/instances/${resourceName('trace')}`;
    const opening = traceSession();
    // the first moment the instance exists: open() is still starting its reader
    while (!existsSync(dir)) await new Promise((r) => setImmediate(r));
    closeTraceSession();
    expect(existsSync(dir)).toBe(false);
    await opening.then((s) => s.close(), () => undefined);
  });
});
