import { Command, InvalidArgumentError, Option } from 'commander';

// `--json`, and qemu-img's spelling of it, `--output=json` (`--output=human` is the default).

function parseOutput(text: string): 'json' | 'human' {
  if (text === 'json' || text === 'human') return text;
  throw new InvalidArgumentError('--output takes json or human');
}

/** Add --json (described by `description`) and --output=json|human, which sets the same option. */
export function addJsonOutput(cmd: Command, description: string): Command {
  return cmd
    .option('--json', description)
    .addOption(new Option('--output <format>', 'json: the same as --json (as qemu-img); human: the default').argParser(parseOutput))
    .hook('preAction', (c) => {
      if (c.opts().output === 'json') c.setOptionValue('json', true);
    });
}
