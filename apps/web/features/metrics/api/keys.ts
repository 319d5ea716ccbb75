import { dataplaneKeys } from '../../dataplanes/api/keys.ts';
import { meshKeys } from '../../meshes/api/keys.ts';
import type { MetricsScope, MetricsWindow } from './get-golden-metrics.ts';

export const metricsKeys = {
  golden: (scope: MetricsScope, window: MetricsWindow) =>
    scope.kind === 'dataplane'
      ? ([...dataplaneKeys.one(scope.mesh, scope.name), 'metrics', window] as const)
      : ([...meshKeys.one(scope.mesh), 'services', scope.name, 'metrics', window] as const),
};
