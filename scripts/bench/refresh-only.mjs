// Quick refresh measurement for tuning: node scripts/bench/refresh-only.mjs [sqlite|mysql] (no build).
import { createTmpDir } from './settings.mjs';
import { startApp, mainDatabase } from './servers.mjs';
import { measureRefresh } from './refresh.mjs';
import { mysqlServer } from './mysql-phase.mjs';
import mysql from 'mysql2/promise';
import { stop } from './children.mjs';

const which = process.argv[2] ?? 'sqlite';
await createTmpDir();
let database = mainDatabase();
if (which === 'mysql') {
  const root = await mysqlServer.start();
  const c = await mysql.createConnection(root);
  await c.query('CREATE DATABASE rq');
  await c.end();
  database = { DB_TYPE: 'mysql', DATABASE_URL: `${root}/rq` };
}
const app = await startApp({ ...database, ...JSON.parse(process.env.RQ_ENV ?? '{}') });
const run = await measureRefresh(`${which} refresh`, app, { alsoOurs: which === 'mysql' ? [mysqlServer.proc.pid] : [], database: which });
console.log(JSON.stringify({ rps: run.rps, p50: run.p50, p99: run.p99, cpuUs: run.cpuUsPerRequest, other: run.otherCpu }));
await stop(app.proc);
if (which === 'mysql') await mysqlServer.stop();
process.exit(0);
