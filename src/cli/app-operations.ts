import { randomBytes } from 'node:crypto';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createApp } from '../app.factory';
import { AuditService } from '../audit/audit.service';
import { MAX_ID } from '../common/parse-id.pipe';
import { KeyService } from '../security/key.service';
import { UserRef, UserService } from '../user/user.service';
import { awaitRevocationChannel, withAppContext } from './app-context';
import { audited } from './cli-audit';
import { CommandFailure, UsageError } from './cli-args';
import type { CommandRun } from './commands';

/** As the first start's administrator gets one when ADMIN_PASSWORD is not set. */
function generatedPassword(): string {
  return randomBytes(18).toString('base64url');
}

/** `--user 42` names the user by id, anything else by username. */
function userRef(value: string): UserRef {
  if (/^\d+$/.test(value)) {
    const id = Number(value);
    if (id < 1 || id > MAX_ID) throw new UsageError(`--user ${value} is not a user id`);
    return { id };
  }
  return { username: value };
}

function sessionCount(count: number): string {
  return count === 1 ? '1 session' : `${count} sessions`;
}

/** A relative path is taken from where the operator typed the command (npm run moves to the package's folder). */
function outputPath(path: string, env: NodeJS.ProcessEnv): string {
  return isAbsolute(path) ? path : resolve(env.INIT_CWD ?? process.cwd(), path);
}

export async function adminCreate({ options, config, logger, out }: CommandRun): Promise<void> {
  const username = options.username!;
  const password = options.password ?? generatedPassword();
  await withAppContext(config, logger, async (app) => {
    const command = { command: 'admin create', action: 'user_register', details: { username, roles: ['admin'] } };
    const created = await audited(app.get(AuditService), command, async () => {
      const user = await app.get(UserService).createAdministrator(username, password);
      return { result: user, target: user.id };
    });
    out(`created administrator ${created.username} (id ${created.id})`);
    if (options.password === undefined) out(`password: ${password}`);
  });
}

export async function adminReset({ options, config, logger, out }: CommandRun): Promise<void> {
  const username = options.username!;
  const password = options.password ?? generatedPassword();
  await withAppContext(config, logger, async (app) => {
    await awaitRevocationChannel(app);
    const command = { command: 'admin reset', action: 'user_change', details: { username, changed: ['password', 'status'] } };
    const reset = await audited(app.get(AuditService), command, async () => {
      const user = await app.get(UserService).resetPassword(username, password);
      return { result: user, target: user.id, details: { sessionsEnded: user.sessionsEnded } };
    });
    out(`reset the password of ${reset.username} (id ${reset.id}); enabled; ${sessionCount(reset.sessionsEnded)} ended`);
    if (options.password === undefined) out(`password: ${password}`);
  });
}

export async function keysRotate({ config, logger, out }: CommandRun): Promise<void> {
  await withAppContext(config, logger, async (app) => {
    const command = { command: 'keys rotate', action: 'key_rotate' };
    const key = await audited(app.get(AuditService), command, async () => {
      const rotated = await app.get(KeyService).rotate();
      return { result: rotated, details: { kid: rotated.kid, alg: rotated.alg } };
    });
    out(`kid: ${key.kid}`);
    out(`alg: ${key.alg}`);
    out(`signs from: ${key.activatesAt}`);
  });
}

export async function sessionsRevoke({ options, config, logger, out }: CommandRun): Promise<void> {
  const ref = userRef(options.user!);
  await withAppContext(config, logger, async (app) => {
    await awaitRevocationChannel(app);
    const command = { command: 'sessions revoke', action: 'kickout', details: { user: options.user } };
    const ended = await audited(app.get(AuditService), command, async () => {
      const user = await app.get(UserService).endAllSessions(ref);
      return { result: user, target: user.id, details: { sessionsEnded: user.sessionsEnded } };
    });
    out(`revoked ${sessionCount(ended.sessionsEnded)} of ${ended.username} (id ${ended.id})`);
  });
}

export async function openapiExport({ options, config, env, out }: CommandRun): Promise<void> {
  const path = outputPath(options.out!, env);
  // Told before the application is built for nothing.
  try {
    accessSync(dirname(path), constants.W_OK);
  } catch (error) {
    throw new CommandFailure(`cannot write ${path}: ${(error as Error).message}`);
  }
  const app = await createApp({
    ...config,
    docsEnabled: true,
    // Its logger writes to standard output, which is the command's answer.
    logLevel: 'silent',
    database: { ...config.database, type: 'sqlite', sqlitePath: ':memory:', url: undefined, migrationsRun: true },
    revocation: { ...config.revocation, redisUrl: undefined },
  });
  let document: string;
  try {
    const response = await app.inject({ method: 'GET', url: '/docs-json' });
    if (response.statusCode !== 200) throw new CommandFailure(`GET /docs-json answered ${response.statusCode}`);
    document = response.body;
  } finally {
    await app.close();
  }
  try {
    writeFileSync(path, document);
  } catch (error) {
    throw new CommandFailure(`cannot write ${path}: ${(error as Error).message}`);
  }
  out(`wrote the OpenAPI document to ${path} (${Buffer.byteLength(document)} bytes)`);
}
