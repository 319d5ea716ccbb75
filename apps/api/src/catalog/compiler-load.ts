import { PolicyCompiler, type PolicyCompilerOptions, type Resource, type StoredVersion } from '@meshcap/core';
import type { Toggle } from '../store/index.ts';

export type LoadProblem = (message: string) => void;

/** All at once; if the compiler refuses the batch (stored under laxer rules), one by one, keeping what loads. */
export function applyResources(compiler: PolicyCompiler, resources: readonly Resource[], problem: LoadProblem): void {
  try {
    compiler.applyAll(resources);
  } catch {
    const ordered = [...resources].sort((a, b) => (a.type === 'Mesh' ? 0 : 1) - (b.type === 'Mesh' ? 0 : 1));
    for (const r of ordered) {
      try {
        compiler.apply(r);
      } catch (err) {
        problem(`stored ${r.type} "${r.name}"${r.mesh ? ` in mesh "${r.mesh}"` : ''} is not valid any more and is ignored: ${(err as Error).message}`);
      }
    }
  }
}

export function applyToggle(compiler: PolicyCompiler, t: Pick<Toggle, 'mesh' | 'dataplane' | 'policyType' | 'policyName' | 'enabled'>, problem: LoadProblem): void {
  try {
    compiler.setToggle(t.mesh, t.dataplane, t.policyType, t.policyName, t.enabled);
  } catch (err) {
    problem(`toggle ${t.policyType}/${t.policyName} for ${t.mesh}/${t.dataplane} not applied: ${(err as Error).message}`);
  }
}

function load(compiler: PolicyCompiler, resources: readonly Resource[], toggles: readonly Toggle[], problem: LoadProblem): void {
  applyResources(compiler, resources, problem);
  for (const t of toggles) if (!t.enabled) applyToggle(compiler, t, problem);
}

/**
 * A compiler holding the stored resources and toggles, whose versions continue the stored
 * counters: a dataplane whose content is what it was keeps its version across a restart.
 *
 * The compiler takes toggles only after the resources, so a toggled dataplane is compiled more
 * than once while loading, and the stored counter would move on each of those intermediate
 * versions. The same load is first replayed on a scratch compiler to learn, per dataplane, its
 * first content hash and how many versions follow it; each stored counter is then seeded so the
 * last of them lands where it should. (A `toggles` option of PolicyCompiler would make this moot.)
 */
export function compilerFromStore(
  resources: readonly Resource[],
  toggles: readonly Toggle[],
  stored: readonly StoredVersion[],
  options: Omit<PolicyCompilerOptions, 'versions' | 'defaultMesh'>,
  problem: LoadProblem,
): PolicyCompiler {
  const trace = new Map<string, { first: string; later: number; final: string }>();
  const scratch = new PolicyCompiler({ defaultMesh: false });
  scratch.onChange((result) => {
    for (const c of result.changes) {
      if (!c.version) continue;
      const key = `${c.mesh}/${c.dataplane}`;
      const t = trace.get(key);
      if (!t) trace.set(key, { first: c.version.hash, later: 0, final: c.version.hash });
      else {
        t.later++;
        t.final = c.version.hash;
      }
    }
  });
  load(scratch, resources, toggles, () => {});
  const versions = stored.map((s) => {
    const t = trace.get(`${s.mesh}/${s.dataplane}`);
    if (!t) return s;
    const wanted = s.hash === t.final ? s.counter : s.counter + 1;
    return { ...s, counter: wanted - t.later, hash: t.first };
  });
  const compiler = new PolicyCompiler({ ...options, defaultMesh: false, versions });
  load(compiler, resources, toggles, problem);
  return compiler;
}
