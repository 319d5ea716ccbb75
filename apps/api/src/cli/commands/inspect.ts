import { stringify } from 'yaml';
import { ControlPlaneApi, controlPlaneFlags, controlPlaneFlagsHelp } from '../api-client.ts';
import { CliUsageError, type CliCommand, type CliIO, parseCommandFlags } from '@meshcap/dataplane';
import { ago, outputFormat, renderTable, serialize } from '../output/format.ts';

const LIST_HELP = `Usage: meshcap inspect dataplanes [--mesh MESH] [flags]

Lists the dataplanes of a mesh with kumactl's inspect columns: status, last seen, the config version
each runs (and whether it is the latest), capture mode, errors.

Flags:
  --mesh MESH         the mesh (default "default")
  -o, --output FMT    table (default), json or yaml
${controlPlaneFlagsHelp}
`;

const ONE_HELP = `Usage: meshcap inspect dataplane NAME --type TYPE [--mesh MESH] [flags]

Shows what one dataplane runs:
  --type policies      the policies that match it: where, enabled for it, and the effective conf
  --type config-dump   its Envoy v3 config dump (JSON; Envoy's --resource/--mask/--name-regex filters)
  --type rules         the capture rules installed in its network namespace, with counters
  --type stats         its counters, named as Envoy names them

Flags:
  --mesh MESH          the mesh (default "default")
  --resource NAME      config-dump: one resource kind (dynamic_listeners, dynamic_active_clusters…)
  --mask PATHS         config-dump: Envoy field mask
  --name-regex RE      config-dump: only resources whose name matches
  -o, --output FMT     table (default; config-dump is always JSON unless yaml), json or yaml
${controlPlaneFlagsHelp}

Examples:
  meshcap inspect dataplane web --type policies
  meshcap inspect dataplane web --type config-dump --resource dynamic_listeners > web.json
`;

interface DataplaneRow {
  mesh: string;
  name: string;
  tags: Record<string, string>;
  status: string;
  lastSeen: string | null;
  configVersion: string | null;
  expectedVersion: string | null;
  upToDate: boolean;
  captureMode: string;
  totalUpdates: number;
  totalErrors: number;
}

const seg = encodeURIComponent;

export const inspectDataplanesCommand: CliCommand = {
  path: ['inspect', 'dataplanes'],
  summary: 'list dataplanes: status, config version, capture mode, errors',
  help: LIST_HELP,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseCommandFlags(args, { ...controlPlaneFlags, mesh: { type: 'string' }, output: { type: 'string', short: 'o' } }, 'inspect dataplanes');
    const format = outputFormat(values.output as string | undefined);
    const api = ControlPlaneApi.fromFlags(values as Record<string, string>);
    const mesh = (values.mesh as string | undefined) ?? 'default';
    const list = await api.get<{ items: DataplaneRow[] }>(`/api/meshes/${seg(mesh)}/dataplanes`);
    if (format !== 'table') {
      io.stdout(serialize(list, format));
      return 0;
    }
    io.stdout(
      renderTable(
        ['mesh', 'name', 'tags', 'status', 'last seen', 'config version', 'capture', 'updates', 'errors'],
        list.items.map((d) => [
          d.mesh,
          d.name,
          Object.entries(d.tags).map(([k, v]) => `${k}=${v}`).join(' ') || '-',
          d.status === 'online' ? 'Online' : 'Offline',
          ago(d.lastSeen),
          d.configVersion ? `${d.configVersion}${d.upToDate ? '' : ' (latest ' + (d.expectedVersion ?? '?') + ')'}` : `- (latest ${d.expectedVersion ?? '?'})`,
          d.captureMode,
          d.totalUpdates,
          d.totalErrors,
        ]),
      ),
    );
    return 0;
  },
};

interface PoliciesView {
  configVersion: string;
  policies: Array<{ type: string; name: string; enabled: boolean; targetRef: { kind: string; name?: string }; where: string[] }>;
  attachments: Array<{ direction: string; listener?: string; service: string; policies: Array<{ type: string; rules: Array<{ subset: Array<{ key: string; value: string; not: boolean }>; conf: unknown }> }> }>;
  warnings: Array<{ message: string }>;
}

interface RulesView {
  ruleset: {
    tables: Array<{ backend: string; family: string; name: string; flavour?: string; chains: Array<{ name: string; policy?: string; rules: Array<{ index: number; text: string; ours: boolean; counters?: { packets: number; bytes: number } }> }> }>;
    warnings: string[];
  };
}

function policiesText(v: PoliciesView): string {
  const out = [`config version ${v.configVersion}`, ''];
  out.push(
    renderTable(
      ['type', 'name', 'target', 'enabled', 'where'],
      v.policies.map((p) => [p.type, p.name, p.targetRef.name ? `${p.targetRef.kind} ${p.targetRef.name}` : p.targetRef.kind, p.enabled ? 'yes' : 'no (toggled off)', p.where.join(', ')]),
    ).trimEnd(),
  );
  for (const a of v.attachments) {
    if (!a.policies.length) continue;
    out.push('', `${a.direction} ${a.listener ?? a.service}:`);
    for (const p of a.policies) {
      if (!p.rules.length) out.push(`  ${p.type}: not in effect (toggled off)`);
      for (const r of p.rules) {
        const who = r.subset.length ? ` [clients ${r.subset.map((t) => `${t.not ? '!' : ''}${t.key}=${t.value}`).join(',')}]` : '';
        out.push(`  ${p.type}${who}: ${JSON.stringify(r.conf)}`);
      }
    }
  }
  for (const w of v.warnings) out.push('', `warning: ${w.message}`);
  return `${out.join('\n')}\n`;
}

function rulesText(v: RulesView): string {
  const out: string[] = [];
  for (const t of v.ruleset.tables) {
    const ours = t.chains.some((c) => c.rules.some((r) => r.ours));
    if (!ours && t.chains.every((c) => c.rules.length === 0)) continue;
    out.push(`# ${t.backend}${t.flavour ? `-${t.flavour}` : ''} ${t.family} table ${t.name}`);
    for (const c of t.chains) {
      out.push(`:${c.name}${c.policy ? ` ${c.policy}` : ''}`);
      for (const r of c.rules) out.push(`  ${String(r.index).padStart(3)} ${r.ours ? '*' : ' '} [${r.counters?.packets ?? 0}:${r.counters?.bytes ?? 0}] ${r.text}`);
    }
  }
  for (const w of v.ruleset.warnings) out.push(`warning: ${w}`);
  out.push('(* = meshcap rule; [packets:bytes])');
  return `${out.join('\n')}\n`;
}

const TYPES = ['policies', 'config-dump', 'rules', 'stats'] as const;

export const inspectDataplaneCommand: CliCommand = {
  path: ['inspect', 'dataplane'],
  summary: "show one dataplane's policies, config dump, capture rules or stats",
  help: ONE_HELP,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandFlags(
      args,
      {
        ...controlPlaneFlags,
        mesh: { type: 'string' },
        type: { type: 'string' },
        resource: { type: 'string' },
        mask: { type: 'string' },
        'name-regex': { type: 'string' },
        output: { type: 'string', short: 'o' },
      },
      'inspect dataplane',
      1,
    );
    const name = positionals[0];
    if (!name) throw new CliUsageError('NAME is required: meshcap inspect dataplane NAME --type policies|config-dump|rules|stats');
    const type = values.type as string | undefined;
    if (!type || !(TYPES as readonly string[]).includes(type)) throw new CliUsageError(`--type: "${type ?? ''}" is not one of ${TYPES.join(', ')}`);
    const format = outputFormat(values.output as string | undefined);
    const api = ControlPlaneApi.fromFlags(values as Record<string, string>);
    const base = `/api/meshes/${seg((values.mesh as string | undefined) ?? 'default')}/dataplanes/${seg(name)}`;
    switch (type) {
      case 'config-dump': {
        const q = new URLSearchParams();
        for (const [flag, param] of [['resource', 'resource'], ['mask', 'mask'], ['name-regex', 'name_regex']] as const) {
          const v = values[flag];
          if (typeof v === 'string') q.set(param, v);
        }
        const dump = await api.get<unknown>(`${base}/config_dump${q.size ? `?${q}` : ''}`);
        io.stdout(format === 'yaml' ? stringify(dump, { lineWidth: 0 }) : `${JSON.stringify(dump, null, 2)}\n`);
        return 0;
      }
      case 'policies': {
        const v = await api.get<PoliciesView>(`${base}/policies`);
        io.stdout(format === 'table' ? policiesText(v) : serialize(v, format));
        return 0;
      }
      case 'rules': {
        const v = await api.get<RulesView>(`${base}/rules`);
        io.stdout(format === 'table' ? rulesText(v) : serialize(v, format));
        return 0;
      }
      case 'stats': {
        const v = await api.get<{ stats: Record<string, number> }>(`${base}/stats`);
        io.stdout(format === 'table' ? `${Object.entries(v.stats).map(([k, n]) => `${k}: ${n}`).join('\n')}\n` : serialize(v, format));
        return 0;
      }
    }
    return 0;
  },
};
