// `npm run build`, second step: the compiled server (dist/src/main.js) and what it imports, in one file,
// dist/server.js, which `npm start` runs.
//
// Why: NestJS 12 is ES modules, loaded through require() of ESM file by file: resolving, reading and linking
// some 1,500 files was two thirds of the start (start to ready 1.5–1.9 s on this machine, 1.0–1.2 s bundled).
//
//   node scripts/bundle.mjs [entry] [outfile]     defaults: dist/src/main.js dist/server.js
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Left to node_modules, loaded as before:
 * - native addons (bcrypt, better-sqlite3);
 * - what the server loads only when configured (common/on-demand.ts): mysql2, ioredis, nodemailer;
 * - typeorm, the largest (2.4 MB), and libphonenumber-js and validator (class-validator's, 0.7 MB): bundled,
 *   all of their code is parsed at start, most of it for nothing, and idle RSS rose by 5–8 MB;
 *   reflect-metadata with typeorm, so that both see one metadata store;
 * - packages that read files beside their own code (swagger-ui-dist's pages, @fastify/static);
 * - optional packages NestJS imports only when an app uses them, which this one does not install.
 */
export const EXTERNAL = [
  'bcrypt',
  'better-sqlite3',
  'mysql2',
  'ioredis',
  'nodemailer',
  'typeorm',
  'reflect-metadata',
  'libphonenumber-js',
  'validator',
  'swagger-ui-dist',
  '@fastify/static',
  '@nestjs/microservices',
  '@nestjs/platform-express',
  '@nestjs/websockets',
  '@fastify/multipart',
  '@fastify/view',
];

export async function bundle(entry = path.join(ROOT, 'dist/src/main.js'), outfile = path.join(ROOT, 'dist/server.js')) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Package names as prefixes: '@nestjs/websockets' also covers '@nestjs/websockets/socket-module.js'.
    external: EXTERNAL.flatMap((name) => [name, `${name}/*`]),
    // ES modules bundled into CommonJS: import.meta.url becomes the bundle's own URL (@nestjs/typeorm's createRequire).
    banner: { js: "const __bundle_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__bundle_import_meta_url' },
    // No keepNames: it wraps functions in a call that sets their `name`, and GET /health/live cost 38–41 µs of
    // CPU instead of 20–33. Our code stays CommonJS, each module in its own scope, so its class names (DTOs in
    // the OpenAPI document, log contexts, migrations) are kept; NestJS's own classes, hoisted into one scope,
    // may be renamed (`_RouterExplorer`), which the log undoes (common/logger.ts).
    keepNames: false,
    // The source stays in memory as long as the server runs: without the indentation, 6.5 → 4.0 MB and 7 MB
    // less RSS. Stack traces point into the bundle; `node --enable-source-maps` maps them back to src/.
    minifyWhitespace: true,
    sourcemap: 'linked',
    logLevel: 'warning',
    logOverride: { 'require-resolve-not-external': 'silent' },
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [entry, outfile] = process.argv.slice(2);
  await bundle(entry && path.resolve(entry), outfile && path.resolve(outfile));
}
