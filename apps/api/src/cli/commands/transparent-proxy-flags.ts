import type { ParseArgsConfig } from 'node:util';
import { loadTransparentProxyOptions, transparentProxyOptions, type TransparentProxyConfig } from '@meshcap/core';
import { asUsageError, parseFlags } from '../flags.ts';

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
  try {
    const { config, origins } = loadTransparentProxyOptions({ flags, env: process.env, configFile: flags['config-file'] as string | undefined });
    return { config, explicit: new Set(Object.keys(origins)), dryRun: flags['dry-run'] === true, verbose: flags.verbose === true };
  } catch (err) {
    throw asUsageError(err);
  }
}
