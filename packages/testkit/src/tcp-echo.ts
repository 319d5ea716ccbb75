import net, { type AddressInfo } from 'node:net';

/** A loopback TCP app that answers every chunk with `echo:<chunk>`. */
export function tcpEchoServer(host = '127.0.0.1'): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.on('data', (d) => s.write(`echo:${d.toString()}`));
  });
  return new Promise((resolve) => server.listen(0, host, () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

/**
 * Connects (from `from` when given), sends `text` and resolves with what came back once it holds
 * `text`, or when the peer closed or refused, or after `timeoutMs`: '' for a refused connection.
 */
export function tcpExchange(port: number, text: string, opts: { from?: string; host?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: opts.host ?? '127.0.0.1', port, localAddress: opts.from });
    let got = '';
    const timer = setTimeout(() => s.destroy(), opts.timeoutMs ?? 2_000);
    s.on('data', (d) => {
      got += d.toString();
      if (got.includes(text)) s.destroy();
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.on('connect', () => s.write(text));
  });
}
