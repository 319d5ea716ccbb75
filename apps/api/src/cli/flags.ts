import { parseArgs, type ParseArgsConfig } from 'node:util';
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
