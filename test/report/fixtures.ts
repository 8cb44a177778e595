/** Ladders the renderer tests draw. Times and numbers as a real Linux capture shows them. */
import type { Ladder, LadderRow, LadderSegment } from '../../harness/report/index.js';

const CLIENT = 0;
const SERVER = 1;

function seg(t: number, from: number, to: number, flags: string, seq: number, ack: number | null, more: Partial<LadderSegment> = {}): LadderSegment {
  return { kind: 'segment', t, from, to, flags, seq, ack, len: 0, ...more };
}

const columns = [
  { name: 'client', address: '198.18.0.1' },
  { name: 'server', address: '198.18.0.2' },
];

/** Three-way handshake, one byte each way, active close by the client. */
export function handshakeAndClose(): Ladder {
  const rows: LadderRow[] = [
    { kind: 'state', t: 0, column: SERVER, socket: 'listener :8080', state: 'LISTEN' },
    { kind: 'state', t: 0.001, column: CLIENT, state: 'SYN_SENT' },
    seg(0.001, CLIENT, SERVER, 'SYN', 0, null, { win: 64240, options: 'mss 1460,sackOK,ts,nop,wscale 7', frame: 1 }),
    { kind: 'state', t: 0.001, column: SERVER, state: 'SYN_RECV' },
    seg(0.001, SERVER, CLIENT, 'SYN ACK', 0, 1, { win: 65160, options: 'mss 1460,sackOK,ts,nop,wscale 7', frame: 2 }),
    { kind: 'state', t: 0.002, column: CLIENT, state: 'ESTABLISHED' },
    seg(0.002, CLIENT, SERVER, 'ACK', 1, 1, { frame: 3 }),
    { kind: 'state', t: 0.002, column: SERVER, state: 'ESTABLISHED' },
    { kind: 'state', t: 0.010, column: CLIENT, state: 'FIN_WAIT_1' },
    seg(0.010, CLIENT, SERVER, 'FIN ACK', 1, 1, { frame: 4 }),
    { kind: 'state', t: 0.010, column: SERVER, state: 'CLOSE_WAIT' },
    seg(0.011, SERVER, CLIENT, 'ACK', 1, 2, { frame: 5 }),
    { kind: 'state', t: 0.011, column: CLIENT, state: 'FIN_WAIT_2' },
    { kind: 'state', t: 0.020, column: SERVER, state: 'LAST_ACK' },
    seg(0.020, SERVER, CLIENT, 'FIN ACK', 1, 2, { frame: 6 }),
    { kind: 'state', t: 0.020, column: CLIENT, state: 'TIME_WAIT' },
    seg(0.021, CLIENT, SERVER, 'ACK', 2, 2, { frame: 7 }),
    { kind: 'state', t: 0.021, column: SERVER, state: 'CLOSED' },
  ];
  return { title: 'active close', columns, rows };
}

/** The final ACK is lost; the server retransmits its FIN after a hold. */
export function lostFinalAck(): Ladder {
  const rows: LadderRow[] = [
    { kind: 'state', t: 0.02, column: CLIENT, state: 'TIME_WAIT' },
    seg(0.021, CLIENT, SERVER, 'ACK', 2, 2, { marks: ['dropped'], frame: 7 }),
    { kind: 'note', t: 0.021, column: null, text: 'wire drops the final ACK' },
    seg(0.221, SERVER, CLIENT, 'FIN ACK', 1, 2, { marks: ['retransmission', 'held'], note: 'held 12 ms', frame: 8 }),
    seg(0.222, CLIENT, SERVER, 'ACK', 2, 2, { frame: 9 }),
    { kind: 'state', t: 0.222, column: SERVER, state: 'CLOSED' },
  ];
  return { columns, rows };
}

/** SO_LINGER {on, 0}: the client aborts and the server reads ECONNRESET. */
export function abortiveClose(): Ladder {
  const rows: LadderRow[] = [
    { kind: 'state', t: 0.5, column: CLIENT, state: 'ESTABLISHED' },
    seg(0.5, CLIENT, SERVER, 'RST ACK', 1, 1, { frame: 4 }),
    { kind: 'state', t: 0.5, column: CLIENT, state: 'CLOSED' },
    { kind: 'note', t: 0.501, column: SERVER, text: 'read: ECONNRESET' },
    { kind: 'state', t: 0.501, column: SERVER, state: 'CLOSED' },
  ];
  return { columns, rows };
}

/** A scripted peer injects an RST into the server's SYN_RECV, seen by a third host. */
export function threeColumns(): Ladder {
  const rows: LadderRow[] = [
    { kind: 'state', t: 0, column: 1, socket: 'listener :8080', state: 'LISTEN' },
    seg(0.001, 0, 1, 'SYN', 0, null, { options: 'mss 1460', marks: ['injected'], frame: 1 }),
    { kind: 'state', t: 0.001, column: 1, state: 'SYN_RECV' },
    seg(0.001, 1, 0, 'SYN ACK', 0, 1, { frame: 2 }),
    seg(0.002, 0, 1, 'RST', 1, null, { marks: ['injected'], frame: 3 }),
    { kind: 'state', t: 0.002, column: 1, state: 'LISTEN' },
    seg(0.003, 2, 0, 'SYN', 0, null, { frame: 4 }),
    seg(0.004, 0, 2, 'RST ACK', 0, 1, { marks: ['dropped'], frame: 5 }),
    seg(0.005, 1, 2, 'ACK', 1, 1, { marks: ['out-of-order', 'duplicated'], frame: 6 }),
    { kind: 'note', t: 0.006, column: null, text: 'raw peer done' },
    { kind: 'note', t: 0.006, column: 2, text: 'observer' },
  ];
  return {
    title: 'RST in SYN_RCVD',
    columns: [
      { name: 'raw', address: '198.18.0.9' },
      { name: 'server', address: '198.18.0.2' },
      { name: 'observer' },
    ],
    rows,
  };
}
