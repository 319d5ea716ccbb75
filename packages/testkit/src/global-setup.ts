import { sweepStaleNamespaces } from './lab.ts';
import { netnsSupport } from './privilege.ts';

/**
 * Vitest global setup for packages with real-kernel tests: removes namespaces left by killed runs
 * before the tests, and after them reports (then removes) any that this run's workers leaked.
 */
export default function setup(): () => void {
  if (!netnsSupport().ok) return () => {};
  const stale = sweepStaleNamespaces();
  if (stale.length) console.warn(`[meshcap testkit] removed ${stale.length} namespaces left by an earlier run`);
  return () => {
    // The workers have exited by now, so any kit namespace whose owner is dead was leaked by this run.
    const leaked = sweepStaleNamespaces();
    if (leaked.length) {
      console.error(`[meshcap testkit] namespaces left behind by tests: ${leaked.join(', ')}`);
      process.exitCode = 1;
    }
  };
}
