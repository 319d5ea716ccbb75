import net, { type AddressInfo } from 'node:net';

/** A TCP port free on `host` right now (tests that start listeners on loopback pick theirs with it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, host, r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}
