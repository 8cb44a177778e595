/**
 * A hand-checked picture of the handshake + four-way close ladder. Any change to
 * the text layout shows up here as a diff; update the expected text only after
 * looking at the new picture.
 */
import { expect, it } from 'vitest';
import { renderLadderText } from '../../harness/report/index.js';
import { handshakeAndClose, lostFinalAck } from './fixtures.js';

const handshake = `
active close
                client                                                                 server
              198.18.0.1                                                             198.18.0.2
                   │                                                                      │
0.000              │                                                                      │ listener :8080 LISTEN
0.001     SYN_SENT │                                                                      │
0.001              ├─────── SYN seq=0 win=64240 <mss 1460,sackOK,ts,nop,wscale 7> ───────>│
0.001              │                                                                      │ SYN_RECV
0.001              │<── SYN ACK seq=0 ack=1 win=65160 <mss 1460,sackOK,ts,nop,wscale 7> ──┤
0.002  ESTABLISHED │                                                                      │
0.002              ├────────────────────────── ACK seq=1 ack=1 ──────────────────────────>│
0.002              │                                                                      │ ESTABLISHED
0.010   FIN_WAIT_1 │                                                                      │
0.010              ├──────────────────────── FIN ACK seq=1 ack=1 ────────────────────────>│
0.010              │                                                                      │ CLOSE_WAIT
0.011              │<────────────────────────── ACK seq=1 ack=2 ──────────────────────────┤
0.011   FIN_WAIT_2 │                                                                      │
0.020              │                                                                      │ LAST_ACK
0.020              │<──────────────────────── FIN ACK seq=1 ack=2 ────────────────────────┤
0.020    TIME_WAIT │                                                                      │
0.021              ├────────────────────────── ACK seq=2 ack=2 ──────────────────────────>│
0.021              │                                                                      │ CLOSED
                   │                                                                      │
`.slice(1);

it('draws the handshake and four-way close exactly as expected', () => {
  expect(renderLadderText(handshakeAndClose())).toBe(handshake);
});

const lostAck = `
              client                                                   server
            198.18.0.1                                               198.18.0.2
                 │                                                        │
0.020  TIME_WAIT │                                                        │
0.021            ├───────────────── ACK seq=2 ack=2 ──────────────────✕   │
0.021            │                wire drops the final ACK                │
0.221            │<── FIN ACK seq=1 ack=2 [retransmission] [held 12 ms] ──┤
0.222            ├─────────────────── ACK seq=2 ack=2 ───────────────────>│
0.222            │                                                        │ CLOSED
                 │                                                        │
`.slice(1);

it('draws a dropped, a held and a retransmitted segment exactly as expected', () => {
  expect(renderLadderText(lostFinalAck(), { width: 80 })).toBe(lostAck);
});
