import { DEFAULT_XDS_ADDRESS, envoyBootstrap, grpcBootstrap, parseXdsAddress } from '@meshcap/core';
import { DATAPLANE_TOKEN_ENV, readDataplaneToken, CliUsageError, type CliCommand, type CliIO, parseCommandFlags } from '@meshcap/dataplane';
import { ControlPlaneApi, controlPlaneFlags, controlPlaneFlagsHelp } from '../api-client.ts';

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

const BOOTSTRAP_HELP = `Usage: meshcap generate bootstrap --dataplane NAME [--mesh MESH] [flags]

Prints an xDS bootstrap (JSON) that points a client at the control plane's ADS as the dataplane
NAME, whose Dataplane resource (applied with \`meshcap apply\`) lists the services it calls as
outbounds. Nothing is sent to the control plane.

  --format grpc   a gRPC xDS bootstrap for a proxyless gRPC client (grpc-js with @grpc/grpc-js-xds,
                  grpc-go, grpc-java): put it in the file GRPC_XDS_BOOTSTRAP names (or its text in
                  GRPC_XDS_BOOTSTRAP_CONFIG) and dial xds:///SERVICE. The node is marked
                  dataplane.proxyType "proxyless", so the control plane sends it a Listener per
                  outbound service; the token goes in the node metadata (dataplane.token).
  --format envoy  an Envoy bootstrap: listeners and clusters from ADS, the token sent raw in the
                  ADS stream's authorization metadata.

Flags:
  --dataplane NAME     the dataplane (its Dataplane resource's name)
  --mesh MESH          its mesh (default "default")
  --xds-address ADDR   the control plane's ADS: HOST:PORT or unix:/PATH (default ${DEFAULT_XDS_ADDRESS})
  --token-file FILE    the token from \`meshcap generate dataplane-token\` (default: ${DATAPLANE_TOKEN_ENV}, else none)
  --format FORMAT      grpc (default) or envoy

Examples:
  meshcap generate dataplane-token --name web > web.token
  meshcap generate bootstrap --dataplane web --token-file web.token > xds-bootstrap.json
  GRPC_XDS_BOOTSTRAP=xds-bootstrap.json node client.js     # dials xds:///backend
`;

const BOOTSTRAP_FORMATS = ['grpc', 'envoy'] as const;

export const generateBootstrapCommand: CliCommand = {
  path: ['generate', 'bootstrap'],
  summary: 'print an xDS bootstrap for a proxyless gRPC client (or Envoy) of one dataplane',
  help: BOOTSTRAP_HELP,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseCommandFlags(
      args,
      { dataplane: { type: 'string' }, mesh: { type: 'string' }, 'xds-address': { type: 'string' }, 'token-file': { type: 'string' }, format: { type: 'string' } },
      'generate bootstrap',
    );
    const v = values as Record<string, string | undefined>;
    if (!v['dataplane']) throw new CliUsageError('--dataplane is required (the Dataplane resource the client runs as)');
    const format = v['format'] ?? 'grpc';
    if (!(BOOTSTRAP_FORMATS as readonly string[]).includes(format)) throw new CliUsageError(`--format: "${format}" is not one of ${BOOTSTRAP_FORMATS.join(', ')}`);
    const address = v['xds-address'] ?? DEFAULT_XDS_ADDRESS;
    let xds;
    try {
      xds = parseXdsAddress(address);
    } catch (err) {
      throw new CliUsageError(`--xds-address: ${(err as Error).message}`);
    }
    // The flag, when given, wins over the environment.
    const file = v['token-file'];
    const token = file ? readDataplaneToken(file, {}, '--token-file') : process.env[DATAPLANE_TOKEN_ENV]?.trim() || undefined;
    const options = { mesh: v['mesh'] ?? 'default', dataplane: v['dataplane'], xds, token };
    io.stdout(JSON.stringify(format === 'envoy' ? envoyBootstrap(options) : grpcBootstrap(options), null, 2));
    return 0;
  },
};
