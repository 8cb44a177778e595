import type { CaseHost } from '../../harness/index.js';

/** A connection from client to server that carries 'ping' one way and is closed: frames both ways on the wire. */
export async function pingExchange(client: CaseHost, server: CaseHost, port = 8080): Promise<string> {
  const listener = await server.listen(port);
  const conn = await client.connect(server, port);
  const peer = await listener.accept();
  await conn.write('ping');
  const got = (await peer.read(4)).toString();
  await conn.close();
  await peer.close();
  await listener.close();
  return got;
}
