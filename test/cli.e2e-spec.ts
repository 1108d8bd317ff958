import { decodeProtectedHeader } from 'jose';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkToken, login } from './support/auth-helpers';
import { CLI_ACTOR, CLI_SUITE_ENV, cliEnvOf, cliWorkDir, failed, freshDatabase, runCli, succeeded } from './support/cli';
import { withApp } from './support/fixtures';
import { ADMIN_PASSWORD, testDatabases } from './support/test-app';
import { uniqueName } from './support/users';

// The operator's command line (src/cli), run as a process from the compiled tree; its user commands are in
// cli-users.e2e-spec.ts.
const workDir = cliWorkDir();

describe('the command line: usage', () => {
  it('answers help and --help on every command with usage on standard output, exit 0', async () => {
    const general = succeeded(await runCli({}, ['help'], workDir()));
    assert.match(general[0], /^Usage: npm run cli -- <command> \[options\]$/);
    for (const command of [
      'admin create',
      'admin reset',
      'keys rotate',
      'sessions revoke',
      'openapi export',
      'migrate run',
      'migrate revert',
      'migrate show',
    ]) {
      assert.ok(
        general.some((line) => line.trimStart().startsWith(command)),
        `help lists ${command}`,
      );
    }
    assert.deepEqual(succeeded(await runCli({}, ['--help'], workDir())), general);

    const cases: Array<[string[], RegExp]> = [
      [['admin', 'create', '--help'], /^Usage: npm run cli -- admin create --username <name> \[--password <password>\]$/],
      [['admin', 'reset', '-h'], /^Usage: npm run cli -- admin reset --username <name> \[--password <password>\]$/],
      [['keys', 'rotate', '--help'], /^Usage: npm run cli -- keys rotate$/],
      [['sessions', 'revoke', '--help'], /^Usage: npm run cli -- sessions revoke --user <id\|username>$/],
      [['openapi', 'export', '--help'], /^Usage: npm run cli -- openapi export --out <file>$/],
      [['help', 'migrate', 'revert'], /^Usage: npm run cli -- migrate revert$/],
      [['migrate', 'show', '--help'], /^Usage: npm run cli -- migrate show$/],
      [['migrate', '--help'], /^Usage: npm run cli -- migrate <run\|revert\|show> \[options\]$/],
      // Help wins over a bad or missing option: it is what the operator asked for.
      [['admin', 'create', '--bogus', '--help'], /^Usage: npm run cli -- admin create /],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli({}, args, workDir())));
    results.forEach((result, index) => {
      const [args, usage] = cases[index];
      const lines = succeeded(result);
      assert.match(lines[0], usage, args.join(' '));
      if (args.length > 2) assert.ok(lines.includes('Example:'), `${args.join(' ')} shows an example`);
    });
  });

  it('refuses bad usage with one line on standard error and exit status 2, before opening any database', async () => {
    // Settings that would fail if a database were opened: usage is checked first.
    const env = { DB_TYPE: 'mysql', DATABASE_URL: 'mysql://nobody@127.0.0.1:1/none' };
    const cases: Array<[string[], string]> = [
      [[], 'error: no command given (npm run cli -- help lists them)'],
      [['frobnicate'], 'error: unknown command "frobnicate" (npm run cli -- help lists the commands)'],
      [['admin'], 'error: admin needs a subcommand: create, reset'],
      [['admin', 'delete'], 'error: admin has no subcommand "delete": create, reset'],
      [['admin', 'create'], 'error: admin create needs --username <name>'],
      [['admin', 'create', '--username'], 'error: --username needs a value (npm run cli -- admin create --help)'],
      [['admin', 'create', '--username='], 'error: --username needs a value (npm run cli -- admin create --help)'],
      [['admin', 'create', '--username', 'x', '--role', 'admin'], 'error: unknown option --role (npm run cli -- admin create --help)'],
      [['keys', 'rotate', 'now'], 'error: unexpected argument "now" (npm run cli -- keys rotate --help)'],
      [['sessions', 'revoke'], 'error: sessions revoke needs --user <id|username>'],
      [['sessions', 'revoke', '--user', '0'], 'error: --user 0 is not a user id'],
      [['openapi', 'export'], 'error: openapi export needs --out <file>'],
      [['help', 'nothing'], 'error: unknown command "nothing" (npm run cli -- help lists the commands)'],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(env, args, workDir())));
    results.forEach((result, index) => failed(result, 2, cases[index][1]));
  });

  it('stops with one line naming a bad setting, exit status 1', async () => {
    failed(await runCli({ DB_TYPE: 'mongodb' }, ['migrate', 'show'], workDir()), 1, /^error: Invalid configuration: DB_TYPE /);
  });
});

for (const database of testDatabases()) {
  describe(`the command line on ${database.name}`, () => {
    const t = withApp(database, CLI_SUITE_ENV, { adminLogin: 'each' });
    const cli = (...args: string[]) => runCli(cliEnvOf(t), args, workDir());

    it('keys rotate: refused with HS256; the JWKS lists the new kid and new tokens carry it', async () => {
      const before = await login(t);
      const [rotated, hs256] = await Promise.all([cli('keys', 'rotate'), runCli(cliEnvOf(t, { JWT_ALG: 'HS256' }), ['keys', 'rotate'], workDir())]);
      failed(hs256, 1, 'error: JWT_ALG is HS256: there is no key pair to rotate.');
      const lines = succeeded(rotated);
      assert.equal(lines.length, 3);
      const kid = /^kid: (\S+)$/.exec(lines[0])?.[1];
      assert.ok(kid, lines[0]);
      assert.equal(lines[1], 'alg: RS256');
      assert.match(lines[2], /^signs from: \d{4}-\d\d-\d\dT/);
      assert.notEqual(decodeProtectedHeader(before.accessToken).kid, kid);

      const published = (await t.http().get('/.well-known/jwks.json')).body.keys.map((key: { kid: string }) => key.kid);
      assert.ok(published.includes(kid), 'the running instance publishes the new kid');
      const other = await t.restart();
      const after = await login(other);
      assert.equal(decodeProtectedHeader(after.accessToken).kid, kid, 'new tokens carry the new kid');
      assert.equal((await checkToken(other, after.accessToken)).status, 204);
      assert.equal((await checkToken(other, before.accessToken)).status, 204, 'tokens signed before keep working');
      await other.app.close();
      const audit = await t.admin.get(`/audit?action=key_rotate&actor=${encodeURIComponent(CLI_ACTOR)}`);
      assert.ok(
        audit.body.data.list.some((entry: { details: { kid?: string } }) => entry.details.kid === kid),
        'the rotation is audited',
      );
    });

    it('openapi export: writes the document GET /docs-json serves, byte for byte', async () => {
      const file = join(workDir(), `openapi-${database.name}.json`);
      const [exported, unwritable] = await Promise.all([
        runCli(cliEnvOf(t, { DOCS_ENABLED: 'false' }), ['openapi', 'export', '--out', file], workDir()),
        cli('openapi', 'export', '--out', join(workDir(), 'no-such-dir', 'openapi.json')),
      ]);
      failed(unwritable, 1, /^error: cannot write .*no-such-dir.*ENOENT/);
      const [line] = succeeded(exported);
      const served = await t.http().get('/docs-json');
      assert.equal(served.status, 200);
      const written = readFileSync(file, 'utf8');
      assert.equal(written, served.text);
      assert.equal(line, `wrote the OpenAPI document to ${file} (${Buffer.byteLength(written)} bytes)`);
    });

    it('migrate: on a fresh database show lists every migration pending, run applies them, revert undoes the latest', async () => {
      const fresh = await freshDatabase(database);
      try {
        const names = t.dataSource.migrations.map((migration) => migration.name);
        assert.ok(names.length >= 13);
        // The settings from .env in the working directory, as the server reads them.
        const dir = mkdtempSync(join(workDir(), 'env-'));
        writeFileSync(
          join(dir, '.env'),
          Object.entries(fresh.env)
            .map(([name, value]) => `${name}=${value}\n`)
            .join(''),
        );
        const migrate = (action: string) => runCli({}, ['migrate', action], dir);

        assert.deepEqual(
          succeeded(await migrate('show')),
          names.map((name) => `pending ${name}`),
        );
        failed(await migrate('revert'), 1, 'error: no migration is applied: nothing to revert');
        assert.deepEqual(
          succeeded(await migrate('run')),
          names.map((name) => `applied ${name}`),
        );
        assert.deepEqual(
          succeeded(await migrate('show')),
          names.map((name) => `applied ${name}`),
        );
        assert.deepEqual(succeeded(await migrate('run')), ['no pending migrations']);
        assert.deepEqual(succeeded(await migrate('revert')), [`reverted ${names.at(-1)}`]);
        assert.deepEqual(
          succeeded(await migrate('show')),
          names.map((name, index) => `${index === names.length - 1 ? 'pending' : 'applied'} ${name}`),
        );
        assert.deepEqual(succeeded(await migrate('run')), [`applied ${names.at(-1)}`]);
      } finally {
        await fresh.drop();
      }
    });

    it('works on a fresh database: a command migrates and seeds it first, as the server does at start', async () => {
      const fresh = await freshDatabase(database);
      try {
        const env = { ...fresh.env, ADMIN_PASSWORD };
        const username = uniqueName('first');
        assert.deepEqual(succeeded(await runCli(env, ['admin', 'create', '--username', username, '--password', 'First-Operator-Pass-5'], workDir())), [
          `created administrator ${username} (id 2)`,
        ]);
        const shown = succeeded(await runCli(env, ['migrate', 'show'], workDir()));
        assert.ok(
          shown.every((line) => line.startsWith('applied ')),
          shown.join('\n'),
        );
        assert.equal(shown.length, t.dataSource.migrations.length);
      } finally {
        await fresh.drop();
      }
    });
  });
}
