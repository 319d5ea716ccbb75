import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { loadTransparentProxyOptions, transparentProxyOptions, type TransparentProxyConfig } from '@meshcap/core';
import { CliUsageError, asUsageError, parseFlags } from '@meshcap/dataplane';

/**
 * The flags of `install transparent-proxy`, declared once: `uninstall transparent-proxy` takes
 * the same ones, because a user repeats the flags they installed with.
 */
export const transparentProxyFlags: NonNullable<ParseArgsConfig['options']> = {
  ...Object.fromEntries(
    transparentProxyOptions.map((o) => [
      o.flag,
      o.kind === 'boolean' ? { type: 'boolean' as const } : o.kind === 'list' || o.kind === 'entries' ? { type: 'string' as const, multiple: true } : { type: 'string' as const },
    ]),
  ),
  'config-file': { type: 'string' },
  config: { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  verbose: { type: 'boolean' },
};

export interface TransparentProxyInvocation {
  config: TransparentProxyConfig;
  /** The options the user set (flag, env var or file), by config key; the rest are defaults. */
  explicit: Set<string>;
  dryRun: boolean;
  verbose: boolean;
}

/** Parses the flags of `meshcap <command>` and loads the config from them, the env and the files; user mistakes are usage errors. */
export function readTransparentProxyInvocation(args: string[], command: string): TransparentProxyInvocation {
  const flags = parseFlags(args, transparentProxyFlags, command);
  const kumaConfigs = readKumaConfigs((flags.config as string[] | undefined) ?? []);
  try {
    const { config, origins, run } = loadTransparentProxyOptions({ flags, env: process.env, configFile: flags['config-file'] as string | undefined, kumaConfigs });
    const flag = (name: string) => (flags[name] === undefined ? undefined : flags[name] === true);
    return { config, explicit: new Set(Object.keys(origins)), dryRun: flag('dry-run') ?? run.dryRun ?? false, verbose: flag('verbose') ?? run.verbose ?? false };
  } catch (err) {
    throw asUsageError(err);
  }
}

/** The texts of the `--config` files in order; `-` is stdin (read once). */
function readKumaConfigs(paths: string[]): Array<{ source: string; text: string }> {
  if (paths.filter((p) => p === '-').length > 1) throw new CliUsageError('--config: "-" (stdin) can be given once');
  return paths.map((path) => {
    try {
      return { source: path === '-' ? '<stdin>' : path, text: readFileSync(path === '-' ? 0 : path, 'utf8') };
    } catch (err) {
      throw new CliUsageError(`--config: cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  });
}
