import type pino from 'pino';
import type { AppConfig } from '../app.config';
import { CommandSpec, INVOCATION } from './cli-args';

/** What a command is given to run. */
export interface CommandRun {
  options: Readonly<Record<string, string | undefined>>;
  config: AppConfig;
  env: NodeJS.ProcessEnv;
  /** The log, on standard error. */
  logger: pino.Logger;
  /** Writes one line of the command's answer to standard output. */
  out: (line: string) => void;
}

export interface Command extends CommandSpec {
  run(run: CommandRun): Promise<void>;
}

/*
 * The commands' work, loaded when one runs: app-operations.ts loads the whole application (a second and a half
 * and more), migrate-operations.ts TypeORM and the migrations; help and bad usage wait for neither.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const appWork = () => require('./app-operations') as typeof import('./app-operations');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const migrationWork = () => require('./migrate-operations') as typeof import('./migrate-operations');

const PASSWORD_RULES = '8–64 characters, at most 72 bytes, not a common password (the rules of registration)';
const PASSWORD_OPTION = {
  name: 'password',
  value: '<password>',
  required: false,
  description: `The password: ${PASSWORD_RULES}. Without it one is generated and printed once`,
};

export const COMMANDS: readonly Command[] = [
  {
    words: ['admin', 'create'],
    summary: 'Create an administrator (a user holding the admin role)',
    description: `Creates a user holding the admin role, as POST /user and POST /user/{uid}/bind would. The password must meet the rules of registration; without --password one is generated and printed once (and stays out of the shell's history). Audited as user_register.`,
    options: [{ name: 'username', value: '<name>', required: true, description: '3–64 letters, digits, _ . - @' }, PASSWORD_OPTION],
    example: `${INVOCATION} admin create --username ops-alice`,
    run: (run) => appWork().adminCreate(run),
  },
  {
    words: ['admin', 'reset'],
    summary: 'Set a user’s password and enable it; its sessions end',
    description: `Sets the password of a user (any user, administrator or not) and enables it, as PUT /user/{uid} with a new password and status "0" would: every session of the user ends, its refresh tokens stop working and its access tokens are refused on every instance. Without --password one is generated and printed once. Audited as user_change.`,
    options: [{ name: 'username', value: '<name>', required: true, description: 'The user, by username' }, PASSWORD_OPTION],
    example: `${INVOCATION} admin reset --username admin`,
    run: (run) => appWork().adminReset(run),
  },
  {
    words: ['keys', 'rotate'],
    summary: 'Rotate the signing keys (JWT_ALG RS256 or ES256)',
    description: `Publishes a new signing key, as POST /keys/rotate does: it is in the JWKS at once and signs after KEY_ACTIVATION_DELAY, when every instance has loaded it; tokens signed before keep working. Fails with JWT_ALG=HS256. Audited as key_rotate.`,
    options: [],
    example: `${INVOCATION} keys rotate`,
    run: (run) => appWork().keysRotate(run),
  },
  {
    words: ['sessions', 'revoke'],
    summary: 'End every session of a user; its access tokens stop working',
    description: `Ends every session of a user, as POST /user/{uid}/kickout does: its refresh tokens stop working, and its access tokens are refused on every instance (at once through Redis with REDIS_URL, else within REVOCATION_POLL_MS). Prints how many sessions were open. Audited as kickout.`,
    options: [{ name: 'user', value: '<id|username>', required: true, description: 'The user: digits name a user id, anything else a username' }],
    example: `${INVOCATION} sessions revoke --user alice`,
    run: (run) => appWork().sessionsRevoke(run),
  },
  {
    words: ['openapi', 'export'],
    summary: 'Write the OpenAPI document, as GET /docs-json serves it',
    description: `Writes the OpenAPI document byte for byte as GET /docs-json serves it (with DOCS_ENABLED=false too). The document depends on the code and the settings, not on the data: the application is built on a throw-away in-memory database, and the configured one is neither needed nor touched.`,
    options: [{ name: 'out', value: '<file>', required: true, description: 'Where to write it (relative to the directory the command was typed in)' }],
    example: `${INVOCATION} openapi export --out openapi.json`,
    run: (run) => appWork().openapiExport(run),
  },
  {
    words: ['migrate', 'run'],
    summary: 'Apply the pending migrations',
    description: `Applies the migrations of this build that the database lacks, each in its own transaction, as the server does at start (MIGRATIONS_RUN). Prints each one applied.`,
    options: [],
    example: `${INVOCATION} migrate run`,
    run: (run) => migrationWork().migrateRun(run),
  },
  {
    words: ['migrate', 'revert'],
    summary: 'Revert the latest applied migration',
    description: `Reverts the latest applied migration (its down), in a transaction. Stop the servers first: a server started on the reverted schema applies the migration again (MIGRATIONS_RUN).`,
    options: [],
    example: `${INVOCATION} migrate revert`,
    run: (run) => migrationWork().migrateRevert(run),
  },
  {
    words: ['migrate', 'show'],
    summary: 'List the migrations, applied or pending',
    description: `Lists the migrations of this build, oldest first, each as "applied <name>" or "pending <name>". Changes nothing.`,
    options: [],
    example: `${INVOCATION} migrate show`,
    run: (run) => migrationWork().migrateShow(run),
  },
];
