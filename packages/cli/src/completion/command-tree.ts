import type { Command, Option } from 'commander';

/** An option as completion sees it. */
export interface CompletionOption {
  /** Every spelling: `['-V', '--version']`. */
  flags: string[];
  description: string;
  /** True when the option takes a value (`--db <file>`). */
  takesValue: boolean;
  /** The values it accepts, when commander knows them (`.choices()`), else null. */
  choices: string[] | null;
  /** True when its value is a file or folder path (its value name says file, dir, folder or path). */
  path: boolean;
}

/** A command as completion sees it. */
export interface CompletionCommand {
  name: string;
  description: string;
  options: CompletionOption[];
  /** Its first argument: the values it accepts, or whether it is a path; null when it takes none. */
  argument: { choices: string[] | null; path: boolean } | null;
}

/** Everything a completion script completes, read from the commander program. */
export interface CompletionTree {
  program: string;
  globals: CompletionOption[];
  commands: CompletionCommand[];
}

const PATH_VALUE = /file|dir|folder|path/i;

/**
 * Reads commands, their options and arguments, the global options and their choices from a
 * commander program, as its help shows them (hidden ones left out), so that completion never
 * drifts from the real command line.
 *
 * @example
 * commandTree(buildProgram().program).commands.map((c) => c.name); // ['status', 'history', ...]
 */
export function commandTree(program: Command): CompletionTree {
  const help = program.createHelp();
  const commands = help
    .visibleCommands(program)
    .filter((c) => c.name() !== 'help')
    .map((c) => ({
      name: c.name(),
      description: firstLine(c.description()),
      options: help.visibleOptions(c).map(completionOption),
      argument: firstArgument(c),
    }));
  return { program: program.name(), globals: help.visibleOptions(program).map(completionOption), commands };
}

function completionOption(option: Option): CompletionOption {
  const flags = [option.short, option.long].filter((f): f is string => typeof f === 'string');
  const value = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1] ?? '';
  return {
    flags,
    description: firstLine(option.description),
    takesValue: option.required || option.optional,
    choices: option.argChoices ? [...option.argChoices] : null,
    path: PATH_VALUE.test(value),
  };
}

function firstArgument(command: Command): CompletionCommand['argument'] {
  const argument = command.registeredArguments[0];
  if (!argument) return null;
  return { choices: argument.argChoices ? [...argument.argChoices] : null, path: PATH_VALUE.test(argument.name()) || /path/i.test(argument.description) };
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
