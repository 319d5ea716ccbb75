import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// "Loading the addon on Node 22 or 24 needs no rebuild": only one Node is installed here, so this
// checks what makes that true instead — the built addon links against N-API and libc and nothing
// else (no V8, libuv or node:: symbols, whose ABI changes with every major Node), and the N-API
// version it is built for is one that Node 20, 22 and 24 all provide.
const ADDON = fileURLToPath(new URL('../build/Release/meshcap_native.node', import.meta.url));
const BINDING = fileURLToPath(new URL('../binding.gyp', import.meta.url));

/** Symbols the shared object needs from the process, as `nm -D --undefined-only` lists them. */
function undefinedSymbols(file: string): string[] {
  const out = execFileSync('nm', ['-D', '--undefined-only', file], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/).pop() ?? '')
    .filter(Boolean);
}

describe('the built addon is N-API only', () => {
  it('imports N-API functions and libc, nothing from V8, libuv or Node internals', () => {
    const symbols = undefinedSymbols(ADDON);
    expect(symbols).toContain('napi_define_properties');
    // libc symbols carry a glibc version; the rest are the toolchain's weak hooks (crtstuff.c).
    const toolchain = new Set(['_ITM_deregisterTMCloneTable', '_ITM_registerTMCloneTable', '__gmon_start__']);
    const other = symbols.filter((s) => !s.startsWith('napi_') && !/@GLIBC_[\d.]+$/.test(s) && !toolchain.has(s));
    expect(other).toEqual([]);
  });

  it('is built for N-API 8, which Node 20 (9), 22 and 24 (10) all provide', () => {
    const binding = JSON.parse(readFileSync(BINDING, 'utf8')) as { targets: Array<{ defines?: string[] }> };
    expect(binding.targets.flatMap((t) => t.defines ?? [])).toContain('NAPI_VERSION=8');
    expect(Number(process.versions.napi)).toBeGreaterThanOrEqual(8);
  });
});
