import type { CliCommand, CliIO } from './command.ts';
import { commands } from './commands/index.ts';
import { defaultIO, runCommands, usage as usageOf } from './run.ts';

export function usage(list: readonly CliCommand[] = commands): string {
  return usageOf(list);
}

/** Runs the CLI; returns the exit code. Usage errors print one line, never a stack. */
export function main(argv: string[], io: CliIO = defaultIO, list: readonly CliCommand[] = commands): Promise<number> {
  return runCommands(argv, io, list);
}
