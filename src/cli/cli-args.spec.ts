import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandSpec, parseInvocation, UsageError } from './cli-args';

const COMMANDS: CommandSpec[] = [
  {
    words: ['user', 'add'],
    summary: 'Add a user',
    description: 'Adds one.',
    options: [
      { name: 'name', value: '<name>', required: true, description: 'Its name' },
      { name: 'note', value: '<text>', required: false, description: 'A note' },
    ],
    example: 'npm run cli -- user add --name ann',
  },
  { words: ['user', 'drop'], summary: 'Drop a user', description: 'Drops one.', options: [], example: 'npm run cli -- user drop' },
];

const usage = (argv: string[]) => {
  try {
    parseInvocation(argv, COMMANDS);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    return error.message;
  }
  assert.fail(`${argv.join(' ')} was accepted`);
};

describe('the command line: arguments', () => {
  it('finds the command and its options, in either spelling', () => {
    const parsed = parseInvocation(['user', 'add', '--name', 'ann', '--note=hello there'], COMMANDS);
    assert.equal(parsed.kind, 'run');
    assert.deepEqual(parsed.kind === 'run' && [parsed.command.words, parsed.options], [['user', 'add'], { name: 'ann', note: 'hello there' }]);
    const bare = parseInvocation(['user', 'drop'], COMMANDS);
    assert.deepEqual(bare.kind === 'run' && bare.options, {});
  });

  it('answers help for the whole, a group and a command, whatever else the line holds', () => {
    for (const argv of [['help'], ['--help'], ['-h']]) {
      const help = parseInvocation(argv, COMMANDS);
      assert.equal(help.kind, 'help');
      assert.match(help.kind === 'help' ? help.text : '', /^Usage: npm run cli -- <command> \[options\]\n[^]*\n {2}user add {2,}Add a user\n/);
    }
    const group = parseInvocation(['user', '--help'], COMMANDS);
    assert.match(group.kind === 'help' ? group.text : '', /^Usage: npm run cli -- user <add\|drop> \[options\]\n/);
    for (const argv of [
      ['help', 'user', 'add'],
      ['user', 'add', '--help'],
      ['user', 'add', '--bogus', '-h'],
    ]) {
      const help = parseInvocation(argv, COMMANDS);
      assert.match(
        help.kind === 'help' ? help.text : '',
        /^Usage: npm run cli -- user add --name <name> \[--note <text>\]\n\nAdds one\.\n\nOptions:\n {2}--name <name> {2}Its name\n/,
      );
    }
  });

  it('refuses bad usage in one line', () => {
    assert.equal(usage([]), 'no command given (npm run cli -- help lists them)');
    assert.equal(usage(['role']), 'unknown command "role" (npm run cli -- help lists the commands)');
    assert.equal(usage(['user']), 'user needs a subcommand: add, drop');
    assert.equal(usage(['user', 'edit']), 'user has no subcommand "edit": add, drop');
    assert.equal(usage(['user', 'add']), 'user add needs --name <name>');
    assert.equal(usage(['user', 'add', '--name']), '--name needs a value (npm run cli -- user add --help)');
    assert.equal(usage(['user', 'add', '--name', ' ']), '--name needs a value (npm run cli -- user add --help)');
    assert.equal(usage(['user', 'add', '--name', 'ann', '--age', '3']), 'unknown option --age (npm run cli -- user add --help)');
    assert.equal(usage(['user', 'add', '-x']), 'unknown option -x (npm run cli -- user add --help)');
    assert.equal(usage(['user', 'drop', 'ann']), 'unexpected argument "ann" (npm run cli -- user drop --help)');
    assert.equal(usage(['help', 'user', 'edit']), 'unknown command "user edit" (npm run cli -- help lists the commands)');
    for (const argv of [[], ['role'], ['user', 'add', '--name', 'ann', '--age', '3']]) assert.doesNotMatch(usage(argv), /\n/);
  });
});
