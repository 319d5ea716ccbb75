// Test fixture: a DNS proxy on the given addresses in the namespace this runs in; prints where it
// listens (or the error) as one JSON line, then serves until killed.
import { startDnsProxy } from '../server.ts';

const addresses = process.argv.slice(2).map((a) => {
  const i = a.lastIndexOf(':');
  return { address: a.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(a.slice(i + 1)) };
});
const warnings: string[] = [];
try {
  const proxy = await startDnsProxy(
    { name: 'kuma:dns', statPrefix: 'kuma_dns', addresses, domains: new Map([['backend.mesh', { a: ['240.0.0.1'], aaaa: [], ttl: 30 }]]) },
    { log: (_level, message) => warnings.push(message) },
  );
  console.log(JSON.stringify({ listening: proxy.addresses(), warnings }));
} catch (err) {
  console.log(JSON.stringify({ error: (err as { code?: string }).code, message: (err as Error).message }));
}
