import type { MeshcapError } from '@meshcap/core';
import { formatIssue, isMeshcapError, parseResources } from '@meshcap/core';
import { readFileSync } from 'node:fs';
import { ControlPlaneApi, controlPlaneFlags, controlPlaneFlagsHelp } from '../api-client.ts';
import { CliUsageError, type CliCommand, type CliIO, parseCommandFlags } from '@meshcap/dataplane';
import { outputFormat, renderTable, serialize } from '../output/format.ts';

const HELP = `Usage: meshcap apply -f FILE [-f FILE…] [flags]

Creates or updates resources (Mesh, Dataplane, policies) from YAML or JSON, like kumactl apply. A
file may hold several documents (--- between them) or a JSON array. Everything is checked first; if
any resource is invalid nothing is changed, and every problem is printed with its file, line,
column and field path.

Flags:
  -f, --file FILE     a file to apply ("-" reads standard input); repeatable
  --dry-run           check the files here (no control plane needed) and change nothing
  -o, --output FMT    table (default), json or yaml
${controlPlaneFlagsHelp}

Examples:
  meshcap apply -f mesh-fault-injection.yaml
  cat policies.yaml | meshcap apply -f -
`;

interface Change {
  type: string;
  mesh: string;
  name: string;
  action: string;
  version: number;
}

function readInput(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new CliUsageError(`--file: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Every issue on its own line: `file:line:column: path: message`. */
export function printProblems(io: CliIO, err: MeshcapError, source: string): void {
  io.stderr(`error: ${err.issues.length ? `${err.issues.length} problem(s) in ${source}, nothing was applied:` : err.message} (${err.code})`);
  for (const issue of err.issues) io.stderr(`  ${formatIssue({ ...issue, source })}`);
}

export const applyCommand: CliCommand = {
  path: ['apply'],
  summary: 'create or update resources from YAML/JSON files (all or nothing)',
  help: HELP,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseCommandFlags(
      args,
      { ...controlPlaneFlags, file: { type: 'string', short: 'f', multiple: true }, 'dry-run': { type: 'boolean' }, output: { type: 'string', short: 'o' } },
      'apply',
    );
    const files = (values.file as string[] | undefined) ?? [];
    if (files.length === 0) throw new CliUsageError('-f/--file is required (the YAML or JSON to apply; "-" for standard input)');
    const format = outputFormat(values.output as string | undefined);
    const api = values['dry-run'] ? undefined : ControlPlaneApi.fromFlags(values as Record<string, string>);
    const changes: Change[] = [];
    for (const file of files) {
      const source = file === '-' ? '<stdin>' : file;
      const text = readInput(file);
      try {
        if (!api) {
          for (const r of parseResources(text, { source })) changes.push({ type: r.type, mesh: r.mesh ?? '', name: r.name, action: 'valid', version: 0 });
          continue;
        }
        const res = await api.request<{ changes: Change[] }>('POST', '/api/resources', { body: text, contentType: 'application/yaml', auth: true });
        changes.push(...res.body.changes);
      } catch (err) {
        if (isMeshcapError(err) && err.issues.length) {
          printProblems(io, err, source);
          return 1;
        }
        throw err;
      }
    }
    if (format !== 'table') io.stdout(serialize({ changes }, format));
    else io.stdout(renderTable(['type', 'mesh', 'name', 'result', 'version'], changes.map((c) => [c.type, c.mesh || '-', c.name, c.action, c.version || '-'])));
    return 0;
  },
};
