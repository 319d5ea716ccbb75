import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isMeshcapError } from '@meshcap/core';
import { CliUsageError } from './command.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with every mistake as a CliUsageError naming the flag; `positionals`: how many words are allowed. */
export function parseCommandFlags(args: string[], options: Options, command: string, positionals = 0): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    const e = err as { code?: string; message: string };
    const flag = /'(-[^' ]+)/.exec(e.message)?.[1] ?? '';
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new CliUsageError(`unknown flag ${flag} (see meshcap ${command} --help)`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new CliUsageError(/argument missing/.test(e.message) ? `${flag}: needs a value` : `${flag}: ${e.message}`);
    throw new CliUsageError(e.message);
  }
  if (parsed.positionals.length > positionals) throw new CliUsageError(`unexpected argument "${parsed.positionals[positionals]}" (see meshcap ${command} --help)`);
  return { values: parsed.values as Record<string, string | boolean | string[] | undefined>, positionals: parsed.positionals };
}

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, '1': true, yes: true, false: false, '0': false, no: false };

/**
 * Parses flags with node:util parseArgs. Boolean flags also take Kuma's `--flag=false` spelling
 * (and `--no-flag`); every mistake becomes a CliUsageError naming the flag.
 */
export function parseFlags(args: string[], options: Options, command: string): Record<string, string | boolean | string[] | undefined> {
  const booleans = new Set(Object.entries(options).filter(([, o]) => o.type === 'boolean').map(([name]) => name));
  const normalized = args.map((arg) => {
    const m = /^--([a-z0-9-]+)=(.*)$/.exec(arg);
    if (!m || !booleans.has(m[1]!)) return arg;
    const value = BOOLEAN_WORDS[m[2]!.toLowerCase()];
    if (value === undefined) throw new CliUsageError(`--${m[1]}: "${m[2]}" is not true or false`);
    return value ? `--${m[1]}` : `--no-${m[1]}`;
  });
  try {
    const { values, positionals } = parseArgs({ args: normalized, options, strict: true, allowPositionals: true, allowNegative: true });
    if (positionals.length) throw new CliUsageError(`unexpected argument "${positionals[0]}" (see meshcap ${command} --help)`);
    return values as Record<string, string | boolean | string[] | undefined>;
  } catch (err) {
    if (err instanceof CliUsageError) throw err;
    const e = err as { code?: string; message: string };
    const flag = /'(-[^' ]+)/.exec(e.message)?.[1] ?? '';
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new CliUsageError(`unknown flag ${flag} (see meshcap ${command} --help)`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new CliUsageError(/argument missing/.test(e.message) ? `${flag}: needs a value` : `${flag}: ${e.message}`);
    }
    throw new CliUsageError(e.message);
  }
}

/** A MeshcapError about the user's input becomes a usage error (one line, exit 2). */
export function asUsageError(err: unknown): unknown {
  if (isMeshcapError(err) && (err.code === 'MESHCAP_ERR_INVALID_ARGUMENT' || err.code === 'MESHCAP_ERR_YAML_SYNTAX')) return new CliUsageError(err.message);
  return err;
}

