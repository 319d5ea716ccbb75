import { fileURLToPath } from 'node:url';

/**
 * Small plain-JS programs the tests start inside namespaces (no loader, fast start). Each prints one
 * JSON object per line on stdout:
 * - `tcp-listen.mjs --port P [--host H] [--reply TEXT]`: `{"event":"listening"}`, then per connection
 *   `{"event":"connection","remoteAddress",…,"localAddress",…,"data"}` (echoes TEXT or the data back).
 * - `tcp-connect.mjs --host H --port P [--send TEXT] [--timeout MS]`: `{"event":"connected",…}` then
 *   `{"event":"reply","data"}` or `{"event":"error","code"}`.
 */
export function agentPath(name: 'tcp-listen' | 'tcp-connect'): string {
  return fileURLToPath(new URL(`../agents/${name}.mjs`, import.meta.url));
}
