import { describe, expect, it } from 'vitest';
import { bundleDataplane } from './dp-runtime.ts';

// The bundle the proxy-user child runs is everything a dataplane process loads: esbuild's metafile
// says what went in. It must hold none of the control plane (apps/), its HTTP framework, its
// database drivers or the dashboard's framework (issue 20), whatever a later import drags along.
describe('the dataplane bundle', () => {
  it('holds no control plane code, Fastify, SQLite or PostgreSQL driver, Next or React', async () => {
    const { inputs } = await bundleDataplane();
    const files = Object.keys(inputs);
    expect(files.some((f) => /core\/src\/proxy\//.test(f))).toBe(true);
    const packageOf = (f: string): string | undefined => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1];
    const forbidden = files.filter((f) => /(^|\/)apps\//.test(f) || /^(fastify|fastify-plugin|@fastify\/.*|better-sqlite3|pg|pg-.*|next|react|react-dom)$/.test(packageOf(f) ?? ''));
    expect(forbidden).toEqual([]);
  }, 60_000);

  it('is ASCII: V8 would hold a source with one other character as a two-byte string, twice the memory', async () => {
    const { code } = await bundleDataplane();
    expect(code.findIndex((b) => b > 0x7f)).toBe(-1);
  }, 60_000);
});
