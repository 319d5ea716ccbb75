import { chmodSync, existsSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { connect, isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { buildApp, type App, type AppOptions } from '../app.ts';
import guiRoutes from '../gui/gui-routes.ts';
import { DEFAULT_WEB_DIR, isWebBuilt, startNextServer, type NextServer } from '../gui/next-server.ts';
import { openStore, type Store } from '../store/index.ts';
import { DEFAULT_XDS_PORT } from '../xds-server/index.ts';
import { controlPlaneTls, type ControlPlaneTls } from './cp-tls.ts';
import { isLoopbackHost } from '@meshcap/dataplane';
import { advertisedHost, parseListenAddress } from './listen-address.ts';

export interface ControlPlaneOptions extends Omit<AppOptions, 'store' | 'allowedHosts'> {
  dataDir: string;
  /** postgres://… or sqlite:PATH; default SQLite in `dataDir`. */
  storeUrl?: string;
  /** HOST:PORT for the API (default 127.0.0.1:5681). */
  listen?: string;
  /** Unix socket for dataplanes in other network namespaces (and local tools); false: none. */
  socket?: string | false;
  allowedHosts?: readonly string[];
  /** Serve the dashboard under /gui (default true); `webDir` is apps/web. */
  gui?: boolean;
  webDir?: string;
  /**
   * The ADS server: `listen` HOST:PORT (default the API's host on Kuma's 5678; port 0 when the API
   * takes port 0) and `socket` (default `xds.sock` beside the API socket). false: no ADS server.
   */
  xds?: { listen?: string; socket?: string | false } | false;
  /**
   * TLS for the API and the ADS server: always on a non-loopback address (plaintext is for loopback
   * and Unix sockets only), on loopback too when `certFile`/`keyFile` are given. Without them the
   * certificate is issued from the control plane CA kept in the store (see cp-tls.ts); `sans` adds
   * names or addresses to it.
   */
  tls?: { certFile?: string; keyFile?: string; sans?: readonly string[] };
}

export interface RunningControlPlane {
  app: App;
  store: Store;
  /** `http://127.0.0.1:5681`. */
  url: string;
  address: AddressInfo;
  socketPath?: string;
  /** Where the ADS server listens: `127.0.0.1:5678`, `unix:/run/meshcap/xds.sock`. */
  xdsAddresses: string[];
  /** The TLS in use, if any listener serves it (its CA is what dataplanes pin). */
  tls?: ControlPlaneTls;
  /** What /gui serves: the dashboard, or the page that says how to build it. */
  gui: 'served' | 'not-built' | 'off';
  close(): Promise<void>;
}

/** A socket file left by a control plane that is gone answers nothing: remove it; one that answers is in use. */
async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!statSync(path).isSocket()) throw new Error(`--socket: ${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`--socket: another control plane is listening on ${path}`);
  unlinkSync(path);
}

/**
 * Opens the store, builds the app, and listens on TCP and on the Unix socket (the same routes and
 * the dataplane channel on both). The dashboard's `next start` runs as a child when apps/web is built.
 */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<RunningControlPlane> {
  const { host, port } = parseListenAddress(opts.listen ?? '127.0.0.1:5681');
  const store = await openStore({ url: opts.storeUrl, dataDir: opts.dataDir });
  let next: NextServer | undefined;
  let socketServer: http.Server | undefined;
  let app: App | undefined;
  try {
    const webDir = opts.webDir ?? DEFAULT_WEB_DIR;
    const guiMode = opts.gui === false ? 'off' : isWebBuilt(webDir) ? 'served' : 'not-built';
    const given = opts.tls?.certFile !== undefined || opts.tls?.keyFile !== undefined;
    const xdsListen = opts.xds === false ? undefined : (opts.xds?.listen ?? `${host.includes(':') ? `[${host}]` : host}:${port === 0 ? 0 : DEFAULT_XDS_PORT}`);
    const xdsHost = xdsListen === undefined ? undefined : parseListenAddress(xdsListen, '--xds-listen').host;
    const apiTls = given || !isLoopbackHost(host);
    const xdsTls = xdsHost !== undefined && (given || !isLoopbackHost(xdsHost));
    const tls = apiTls || xdsTls ? await controlPlaneTls(store, { certFile: opts.tls?.certFile, keyFile: opts.tls?.keyFile, hosts: [host, ...(xdsHost ? [xdsHost] : [])], extraSans: opts.tls?.sans }) : undefined;
    app = await buildApp({
      ...opts,
      store,
      // A name the certificate is issued for is one the control plane is reached by.
      allowedHosts: [host, ...(opts.allowedHosts ?? []), ...(opts.tls?.sans ?? [])],
      ...(tls ? { controlPlaneCaPem: tls.caPem } : {}),
      // The dataplane channel rides the API's server, so it is TLS wherever the API is.
      ...(apiTls && tls ? { serverFactory: (handler: http.RequestListener) => https.createServer({ cert: tls.certPem, key: tls.keyPem }, handler) as unknown as http.Server } : {}),
    });
    if (guiMode === 'served') next = await startNextServer(webDir, (m) => app?.log.warn(m));
    if (guiMode !== 'off') await app.register(guiRoutes, { upstream: next?.origin, webDir });
    await app.listen({ host, port });
    const address = app.server.address() as AddressInfo;
    let socketPath: string | undefined;
    if (opts.socket) {
      socketPath = opts.socket;
      mkdirSync(dirname(socketPath), { recursive: true, mode: 0o755 });
      await clearStaleSocket(socketPath);
      const a = app;
      socketServer = http.createServer((req, res) => a.routing(req, res));
      app.acceptDataplaneChannel(socketServer);
      await new Promise<void>((resolve, reject) => {
        socketServer!.once('error', reject);
        socketServer!.listen(socketPath, () => resolve());
      });
      // Any local user may connect, as to 127.0.0.1: the channel needs a dataplane token, changes the admin token.
      chmodSync(socketPath, 0o666);
    }
    const advertised = advertisedHost(address.address);
    const hostText = isIP(advertised) === 6 ? `[${advertised}]` : advertised;
    if (xdsListen !== undefined) {
      await app.xds.listen(xdsListen, xdsTls ? tls : undefined);
      const xdsSocket = (opts.xds ? opts.xds.socket : undefined) ?? (socketPath ? join(dirname(socketPath), 'xds.sock') : false);
      if (xdsSocket) await app.xds.listen(`unix:${xdsSocket}`);
    }
    const url = `${apiTls ? 'https' : 'http'}://${hostText}:${address.port}`;
    if (app.replicaPresence) app.replicaPresence.url = url;
    const running: RunningControlPlane = {
      app,
      store,
      url,
      tls,
      address,
      socketPath,
      xdsAddresses: app.xds.addresses,
      gui: guiMode,
      async close() {
        socketServer?.closeAllConnections();
        const socketClosed = socketServer ? new Promise<void>((r) => socketServer!.close(() => r())) : Promise.resolve();
        await app!.close();
        await socketClosed;
        if (socketPath && existsSync(socketPath)) unlinkSync(socketPath);
        await next?.stop();
        await store.close();
      },
    };
    return running;
  } catch (err) {
    socketServer?.close();
    await app?.close().catch(() => undefined);
    await next?.stop();
    await store.close();
    throw err;
  }
}
