import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { as, checkToken, login, msUntilRefused, refresh, USER_AGENT } from './support/auth-helpers';
import { CLI_ACTOR, CLI_SUITE_ENV, cliEnvOf, cliWorkDir, failed, runCli, succeeded } from './support/cli';
import { withApp } from './support/fixtures';
import { testDatabases } from './support/test-app';
import { uniqueName } from './support/users';

// The command line's changes to users (src/cli), seen through the API: admin create, admin reset, sessions revoke.
const workDir = cliWorkDir();
const NEW_PASSWORD = 'Reset-By-Operator-77';

for (const database of testDatabases()) {
  describe(`the command line's user commands on ${database.name}`, () => {
    const t = withApp(database, CLI_SUITE_ENV, { adminLogin: 'each' });
    const cli = (...args: string[]) => runCli(cliEnvOf(t), args, workDir());
    const auditOf = async (action: string, target: number | string) => {
      const response = await t.admin.get(`/audit?action=${action}&actor=${encodeURIComponent(CLI_ACTOR)}`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return (response.body.data.list as Array<{ target: string | null; outcome: string; details: Record<string, unknown> }>).filter(
        (entry) => entry.target === String(target),
      );
    };
    const loginFails = async (username: string, password: string) => {
      const response = await t.http().post('/auth/login').set('User-Agent', USER_AGENT).send({ username, password });
      assert.equal(response.status, 401, JSON.stringify(response.body));
    };

    it('admin create: a new administrator who logs in with the admin role; audited; the password rules hold', async () => {
      const username = uniqueName('ops');
      const [line] = succeeded(await cli('admin', 'create', '--username', username, '--password', 'Operator-Chosen-Pass-9'));
      const id = Number(/^created administrator (\S+) \(id (\d+)\)$/.exec(line)?.[2]);
      assert.equal(line, `created administrator ${username} (id ${id})`);
      const session = await login(t, username, 'Operator-Chosen-Pass-9');
      assert.equal(session.userId, id);
      const info = await as(t, session.accessToken).get('/user/info');
      assert.deepEqual(info.body.data.user.roles, ['管理员'], 'the admin role');
      assert.ok(info.body.data.user.permissions.includes('keyMan'), 'with the admin role’s scopes');
      const [entry] = await auditOf('user_register', id);
      assert.equal(entry?.outcome, 'success');
      assert.deepEqual(entry.details, { command: 'admin create', username, roles: ['admin'] });

      const generated = uniqueName('ops');
      const [withGenerated, taken, common, short, badName] = await Promise.all([
        cli('admin', 'create', '--username', generated),
        cli('admin', 'create', '--username', username, '--password', 'Another-Fine-Pass-8'),
        cli('admin', 'create', '--username', uniqueName(), '--password', 'password123'),
        cli('admin', 'create', '--username', uniqueName(), '--password', 'short'),
        cli('admin', 'create', '--username', 'a b', '--password', 'Operator-Chosen-Pass-9'),
      ]);
      const lines = succeeded(withGenerated);
      assert.equal(lines.length, 2);
      const password = /^password: (\S{24})$/.exec(lines[1])?.[1];
      assert.ok(password, `a generated password: ${lines[1]}`);
      await login(t, generated, password);

      failed(taken, 1, 'error: That username is taken.');
      failed(common, 2, 'error: That password is too common.');
      failed(short, 2, 'error: password must be 8 to 64 characters long');
      failed(badName, 2, /^error: username /);
    });

    it('admin reset: the new password logs in, the old does not, and every earlier session and token is dead', async () => {
      const user = await t.register(uniqueName(), 'Original-Pass-Of-User-1');
      const first = await login(t, user.username, user.password);
      const second = await login(t, user.username, user.password);
      const [line] = succeeded(await cli('admin', 'reset', '--username', user.username, '--password', NEW_PASSWORD));
      const since = Date.now();
      assert.equal(line, `reset the password of ${user.username} (id ${user.id}); enabled; 2 sessions ended`);

      await login(t, user.username, NEW_PASSWORD);
      await loginFails(user.username, user.password);
      for (const session of [first, second]) assert.equal((await refresh(t, session.refreshToken)).status, 401, 'the refresh token is dead');
      assert.notEqual(await msUntilRefused(t, first.accessToken, since), undefined, 'the access token is refused');
      assert.equal((await checkToken(t, second.accessToken)).status, 401);
      const [entry] = await auditOf('user_change', user.id);
      assert.equal(entry?.outcome, 'success');
      assert.deepEqual(entry.details, { command: 'admin reset', username: user.username, changed: ['password', 'status'], sessionsEnded: 2 });
      assert.doesNotMatch(JSON.stringify(entry), new RegExp(NEW_PASSWORD), 'no password in the audit log');
    });

    it('admin reset: enables a disabled user, with a generated password; refuses unknown users and weak passwords', async () => {
      const user = await t.register(uniqueName(), 'Original-Pass-Of-User-2');
      assert.equal((await t.admin.post(`/user/${user.id}/disable`)).status, 200);
      const lines = succeeded(await cli('admin', 'reset', '--username', user.username.toUpperCase()));
      assert.equal(lines[0], `reset the password of ${user.username} (id ${user.id}); enabled; 0 sessions ended`);
      const password = /^password: (\S{24})$/.exec(lines[1])?.[1];
      assert.ok(password, lines[1]);
      await login(t, user.username, password);

      const [unknown, common] = await Promise.all([
        cli('admin', 'reset', '--username', uniqueName('nobody'), '--password', NEW_PASSWORD),
        cli('admin', 'reset', '--username', user.username, '--password', 'qwertyuiop'),
      ]);
      failed(unknown, 1, 'error: No such user.');
      failed(common, 2, 'error: That password is too common.');
      await login(t, user.username, password);
    });

    it('sessions revoke: every session of the user ends, its refresh tokens fail and its access tokens are refused', async () => {
      const user = await t.register(uniqueName(), 'Kicked-Out-User-Pass-3');
      const sessions = [await login(t, user.username, user.password), await login(t, user.username, user.password)];
      const bystander = await login(t);
      const [line] = succeeded(await cli('sessions', 'revoke', '--user', user.username));
      const since = Date.now();
      assert.equal(line, `revoked 2 sessions of ${user.username} (id ${user.id})`);

      for (const session of sessions) {
        assert.notEqual(await msUntilRefused(t, session.accessToken, since), undefined, 'the access token is refused');
        assert.equal((await refresh(t, session.refreshToken)).status, 401, 'the refresh token fails');
      }
      assert.equal((await checkToken(t, bystander.accessToken)).status, 204, 'other users keep their sessions');
      const again = await login(t, user.username, user.password);
      assert.equal((await checkToken(t, again.accessToken)).status, 204, 'the user can log in again');

      assert.deepEqual(succeeded(await cli('sessions', 'revoke', '--user', String(user.id))), [`revoked 1 session of ${user.username} (id ${user.id})`]);
      assert.notEqual(await msUntilRefused(t, again.accessToken, Date.now()), undefined);
      const entries = await auditOf('kickout', user.id);
      assert.deepEqual(
        entries.map((entry) => entry.details),
        [
          { command: 'sessions revoke', user: String(user.id), sessionsEnded: 1 },
          { command: 'sessions revoke', user: user.username, sessionsEnded: 2 },
        ],
      );
      for (const unknown of await Promise.all([cli('sessions', 'revoke', '--user', '999999'), cli('sessions', 'revoke', '--user', uniqueName('nobody'))])) {
        failed(unknown, 1, 'error: No such user.');
      }
    });
  });
}
