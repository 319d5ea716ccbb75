import { isMeshcapError, MeshcapError, parseKumaDuration } from '@meshcap/core';
import { loadAdminToken } from '../../auth/index.ts';
import { DEFAULT_LISTEN, parseListenAddress, startControlPlane } from '../../control-plane/index.ts';
import { redactUrl, sqliteFile, storeTarget } from '../../store/index.ts';
import { defaultDataDir, defaultSocketPath } from '../api-client.ts';
import { CliUsageError, type CliCommand, type CliIO, parseCommandFlags } from '@meshcap/dataplane';

const HELP = `Usage: meshcap cp [flags]

Runs the control plane: the inspect API (Kuma's port 5681), the dashboard under /gui, and the
dataplane channel. It stores resources and toggles (SQLite in the data directory, or PostgreSQL),
compiles each dataplane's config, pushes it to connected dataplanes and collects their flows.

Flags:
  --store URL          postgres://user:password@host:5432/db (several replicas share it), or a SQLite
                       file (sqlite:/path/meshcap.db or a plain path; default: meshcap.db in --data-dir)
  --listen ADDR        API and dashboard address (default ${DEFAULT_LISTEN}; 127.0.0.1 only unless you say so)
  --socket PATH        Unix socket for dataplanes in other network namespaces on this host (default
                       /run/meshcap/cp.sock as root, <data-dir>/cp.sock otherwise; "none" to disable)
  --xds-listen ADDR    the ADS server (Envoy xDS over gRPC) for dataplanes and proxyless gRPC clients
                       (default: the --listen host on Kuma's port 5678; "none" to disable; it also
                       listens on xds.sock beside --socket)
  --tls-cert FILE      the certificate (PEM chain) for the API, the dataplane channel and xDS over TLS, with
  --tls-key FILE       its key. TLS is always on for a non-loopback --listen/--xds-listen (plaintext only on
                       loopback and Unix sockets); without these flags the certificate is issued at start
                       from a control plane CA made at the first start and kept in the store (shared by
                       replicas); dataplanes pin it (meshcap dp --ca-cert, or fetched from /api/control-plane/ca)
  --tls-san NAME       another name or address for that issued certificate, and one the API answers to
                       (repeatable)
  --data-dir DIR       where the SQLite store and the admin token live (default MESHCAP_DATA_DIR,
                       /var/lib/meshcap as root, ~/.meshcap otherwise)
  --token-file FILE    the admin token changes need (default: MESHCAP_TOKEN, else <data-dir>/admin-token,
                       created and printed once at first start)
  --admin-token-valid-for DURATION
                       lifetime of admin tokens, the bootstrap one counted from its first start
                       (default 87600h, Kuma's 10 years; dataplane tokens take validFor when issued)
  --allowed-host NAME  another Host name the API answers to (repeatable; loopback names always work)
  --no-gui             do not serve the dashboard
  --log-level LEVEL    fatal, error, warn (default), info, debug

Examples:
  meshcap cp
  meshcap cp --store postgres://meshcap:secret@127.0.0.1:5432/meshcap --listen 0.0.0.0:5681 --allowed-host cp.internal --tls-san cp.internal
`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export const cpCommand: CliCommand = {
  path: ['cp'],
  summary: 'run the control plane (API on 127.0.0.1:5681, dashboard under /gui, dataplane channel)',
  help: HELP,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseCommandFlags(
      args,
      {
        store: { type: 'string' },
        listen: { type: 'string' },
        socket: { type: 'string' },
        'xds-listen': { type: 'string' },
        'data-dir': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-san': { type: 'string', multiple: true },
        'token-file': { type: 'string' },
        'admin-token-valid-for': { type: 'string' },
        'allowed-host': { type: 'string', multiple: true },
        'no-gui': { type: 'boolean' },
        'log-level': { type: 'string' },
      },
      'cp',
    );
    const logLevel = (values['log-level'] as string | undefined) ?? 'warn';
    if (!LOG_LEVELS.includes(logLevel)) throw new CliUsageError(`--log-level: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
    const dataDir = (values['data-dir'] as string | undefined) ?? defaultDataDir();
    // Every flag is checked before anything is created on disk (the token file, the store).
    try {
      parseListenAddress((values.listen as string | undefined) ?? DEFAULT_LISTEN);
      const xdsListen = values['xds-listen'] as string | undefined;
      if (xdsListen !== undefined && xdsListen !== 'none') parseListenAddress(xdsListen, '--xds-listen');
      storeTarget({ url: values.store as string | undefined, dataDir });
    } catch (err) {
      if (isMeshcapError(err)) throw new CliUsageError(err.message);
      throw err;
    }
    const validFor = values['admin-token-valid-for'] as string | undefined;
    const adminTokenValidForMs = validFor === undefined ? undefined : parseKumaDuration(validFor);
    if (validFor !== undefined && adminTokenValidForMs === undefined) throw new CliUsageError(`--admin-token-valid-for: "${validFor}" is not a duration such as 24h, 30d or 10y`);
    const socketFlag = values.socket as string | undefined;
    const socket = socketFlag === 'none' ? false : (socketFlag ?? defaultSocketPath(dataDir));
    let admin;
    try {
      admin = loadAdminToken({ env: process.env.MESHCAP_TOKEN, file: values['token-file'] as string | undefined, dataDir });
    } catch (err) {
      if (isMeshcapError(err)) throw new CliUsageError(err.message);
      throw err;
    }
    let cp;
    try {
      cp = await startControlPlane({
        dataDir,
        storeUrl: values.store as string | undefined,
        listen: values.listen as string | undefined,
        socket,
        xds: values['xds-listen'] === 'none' ? false : { listen: values['xds-listen'] as string | undefined },
        adminToken: admin.token,
        adminTokenValidForMs,
        allowedHosts: values['allowed-host'] as string[] | undefined,
        gui: !values['no-gui'],
        tls: { certFile: values['tls-cert'] as string | undefined, keyFile: values['tls-key'] as string | undefined, sans: values['tls-san'] as string[] | undefined },
        logger: { level: logLevel },
      });
    } catch (err) {
      if (isMeshcapError(err) && err.code === 'MESHCAP_ERR_INVALID_ARGUMENT') throw new CliUsageError(err.message);
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `--listen: ${values.listen ?? DEFAULT_LISTEN} is in use (another meshcap cp?)`);
      if (e.code === 'EACCES' || e.code === 'EPERM') throw new MeshcapError('MESHCAP_ERR_PERMISSION', `${e.message} (choose --socket, --data-dir or --listen this user may use)`);
      if (!isMeshcapError(err) && /--socket/.test((err as Error).message)) throw new CliUsageError((err as Error).message);
      throw err;
    }
    const store = cp.store.kind === 'postgres' ? `PostgreSQL ${redactUrl(values.store as string)}` : `SQLite ${cp.store.location || sqliteFile(dataDir)}`;
    io.stdout(`meshcap cp: API        ${cp.url}  (reference: ${cp.url}/docs, OpenAPI: ${cp.url}/openapi.json)`);
    io.stdout(`meshcap cp: dashboard  ${cp.gui === 'served' ? `${cp.url}/gui` : cp.gui === 'off' ? 'off (--no-gui)' : `not built: run \`npm run build --workspace @meshcap/web\`, then restart`}`);
    if (cp.socketPath) io.stdout(`meshcap cp: dataplanes  --cp unix:${cp.socketPath} or --cp ${cp.url}`);
    if (cp.xdsAddresses.length > 0) io.stdout(`meshcap cp: xDS (ADS)  ${cp.xdsAddresses.map((a) => (cp.app.xds.tlsAddresses.has(a) ? `${a} (TLS)` : a)).join(', ')}`);
    if (cp.tls) io.stdout(`meshcap cp: TLS        ${cp.tls.origin === 'files' ? 'from --tls-cert' : 'issued by the control plane CA in the store'}; dataplanes pin the CA (SHA-256 ${cp.tls.caFingerprint}): ${cp.url}/api/control-plane/ca`);
    io.stdout(`meshcap cp: store      ${store}`);
    if (admin.created) {
      io.stdout(`meshcap cp: admin token (shown once; kept in ${admin.path}, mode 0600):`);
      io.stdout(`  ${admin.token}`);
      if (cp.gui === 'served') io.stdout(`meshcap cp: open ${cp.url}/gui#token=${admin.token} to use it in the dashboard`);
    } else {
      io.stdout(`meshcap cp: admin token from ${admin.origin === 'env' ? 'MESHCAP_TOKEN' : admin.path}`);
    }
    io.stdout('meshcap cp: ready');
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        io.stdout(`meshcap cp: ${signal}, stopping`);
        resolve();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    await cp.close();
    io.stdout('meshcap cp: stopped');
    return 0;
  },
};
