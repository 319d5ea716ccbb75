import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import catalogPlugin from './plugins/app/catalog.ts';
import configDumpsPlugin from './plugins/app/config-dumps.ts';
import dataplaneHubPlugin from './plugins/app/dataplane-hub.ts';
import errorHandler, { frameworkErrorHandler } from './plugins/app/error-handler.ts';
import flowsPlugin from './plugins/app/flows.ts';
import replicaForwardingPlugin from './plugins/app/replica-forwarding.ts';
import securityPlugin from './plugins/app/security.ts';
import tokensPlugin from './plugins/app/tokens.ts';
import xdsServerPlugin from './plugins/app/xds-server.ts';
import meshIdentitiesPlugin from './plugins/app/mesh-identities.ts';
import swagger from './plugins/external/swagger.ts';
import configDumpRoutes from './routes/config-dump.ts';
import controlPlaneRoutes from './routes/control-plane.ts';
import dataplaneRoutes from './routes/dataplanes.ts';
import inspectRoutes from './routes/inspect.ts';
import docsRoutes from './routes/docs.ts';
import flowRoutes from './routes/flows.ts';
import goldenMetricsRoutes from './routes/golden-metrics.ts';
import healthRoutes from './routes/health.ts';
import meshRoutes from './routes/meshes.ts';
import mtlsRoutes from './routes/mtls.ts';
import metricsRoutes from './routes/metrics.ts';
import policyRoutes from './routes/policies.ts';
import resourceRoutes from './routes/resources.ts';
import tokenRoutes from './routes/tokens.ts';
import { zodSerializerCompiler, zodValidatorCompiler, type ZodTypeProvider } from './schemas/zod-provider.ts';
import type { Store } from './store/index.ts';
import type { AuthFailureLimits } from './auth/index.ts';

export interface AppOptions {
  /** Opened by the caller, who also closes it (after the app). */
  store: Store;
  /** The bearer token mutating routes require. */
  adminToken: string;
  /** Lifetime of admin tokens, the bootstrap one from its first start (default Kuma's 10 years). */
  adminTokenValidForMs?: number;
  /** Failed authentications allowed per client address and window before 429 (default 10 a minute). */
  authFailures?: AuthFailureLimits;
  /** Largest request body accepted, in bytes (default 1 MiB); larger bodies get 413. */
  bodyLimit?: number;
  /** Host names the API answers to besides loopback (where it listens, --allowed-host). */
  allowedHosts?: readonly string[];
  /** Config dump versions kept per dataplane (default 20). */
  configHistory?: number;
  /** Flows kept in memory (default 50 000). */
  flowCapacity?: number;
  /** Dataplane channel heartbeat (default 10 s). */
  heartbeatMs?: number;
  /** Poll the store for other replicas' writes every N ms (0: never; default 2000 for PostgreSQL). */
  storePollMs?: number;
  logger?: FastifyServerOptions['logger'];
  /** The HTTP server to serve on (startControlPlane: an HTTPS one for a non-loopback --listen). */
  serverFactory?: FastifyServerOptions['serverFactory'];
  /** The CA dataplanes pin for the control plane's TLS (GET /api/control-plane/ca). */
  controlPlaneCaPem?: string;
}

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/**
 * The control plane's HTTP app, as fastify/demo lays one out: external plugins, then the app's
 * services (fastify-plugin, each with a name and its dependencies), then the routes.
 */
export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    logger: options.logger ?? false,
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    frameworkErrors: frameworkErrorHandler,
    // Request ids are for logs and 5xx messages; trust no client-supplied one.
    genReqId: (() => {
      let n = 0;
      return () => `req-${(++n).toString(36)}`;
    })(),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(zodSerializerCompiler);

  // External plugins.
  await app.register(swagger);
  // Services.
  await app.register(errorHandler);
  await app.register(catalogPlugin, { store: options.store, pollMs: options.storePollMs ?? (options.store.kind === 'postgres' ? 2_000 : 0) });
  await app.register(configDumpsPlugin, { limit: options.configHistory });
  await app.register(flowsPlugin, { capacity: options.flowCapacity });
  await app.register(tokensPlugin, { adminToken: options.adminToken, adminTokenValidForMs: options.adminTokenValidForMs });
  await app.register(securityPlugin, { allowedHosts: options.allowedHosts, authFailures: options.authFailures });
  await app.register(dataplaneHubPlugin, { heartbeatMs: options.heartbeatMs });
  await app.register(replicaForwardingPlugin, { controlPlaneCaPem: options.controlPlaneCaPem });
  await app.register(meshIdentitiesPlugin);
  await app.register(xdsServerPlugin);
  // Routes.
  await app.register(docsRoutes);
  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  await app.register(meshRoutes);
  await app.register(mtlsRoutes);
  await app.register(dataplaneRoutes);
  await app.register(inspectRoutes);
  await app.register(configDumpRoutes);
  await app.register(policyRoutes);
  await app.register(resourceRoutes);
  await app.register(flowRoutes);
  await app.register(goldenMetricsRoutes);
  await app.register(tokenRoutes);
  await app.register(controlPlaneRoutes, { caPem: options.controlPlaneCaPem });
  return app;
}
