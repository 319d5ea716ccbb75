import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault } from 'fastify';
import errorHandler from './plugins/app/error-handler.ts';
import swagger from './plugins/external/swagger.ts';
import docsRoutes from './routes/docs.ts';
import healthRoutes from './routes/health.ts';
import { zodSerializerCompiler, zodValidatorCompiler, type ZodTypeProvider } from './schemas/zod-provider.ts';

export interface AppOptions {
  /** Largest request body accepted, in bytes (default 1 MiB); larger bodies get 413. */
  bodyLimit?: number;
  logger?: FastifyServerOptions['logger'];
}

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/**
 * The control plane's HTTP app, as fastify/demo lays one out: external plugins, then the app's
 * services (fastify-plugin, each with a name and its dependencies), then the routes.
 */
export async function buildApp(options: AppOptions = {}): Promise<App> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Request ids are for logs and 5xx messages; trust no client-supplied one.
    genReqId: (() => {
      let n = 0;
      return () => `req-${(++n).toString(36)}`;
    })(),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(zodSerializerCompiler);

  await app.register(swagger);
  await app.register(errorHandler);

  await app.register(docsRoutes);
  await app.register(healthRoutes);
  return app;
}
