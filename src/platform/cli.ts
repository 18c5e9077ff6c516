// What every `s2s` feature command shares: where its output goes, and the reading of its arguments (the
// subcommand, the options, how many positional arguments) with its usage errors. A usage error is the
// problem, a blank line and the usage, on standard error, and exit code 2.
import { type ParseArgsConfig, parseArgs } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Where a command writes. The feature commands take one so that they can be run in-process. */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

/** Standard output and standard error. */
export const processOutput: CommandOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export interface CommandSpec<O extends ParseArgsOptionsConfig> {
  /** The command, as in `s2s NAME ...`: named in the messages about its subcommand. */
  name: string;
  /**
   * The subcommand that must come first, as `check` in `s2s upn check`; left out, there is none and
   * every argument is parsed.
   */
  subcommand?: string;
  /** What to say when the subcommand is not given; by default `Name a NAME command: SUBCOMMAND.` */
  noSubcommand?: string;
  options: O;
  /**
   * The positional arguments the command takes, and how many; left out, it takes none and giving one
   * is a usage error.
   */
  positionals?: {
    /** What to say when none is given (with `single`, also when it is empty); left out, none need be. */
    missing?: string;
    /** The command takes just one: why a second is wrong, said after `Unexpected argument "ARG": `. */
    single?: string;
  };
  /** The command's usage text, shown below the problem. */
  usage: string;
  /** The line above the usage text; `Usage:` by default. */
  heading?: string;
  io: CommandOutput;
}

type ParsedValues<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>
>['values'];

export interface ParsedCommand<O extends ParseArgsOptionsConfig> {
  values: ParsedValues<O>;
  positionals: string[];
  /** Writes a usage error about the problem; returns the exit code for it, 2. */
  usage(problem: string): number;
}

/**
 * Reads a feature command's arguments (those after `s2s NAME`) strictly: unknown options, missing option
 * values and unexpected arguments are usage errors. Returns what was read, or the exit code (2) once the
 * usage error has been written. The command checks anything more itself, with `usage`.
 */
export function parseCommand<O extends ParseArgsOptionsConfig>(
  args: string[],
  spec: CommandSpec<O>,
): ParsedCommand<O> | number {
  const usage = (problem: string) => {
    spec.io.err(`${problem}\n\n${spec.heading ?? 'Usage:'}\n${spec.usage}`);
    return 2;
  };
  let rest = args;
  if (spec.subcommand !== undefined) {
    const [subcommand, ...after] = args;
    if (subcommand !== spec.subcommand) {
      return usage(
        subcommand
          ? `Unknown ${spec.name} command "${subcommand}".`
          : (spec.noSubcommand ?? `Name a ${spec.name} command: ${spec.subcommand}.`),
      );
    }
    rest = after;
  }
  let parsed: { values: ParsedValues<O>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: spec.positionals !== undefined,
      options: spec.options,
    });
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
  const { missing, single } = spec.positionals ?? {};
  const { positionals } = parsed;
  const [first, second] = positionals;
  if (missing !== undefined && (single === undefined ? first === undefined : !first)) return usage(missing);
  if (single !== undefined && second !== undefined) {
    return usage(`Unexpected argument "${second}": ${single}.`);
  }
  return { values: parsed.values, positionals, usage };
}
