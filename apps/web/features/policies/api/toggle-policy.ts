import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiFetch, seg } from '../../../lib/api-client.ts';
import { dataplaneKeys } from '../../dataplanes/api/keys.ts';
import { meshKeys } from '../../meshes/api/keys.ts';
import { policyKeys } from './keys.ts';
import type { DataplanePolicies, PolicyToggleResult } from './types.ts';

export interface PolicyToggle {
  type: string;
  name: string;
  enabled: boolean;
}

export function togglePolicy(mesh: string, dataplane: string, { type, name, enabled }: PolicyToggle): Promise<PolicyToggleResult> {
  return apiFetch<PolicyToggleResult>(`/api/meshes/${seg(mesh)}/dataplanes/${seg(dataplane)}/policies/${seg(type)}/${seg(name)}`, {
    method: 'PUT',
    body: { enabled },
    auth: true,
  });
}

/** The cached policies with one policy's switch flipped (the server recomputes the effective conf). */
function withToggle(data: DataplanePolicies, t: PolicyToggle): DataplanePolicies {
  const flip = <P extends { type: string; name: string; enabled: boolean }>(p: P): P => (p.type === t.type && p.name === t.name ? { ...p, enabled: t.enabled } : p);
  return {
    ...data,
    policies: data.policies.map(flip),
    attachments: data.attachments.map((a) => ({ ...a, policies: a.policies.map((e) => ({ ...e, origins: e.origins.map(flip) })) })),
  };
}

/**
 * Turn one policy on/off for one dataplane: the switch moves at once (optimistic), goes back if the
 * API refuses, and the dataplane's views (config version, config dump, diagrams) refetch afterwards.
 */
export function useTogglePolicy(mesh: string, dataplane: string) {
  const qc = useQueryClient();
  const key = policyKeys.forDataplane(mesh, dataplane);
  return useMutation({
    mutationKey: ['toggle-policy', mesh, dataplane],
    mutationFn: (t: PolicyToggle) => togglePolicy(mesh, dataplane, t),
    onMutate: async (t) => {
      await qc.cancelQueries({ queryKey: key });
      const previous = qc.getQueryData<DataplanePolicies>(key);
      if (previous) qc.setQueryData<DataplanePolicies>(key, withToggle(previous, t));
      return { previous };
    },
    onError: (_err, _t, ctx) => {
      if (ctx?.previous) qc.setQueryData(key, ctx.previous);
    },
    onSuccess: (result) => {
      qc.setQueryData<DataplanePolicies>(key, (old) => old && { ...withToggle(old, result), configVersion: result.configVersion });
    },
    onSettled: async () => {
      await Promise.all([
        qc.invalidateQueries({ queryKey: dataplaneKeys.one(mesh, dataplane) }),
        qc.invalidateQueries({ queryKey: dataplaneKeys.list(mesh) }),
        qc.invalidateQueries({ queryKey: [...meshKeys.one(mesh), 'policies'] }),
      ]);
    },
  });
}
