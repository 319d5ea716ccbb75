import net from 'node:net';

/** For tests: one TCP exchange with `port` on loopback (a dataplane's inbound in front of an echo app); resolves what came back. */
export function echoExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('connect', () => s.end(text));
    s.on('data', (d) => (got += d.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.setTimeout(5_000, () => s.destroy(new Error('echo timed out')));
  });
}
