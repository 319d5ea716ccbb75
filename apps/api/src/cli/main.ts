import { type CliCommand, type CliIO, defaultIO, runCommands, usage as usageOf } from '@meshcap/dataplane';
import { commands } from './commands/index.ts';

export function usage(list: readonly CliCommand[] = commands): string {
  return usageOf(list);
}

/** Runs the CLI; returns the exit code. Usage errors print one line, never a stack. */
export function main(argv: string[], io: CliIO = defaultIO, list: readonly CliCommand[] = commands): Promise<number> {
  return runCommands(argv, io, list);
}
