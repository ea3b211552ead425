import { Argument, type Command } from 'commander';
import type { CliRuntime } from '../runtime.js';
import { bashCompletion } from '../completion/bash-completion.js';
import { commandTree } from '../completion/command-tree.js';
import { fishCompletion } from '../completion/fish-completion.js';
import { zshCompletion } from '../completion/zsh-completion.js';

const SHELLS = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion } as const;

/** `mfmig completion <bash|zsh|fish>`: prints a completion script made from the command definitions. */
export function registerCompletion(program: Command, cli: CliRuntime): void {
  program
    .command('completion')
    .description('print a shell completion script (bash: source <(mfmig completion bash); zsh, fish: see the README)')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(Object.keys(SHELLS)))
    .action((shell: keyof typeof SHELLS) => {
      const script = SHELLS[shell](commandTree(cli.program));
      cli.out.result({ shell, script }, () => process.stdout.write(script));
    });
}
