import { SourceDetails } from '../../../components/source-details.tsx';

/** A policy conf as readable `path: value` lines (the raw JSON sits next to it). */
export function flattenConf(value: unknown, path = ''): [string, string][] {
  if (value === null || typeof value !== 'object') return [[path || '(value)', JSON.stringify(value) ?? 'undefined']];
  const entries = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v] as const) : Object.entries(value).map(([k, v]) => [path ? `.${k}` : k, v] as const);
  if (entries.length === 0) return [[path || '(value)', Array.isArray(value) ? '[]' : '{}']];
  return entries.flatMap(([k, v]) => flattenConf(v, `${path}${k}`));
}

export function PolicyConf({ conf, label }: { conf: unknown; label: string }) {
  const lines = flattenConf(conf);
  return (
    <div className="grid grid-cols-1 gap-3 md:grid-cols-2">
      <dl aria-label={`${label} effective conf`} className="space-y-0.5 font-mono text-xs">
        {lines.map(([k, v]) => (
          <div key={k} className="flex gap-2">
            <dt className="muted shrink-0">{k}:</dt>
            <dd className="break-all">{v}</dd>
          </div>
        ))}
      </dl>
      <SourceDetails summary="Raw JSON" text={JSON.stringify(conf, null, 2)} />
    </div>
  );
}
