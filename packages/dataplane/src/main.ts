import type { CliIO } from './cli/command.ts';
import { defaultIO, runCommands } from './cli/run.ts';
import { dpCommand } from './dp-command.ts';

/** `meshcap dp …` on its own: the CLI runner with the one command a dataplane has. */
export function dpMain(argv: string[], io: CliIO = defaultIO): Promise<number> {
  return runCommands(argv, io, [dpCommand]);
}
