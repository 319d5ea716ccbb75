// The command runner, without the command list: main.ts runs every command, dp-main.ts only `dp`.
import { CliUsageError, type CliCommand, type CliIO } from './command.ts';

export const defaultIO: CliIO = {
  stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  stderr: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

export function usage(list: readonly CliCommand[]): string {
  const width = Math.max(10, ...list.map((c) => c.path.join(' ').length));
  const lines = list.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
  return [
    'meshcap: a service-mesh data plane and its inspector',
    '',
    'Usage: meshcap <command> [flags]',
    '',
    'Commands:',
    ...(lines.length ? lines : ['  (none yet)']),
    '',
    'Run `meshcap <command> --help` for the flags of one command.',
  ].join('\n');
}

/** Finds the command whose path is the longest prefix of `argv`. */
function findCommand(argv: readonly string[], list: readonly CliCommand[]): { command: CliCommand; rest: string[] } | undefined {
  let best: CliCommand | undefined;
  for (const c of list) {
    if (c.path.every((word, i) => argv[i] === word) && (!best || c.path.length > best.path.length)) best = c;
  }
  return best ? { command: best, rest: argv.slice(best.path.length) } : undefined;
}

/** Runs the CLI; returns the exit code. Usage errors print one line, never a stack. */
export async function runCommands(argv: string[], io: CliIO, list: readonly CliCommand[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(usage(list));
    return 0;
  }
  const found = findCommand(argv, list);
  if (!found) {
    io.stderr(`error: unknown command "${argv.join(' ')}"\n\n${usage(list)}`);
    return 2;
  }
  if (found.rest.includes('--help') || found.rest.includes('-h')) {
    io.stdout(found.command.help);
    return 0;
  }
  try {
    return await found.command.run(found.rest, io);
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.stderr(`error: ${err.message}`);
      return 2;
    }
    const coded = err as { code?: unknown; message?: string };
    if (typeof coded.code === 'string' && coded.code.startsWith('MESHCAP_ERR_')) {
      io.stderr(`error: ${coded.message} (${coded.code})`);
      return 1;
    }
    throw err;
  }
}
