import { ConfigDumpHistory, sentConfigDumpOf, type ChangeResult, type ConfigDumpRecord, type DataplanePolicies } from '@meshcap/core';
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
    const shared = fastify.store.kind === 'postgres' ? sharedHistory(fastify, history) : undefined;
    const record = (compiled: DataplanePolicies) => {
      try {
        // The very resources the ADS server sends (one rendering per version, shared with it).
        const key = `${compiled.mesh}/${compiled.dataplane}`;
        // Merged from another replica already (it compiled this version first): that copy stands.
        if (history.get(key, compiled.version.versionInfo)) return;
        const rec = history.record(key, sentConfigDumpOf(compiled, history.latest(key)?.dump));
        shared?.save(compiled.mesh, compiled.dataplane, rec);
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
        if (!change.version) {
          history.forget(`${change.mesh}/${change.dataplane}`);
          shared?.forget(change.mesh, change.dataplane);
        }
        else record(fastify.catalog.compiler.compile(change.mesh, change.dataplane));
      }
    });
    fastify.decorate('configDumps', history);
    fastify.addHook('onClose', async () => {
      unsubscribe();
      await shared?.close();
    });
  },
  { name: 'config-dumps', dependencies: ['catalog'] },
);

/**
 * Replicas on PostgreSQL share the history: each version a replica records is stored (the first
 * replica's copy of a version wins), and every second each replica merges the versions others
 * stored — so one that heard of several writes at once, and compiled only the last, still lists
 * the versions in between, as the replica that compiled them does.
 */
function sharedHistory(fastify: FastifyInstance, history: ConfigDumpHistory) {
  const store = fastify.store;
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    const t = p.catch((err: unknown) => fastify.log.warn(`config dump history not shared: ${(err as Error).message}`)).finally(() => pending.delete(t));
    pending.add(t);
  };
  // Re-read a few seconds back each time: replicas' clocks and commits do not line up exactly (merging is idempotent).
  let since = new Date(0).toISOString();
  let pulling = false;
  const pull = async () => {
    if (pulling) return;
    pulling = true;
    try {
      const started = new Date(Date.now() - 5_000).toISOString();
      const byDataplane = new Map<string, ConfigDumpRecord[]>();
      for (const r of await store.listConfigDumps(since)) {
        const key = `${r.mesh}/${r.dataplane}`;
        if (fastify.catalog.get({ type: 'Dataplane', mesh: r.mesh, name: r.dataplane })) byDataplane.set(key, [...(byDataplane.get(key) ?? []), r.record]);
      }
      for (const [key, records] of byDataplane) history.merge(key, records);
      since = started;
    } catch (err) {
      fastify.log.warn(`config dump history not read from the store: ${(err as Error).message}`);
    } finally {
      pulling = false;
    }
  };
  const timer = setInterval(() => void pull(), 1_000);
  timer.unref();
  track(pull());
  return {
    save: (mesh: string, dataplane: string, rec: ConfigDumpRecord) => track(store.saveConfigDump(mesh, dataplane, rec, history.limit)),
    forget: (mesh: string, dataplane: string) => track(store.forgetConfigDumps(mesh, dataplane)),
    async close() {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}
