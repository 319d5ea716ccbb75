import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The dependency arrows (web → api over HTTP → dataplane → core → native) are lint rules of the repository's
// eslint.config.js, so a violation fails `npm test`: these imports, placed in each package, must be refused.

const root = fileURLToPath(new URL('../../../', import.meta.url));
// The files do not exist, so the type-aware rules (which need them in a tsconfig) are off here.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } }, rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' } },
});

async function problems(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${root}${file}` });
  expect(result!.messages.filter((m) => m.fatal)).toEqual([]);
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the dependency arrows are lint rules', () => {
  it.each([
    ['apps/web/lib/arrow-check.ts', "import { startDataplane } from '@meshcap/core';\nvoid startDataplane;\n", /over HTTP only/],
    ['apps/web/lib/arrow-check.ts', "import type { FlowRecord } from '../../../packages/core/src/flows/index.ts';\nexport type F = FlowRecord;\n", /over HTTP only/],
    ['packages/core/src/arrow-check.ts', "import { buildApp } from '@meshcap/api';\nvoid buildApp;\n", /core knows nothing of the api/],
    ['packages/core/src/arrow-check.ts', "import Fastify from 'fastify';\nvoid Fastify;\n", /core knows nothing of the api/],
    ['packages/native/src/arrow-check.ts', "import { MeshcapError } from '@meshcap/core';\nvoid MeshcapError;\n", /native is the bottom layer/],
    ['apps/api/src/arrow-check.ts', "import { x } from '../../../packages/core/src/proxy/engine.ts';\nvoid x;\n", /by package name/],
    ['apps/api/src/arrow-check.ts', "import { x } from '@meshcap/core/proxy';\nvoid x;\n", /public surface/],
    // `meshcap dp` (and its bundle) must not load the control plane, its HTTP framework or its database drivers.
    ['packages/dataplane/src/arrow-check.ts', "import { runCli } from '@meshcap/api';\nvoid runCli;\n", /dataplane sits below the control plane/],
    ['packages/dataplane/src/arrow-check.ts', "import { x } from '../../../apps/api/src/control-plane/listen-address.ts';\nvoid x;\n", /dataplane sits below the control plane/],
    ['packages/dataplane/src/arrow-check.ts', "import Fastify from 'fastify';\nvoid Fastify;\n", /dataplane sits below the control plane/],
    ['packages/dataplane/src/arrow-check.ts', "import Database from 'better-sqlite3';\nvoid Database;\n", /dataplane sits below the control plane/],
    ['packages/dataplane/src/arrow-check.ts', "import pg from 'pg';\nvoid pg;\n", /dataplane sits below the control plane/],
    ['packages/dataplane/src/arrow-check.ts', "import { x } from '../../core/src/proxy/engine.ts';\nvoid x;\n", /dataplane sits below the control plane/],
    ['packages/core/src/arrow-check.ts', "import { dpMain } from '@meshcap/dataplane';\nvoid dpMain;\n", /core knows nothing of the api, the dataplane/],
    ['apps/web/lib/arrow-check.ts', "import { flowRecordSchema } from '@meshcap/dataplane';\nvoid flowRecordSchema;\n", /over HTTP only/],
  ])('refuses in %s: %s', async (file, source, message) => {
    expect(await problems(file, source)).toEqual([expect.stringMatching(message)]);
  });

  it('lets each package import what is below it', async () => {
    expect(await problems('apps/api/src/arrow-check.ts', "import { startDataplane } from '@meshcap/core';\nvoid startDataplane;\n")).toEqual([]);
    expect(await problems('packages/core/src/arrow-check.ts', "import { connectMarked } from '@meshcap/native';\nvoid connectMarked;\n")).toEqual([]);
    expect(await problems('apps/api/src/arrow-check.ts', "import { dpMain } from '@meshcap/dataplane';\nvoid dpMain;\n")).toEqual([]);
    expect(await problems('packages/dataplane/src/arrow-check.ts', "import { startDataplane } from '@meshcap/core';\nvoid startDataplane;\n")).toEqual([]);
  });

  it('refuses an import cycle inside a package (import-x/no-cycle)', async () => {
    // no-cycle follows imports on disk: two real files, a.ts importing b.ts, and b.ts (linted) importing a.ts.
    const dir = mkdtempSync(join(root, 'packages/core/src/.cycle-check-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import { b } from './b.ts';\nexport const a = (): number => b() + 1;\n");
      const source = "import { a } from './a.ts';\nexport const b = (): number => a() - 1;\n";
      writeFileSync(join(dir, 'b.ts'), source);
      const [result] = await eslint.lintText(source, { filePath: join(dir, 'b.ts') });
      expect(result!.messages.map((m) => m.ruleId)).toContain('import-x/no-cycle');
      // The same two files without the back edge pass.
      const [clean] = await eslint.lintText('export const b = (): number => 1;\n', { filePath: join(dir, 'b.ts') });
      expect(clean!.messages.filter((m) => m.ruleId === 'import-x/no-cycle')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
