/**
 * Run by store-disk-full.test.ts inside its own mount namespace, with argv[2] a small tmpfs: a real
 * app over a SQLite store there, the disk filled, a change tried, space freed, the change tried
 * again. Prints one JSON line of what it saw.
 */
import { openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { applyYaml, startTestApp } from '../test-support.ts';

const dir = process.argv[2]!;
const policy = (name: string) => `type: MeshTimeout\nmesh: default\nname: ${name}\nspec:\n  targetRef: { kind: Mesh }\n  to:\n    - targetRef: { kind: Mesh }\n      default: { idleTimeout: 30s }\n# ${'x'.repeat(4000)}\n`;
const cp = await startTestApp({ dataDir: dir });
const before = (await applyYaml(cp.app, policy('before'))).statusCode;
const filler = join(dir, 'filler');
const fd = openSync(filler, 'w');
const block = Buffer.alloc(4096, 1);
try {
  for (;;) writeSync(fd, block);
} catch {
  // ENOSPC: the disk is full
}
closeSync(fd);
const full = await applyYaml(cp.app, policy('during'));
const read = (await cp.app.inject({ url: '/api/meshes/default/policies' })).statusCode;
rmSync(filler);
const after = (await applyYaml(cp.app, policy('after'))).statusCode;
await cp.close({ keepData: true });
console.log(JSON.stringify({ before, full: { status: full.statusCode, body: full.json() as unknown }, read, after }));
