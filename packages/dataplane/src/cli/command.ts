/** One `meshcap` verb. `run` returns the process exit code. */
export interface CliCommand {
  /** The words that select it, e.g. `['install', 'transparent-proxy']`. */
  path: readonly string[];
  summary: string;
  /** Full help text (flags and examples), printed by `meshcap <verb> --help`. */
  help: string;
  run(args: string[], io: CliIO): Promise<number>;
}

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** A user mistake on the command line: printed as `error: …` with no stack, exit code 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}
