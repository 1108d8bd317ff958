import { parseArgs } from 'node:util';

/** How the command line is invoked, in usage texts and error messages. */
export const INVOCATION = 'npm run cli --';

/** Bad usage: an unknown command or option, a missing or empty value. Exit status 2. */
export class UsageError extends Error {}

/** An expected failure of a command (exit status 1), told in one line. */
export class CommandFailure extends Error {}

export interface OptionSpec {
  /** Without the dashes: `username`. */
  name: string;
  /** How its value is shown in usage texts: `<name>`. */
  value: string;
  required: boolean;
  description: string;
}

/** What a command declares about itself: enough to parse its options and write its help. */
export interface CommandSpec {
  /** The words that name it: `['admin', 'create']`. */
  words: readonly string[];
  summary: string;
  /** Paragraphs for its --help. */
  description: string;
  options: readonly OptionSpec[];
  example: string;
}

/** The command line, understood. */
export type Invocation<C extends CommandSpec> =
  { kind: 'help'; text: string } | { kind: 'run'; command: C; options: Readonly<Record<string, string | undefined>> };

const HELP_FLAGS = new Set(['--help', '-h']);

/**
 * Reads `argv` (without node and the script) against the commands: `help [words…]`, `<words…> --help`, or a
 * command and its options. Throws UsageError, with a message of one line, for anything else.
 */
export function parseInvocation<C extends CommandSpec>(argv: readonly string[], commands: readonly C[]): Invocation<C> {
  if (argv.length === 0) throw new UsageError(`no command given (${INVOCATION} help lists them)`);
  if (argv[0] === 'help' || HELP_FLAGS.has(argv[0])) return { kind: 'help', text: helpFor(argv.slice(1), commands) };

  const group = commands.filter((command) => command.words[0] === argv[0]);
  if (group.length === 0) throw new UsageError(`unknown command "${argv[0]}" (${INVOCATION} help lists the commands)`);
  const wantsHelp = argv.some((arg) => HELP_FLAGS.has(arg));
  const command = group.find((candidate) => candidate.words.every((word, index) => argv[index] === word));
  if (!command) {
    if (wantsHelp && (argv.length === 1 || argv[1].startsWith('-'))) return { kind: 'help', text: groupHelp(argv[0], group) };
    const choices = group.map((candidate) => candidate.words.slice(1).join(' ')).join(', ');
    const given = argv[1] === undefined || argv[1].startsWith('-') ? 'needs a subcommand' : `has no subcommand "${argv[1]}"`;
    throw new UsageError(`${argv[0]} ${given}: ${choices}`);
  }
  // Help wins over whatever else is wrong on the line: it is what the operator is asking for.
  if (wantsHelp) return { kind: 'help', text: commandHelp(command) };
  return { kind: 'run', command, options: parseOptions(command, argv.slice(command.words.length)) };
}

function parseOptions(command: CommandSpec, args: string[]): Record<string, string | undefined> {
  const name = command.words.join(' ');
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: Object.fromEntries(command.options.map((option) => [option.name, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${describeParseError(error as Error & { code?: string })} (${INVOCATION} ${name} --help)`);
  }
  const options: Record<string, string | undefined> = {};
  for (const option of command.options) {
    const value = values[option.name] as string | undefined;
    if (value === undefined && option.required) throw new UsageError(`${name} needs --${option.name} ${option.value}`);
    if (value !== undefined && value.trim() === '') throw new UsageError(`--${option.name} needs a value (${INVOCATION} ${name} --help)`);
    options[option.name] = value;
  }
  return options;
}

/** parseArgs' errors, which run to several sentences, as one short clause. */
function describeParseError(error: Error & { code?: string }): string {
  const quoted = /'([^']*)'/.exec(error.message)?.[1] ?? '';
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return `${quoted.split(' ')[0]} needs a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"`;
    default:
      return error.message.split('\n')[0];
  }
}

function helpFor(words: string[], commands: readonly CommandSpec[]): string {
  if (words.length === 0) return generalHelp(commands);
  const command = commands.find((candidate) => candidate.words.length === words.length && candidate.words.every((word, index) => words[index] === word));
  if (command) return commandHelp(command);
  const group = commands.filter((candidate) => candidate.words[0] === words[0]);
  if (group.length > 0 && words.length === 1) return groupHelp(words[0], group);
  throw new UsageError(`unknown command "${words.join(' ')}" (${INVOCATION} help lists the commands)`);
}

function usageLine(command: CommandSpec): string {
  const options = command.options.map((option) => (option.required ? `--${option.name} ${option.value}` : `[--${option.name} ${option.value}]`));
  return [INVOCATION, ...command.words, ...options].join(' ');
}

function table(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

export function generalHelp(commands: readonly CommandSpec[]): string {
  return [
    `Usage: ${INVOCATION} <command> [options]`,
    '',
    'Commands:',
    ...table([...commands.map((command): [string, string] => [command.words.join(' '), command.summary]), ['help [command]', 'This text, or a command’s']]),
    '',
    'Settings come from the environment and .env, as the server reads them (DB_TYPE, DATABASE_URL, JWT_SECRET, …).',
    'Each command takes --help. Exit status: 0 done, 1 failed (an unknown user, a database error), 2 bad usage.',
    '',
  ].join('\n');
}

function groupHelp(word: string, group: readonly CommandSpec[]): string {
  return [
    `Usage: ${INVOCATION} ${word} <${group.map((command) => command.words.slice(1).join(' ')).join('|')}> [options]`,
    '',
    ...table(group.map((command) => [command.words.join(' '), command.summary])),
    '',
  ].join('\n');
}

export function commandHelp(command: CommandSpec): string {
  return [
    `Usage: ${usageLine(command)}`,
    '',
    command.description,
    '',
    'Options:',
    ...table([...command.options.map((option): [string, string] => [`--${option.name} ${option.value}`, option.description]), ['-h, --help', 'This text']]),
    '',
    'Example:',
    `  ${command.example}`,
    '',
  ].join('\n');
}
