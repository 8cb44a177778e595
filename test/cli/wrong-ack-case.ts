/** A case file of our own that fails for real on every kernel: its SYN-ACK's ack is 1, the case expects 7. */
import { readFileSync } from 'node:fs';
import { writeCase } from '../reliability/helpers.js';

export const WRONG_ACK_CASE = 'server answers with a wrong ack';

/** Writes `dir`/wrong-ack.case.ts; returns it and the line of its expectation that fails. */
export function writeWrongAckCase(dir: string): { file: string; expectLine: number } {
  const file = writeCase(
    dir,
    'wrong-ack',
    `tcpCase('${WRONG_ACK_CASE}', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(7000);
  await client.connect(server, 7000);
  await listener.accept();
  await expect(wire).toHaveSegments(['client > server SYN', 'server > client SYN ACK ack=7', '...']);
});`,
  );
  const expectLine = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('toHaveSegments')) + 1;
  return { file, expectLine };
}
