import { describe, expect, it } from 'vitest';
import { failureLocation, formatLocation, leadingPlace } from '../../harness/report/index.js';

describe('leadingPlace', () => {
  it('reads the FILE:LINE: a packetdrill error or bad input begins with', () => {
    expect(leadingPlace('cases/x/a.pkt:16: error handling packet: timing error')).toEqual({ file: 'cases/x/a.pkt', line: 16 });
    expect(leadingPlace('cases/x/a.case.ts:12:7: port 70000 is out of range')).toEqual({ file: 'cases/x/a.case.ts', line: 12 });
    expect(leadingPlace('\u001b[31mcases/p.json:3: unknown key\u001b[39m')).toEqual({ file: 'cases/p.json', line: 3 });
  });

  it('finds none in a message that only mentions a file later on', () => {
    expect(leadingPlace('the wire does not match: see cases/x/a.pkt:16: …')).toBeNull();
    expect(leadingPlace('timed out')).toBeNull();
  });
});

describe('failureLocation', () => {
  const file = '/repo/cases/x/a.pkt';
  it("prefers the failed expectation's line, then the message's leading place, then the stack", () => {
    expect(failureLocation({ file, error: 'cases/x/a.pkt:9: boom', expectations: [{ matcher: 'toHaveSegments', subject: 'the wire', expected: 'x', outcome: 'failed', line: 4 }] })).toEqual({ file, line: 4 });
    expect(failureLocation({ file, error: 'elsewhere.pkt:9: boom', expectations: [] })).toEqual({ file: 'elsewhere.pkt', line: 9 });
    expect(failureLocation({ file, error: 'boom', expectations: [] }, 'boom\nat /repo/cases/x/b.case.ts:30:5')).toEqual({ file: '/repo/cases/x/b.case.ts', line: 30 });
    expect(formatLocation(failureLocation({ file, error: 'boom', expectations: [] }))).toBe(file);
  });
});
