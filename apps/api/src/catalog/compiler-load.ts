import { isPolicyType, PolicyCompiler, type PolicyCompilerOptions, type PolicyToggle, type Resource, type StoredVersion } from '@meshcap/core';
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

/**
 * A compiler holding the stored resources and toggles, whose versions continue the stored
 * counters: the toggles are in force from the first compile, so a dataplane whose content is what
 * it was keeps its version across a restart.
 */
export function compilerFromStore(
  resources: readonly Resource[],
  toggles: readonly Toggle[],
  stored: readonly StoredVersion[],
  options: Omit<PolicyCompilerOptions, 'versions' | 'defaultMesh' | 'toggles'>,
  problem: LoadProblem,
): PolicyCompiler {
  const off: PolicyToggle[] = [];
  for (const t of toggles) {
    if (t.enabled) continue;
    if (isPolicyType(t.policyType)) off.push({ ...t, policyType: t.policyType });
    else problem(`toggle ${t.policyType}/${t.policyName} for ${t.mesh}/${t.dataplane} ignored: "${t.policyType}" is not a policy type`);
  }
  const compiler = new PolicyCompiler({ ...options, defaultMesh: false, versions: stored, toggles: off });
  applyResources(compiler, resources, problem);
  for (const t of off) {
    if (!compiler.getDataplane(t.mesh, t.dataplane) || !compiler.getPolicy(t.mesh, t.policyType, t.policyName)) {
      problem(`toggle ${t.policyType}/${t.policyName} for ${t.mesh}/${t.dataplane} has no effect: that ${compiler.getDataplane(t.mesh, t.dataplane) ? 'policy' : 'dataplane'} is not loaded`);
    }
  }
  return compiler;
}
