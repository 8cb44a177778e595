// A guest that does not answer when asked for its states leaves them incomplete: the
// case goes on (settle resolves), and the observer says which guest and why until the
// guest answers again, for a failed state expectation to tell.
import { expect, it } from 'vitest';
import { CaseObserver, type ReportingHost } from '../../harness/observe/observer.js';

it('names the guests whose last settle failed, and forgets one that answers again', async () => {
  const why = 'the uml guest 1 (host server) did not answer "sample" within 5 s';
  let answers = false;
  const silent: ReportingHost = {
    settle: async () => {
      if (!answers) throw new Error(why);
    },
    poke: () => {},
    on: () => () => {},
  };
  const fine: ReportingHost = { settle: async () => {}, poke: () => {}, on: () => () => {} };
  const observer = await CaseObserver.start([], [], [silent, fine]);
  try {
    expect(observer.unansweredHosts()).toEqual([]);
    await observer.settle();
    expect(observer.unansweredHosts()).toEqual([why]);
    answers = true;
    await observer.settle();
    expect(observer.unansweredHosts()).toEqual([]);
  } finally {
    observer.close();
  }
});
