import { ControlPlaneApi, controlPlaneFlags, controlPlaneFlagsHelp } from '../api-client.ts';
import { CliUsageError, type CliCommand, type CliIO } from '../command.ts';
import { parseCommandFlags } from '../flags.ts';

const HELP = `Usage: meshcap generate dataplane-token --name NAME [--mesh MESH] [flags]

Issues a dataplane token (like kumactl generate dataplane-token): it lets \`meshcap dp\` connect to
the control plane as that dataplane and as no other. Only the token is printed, so it can go
straight to a file; the control plane keeps only its hash.

Flags:
  --name NAME         the dataplane (its Dataplane resource's name)
  --mesh MESH         its mesh (default "default")
${controlPlaneFlagsHelp}

Examples:
  meshcap generate dataplane-token --name web > /run/meshcap/web.token
  meshcap dp --dataplane-file web.yaml --cp unix:/run/meshcap/cp.sock --dataplane-token-file /run/meshcap/web.token
`;

export const generateDataplaneTokenCommand: CliCommand = {
  path: ['generate', 'dataplane-token'],
  summary: 'issue a token that lets one dataplane connect as itself',
  help: HELP,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseCommandFlags(args, { ...controlPlaneFlags, name: { type: 'string' }, mesh: { type: 'string' } }, 'generate dataplane-token');
    if (!values.name) throw new CliUsageError('--name is required (the dataplane the token is for)');
    const api = ControlPlaneApi.fromFlags(values as Record<string, string>);
    const res = await api.request<{ token: string }>('POST', '/api/tokens/dataplane', {
      body: JSON.stringify({ name: values.name, mesh: (values.mesh as string | undefined) ?? 'default' }),
      auth: true,
    });
    io.stdout(res.body.token);
    return 0;
  },
};
