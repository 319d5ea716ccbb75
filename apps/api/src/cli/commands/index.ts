import type { CliCommand } from '../command.ts';

/** Every `meshcap` verb, in the order `meshcap --help` lists them. */
export const commands: CliCommand[] = [];
