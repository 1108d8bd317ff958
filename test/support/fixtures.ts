import { decodeJwt } from 'jose';
import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';
import { as, login, type LoggedIn } from './auth-helpers';
import { startTestApp, type HttpTarget, type TestApp, type TestDatabase } from './test-app';
import { uniqueName } from './users';

/** The password of every user the fixtures register. */
export const USER_PASSWORD = 'Plenty-Long-Secret-42';

/** Requests carrying one bearer token (see `as`). */
export type Api = ReturnType<typeof as>;

/** A user registered through the API, as a client does it. */
export interface RegisteredUser {
  id: number;
  username: string;
  password: string;
}

/** POST /user → 201. */
export async function register(t: HttpTarget, username = uniqueName(), password = USER_PASSWORD): Promise<RegisteredUser> {
  const response = await t.http().post('/user').send({ username, password });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return { id: response.body.data.id as number, username, password };
}

/** A freshly registered user, logged in. */
export async function registeredSession(t: HttpTarget): Promise<LoggedIn> {
  const user = await register(t);
  return login(t, user.username, user.password);
}

/** Users and roles made through the API, as an administrator's console does. */
export function userFixtures(t: TestApp, admin: Api) {
  /** A role with these permissions, granted by `granter` (the administrator unless given). */
  async function createRole(permissions: string[] = [], extra: Record<string, unknown> = {}, granter: Api = admin): Promise<number> {
    const key = uniqueName('role');
    const created = await admin.post('/role', { role_name: `Role ${key}`, role_key: key, role_sort: 5, ...extra });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const roleId = created.body.data.roleId as number;
    if (permissions.length) {
      const granted = await granter.put('/perm', { roleId, permissions });
      assert.equal(granted.status, 200, JSON.stringify(granted.body));
    }
    return roleId;
  }

  /** A user holding exactly these scopes, logged in. */
  async function userWith(scopes: string[]) {
    const user = await register(t);
    const roleId = await createRole(scopes);
    assert.equal((await admin.post(`/user/${user.id}/bind`, [roleId])).status, 200);
    const session = await login(t, user.username, user.password);
    assert.deepEqual(decodeJwt(session.accessToken).scope, [...scopes].sort(), 'the token carries exactly these scopes');
    return { ...user, roleId, session, api: as(t, session.accessToken) };
  }

  return {
    register: (username?: string, password?: string) => register(t, username, password),
    registeredSession: () => registeredSession(t),
    createRole,
    userWith,
  };
}

/** The application of a suite, usable wherever a TestApp is, with its administrator and user fixtures. */
export interface AppFixture extends TestApp, ReturnType<typeof userFixtures> {
  /** Requests as the administrator (`admin` / ADMIN_PASSWORD). */
  readonly admin: Api;
  /** The administrator's current session. */
  readonly adminSession: LoggedIn;
}

export interface WithAppOptions {
  /** When the administrator logs in: once for the suite (default), before each test (tokens that must not expire mid-suite), or never (suites that count sessions). */
  adminLogin?: 'once' | 'each' | 'never';
}

/**
 * Registers node:test hooks that start the application on `database` before the suite's tests and close it
 * after them, and answers a fixture that stands for it; read it only inside tests and hooks.
 */
export function withApp(database: TestDatabase, overrides: Record<string, string> = {}, options: WithAppOptions = {}): AppFixture {
  let current: TestApp | undefined;
  let session: LoggedIn | undefined;
  const app = (): TestApp => {
    assert.ok(current, 'withApp: the application is used outside a test or hook');
    return current;
  };
  const adminSession = (): LoggedIn => {
    assert.ok(session, `withApp: the administrator is not logged in (adminLogin: ${options.adminLogin})`);
    return session;
  };
  const adminLogin = options.adminLogin ?? 'once';

  before(async () => {
    current = await startTestApp(database, overrides);
    if (adminLogin === 'once') session = await login(current);
  });
  if (adminLogin === 'each') {
    beforeEach(async () => {
      session = await login(app());
    });
  }
  after(async () => {
    await current?.close();
  });

  const admin: Api = {
    get: (path) => as(app(), adminSession().accessToken).get(path),
    post: (path, body) => as(app(), adminSession().accessToken).post(path, body),
    put: (path, body) => as(app(), adminSession().accessToken).put(path, body),
    delete: (path) => as(app(), adminSession().accessToken).delete(path),
  };
  const fixture = {
    get app() {
      return app().app;
    },
    get config() {
      return app().config;
    },
    get dataSource() {
      return app().dataSource;
    },
    http: () => app().http(),
    restart: (more?: Record<string, string>) => app().restart(more),
    close: () => app().close(),
    admin,
    get adminSession() {
      return adminSession();
    },
  };
  return Object.defineProperties(fixture, Object.getOwnPropertyDescriptors(userFixtures(fixture, admin))) as AppFixture;
}
