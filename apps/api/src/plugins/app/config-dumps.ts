import { ConfigDumpHistory, sentConfigDumpOf, type ChangeResult, type DataplanePolicies } from '@meshcap/core';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** Envoy config dumps of each dataplane's last versions (built as each version is compiled). */
    configDumps: ConfigDumpHistory;
  }
}

/** Keeps each dataplane's config dump history current: one record per config version, of what the ADS server sends it. */
export default fp(
  async function configDumpsPlugin(fastify: FastifyInstance, opts: { limit?: number }) {
    const history = new ConfigDumpHistory({ limit: opts.limit });
    const record = (compiled: DataplanePolicies) => {
      try {
        // The very resources the ADS server sends (one rendering per version, shared with it).
        const key = `${compiled.mesh}/${compiled.dataplane}`;
        history.record(key, sentConfigDumpOf(compiled, history.latest(key)?.dump));
      } catch (err) {
        fastify.log.warn(`config dump of ${compiled.mesh}/${compiled.dataplane} version ${compiled.version.versionInfo} not recorded: ${(err as Error).message}`);
      }
    };
    for (const dp of fastify.catalog.dataplanes()) {
      try {
        record(fastify.catalog.compiler.compile(dp.mesh, dp.name));
      } catch {
        // not compiled (refused at load): nothing to dump
      }
    }
    const unsubscribe = fastify.catalog.compiler.onChange((result: ChangeResult) => {
      for (const change of result.changes) {
        if (!change.version) history.forget(`${change.mesh}/${change.dataplane}`);
        else record(fastify.catalog.compiler.compile(change.mesh, change.dataplane));
      }
    });
    fastify.decorate('configDumps', history);
    fastify.addHook('onClose', async () => unsubscribe());
  },
  { name: 'config-dumps', dependencies: ['catalog'] },
);
