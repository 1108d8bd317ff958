// `npm run cli -- <command> [options]`: the operator's command line (src/cli/), run from the compiled tree
// dist/src/ (it needs no bundle). It compiles first (tsc -p tsconfig.build.json, incremental) when anything the
// build is made from is newer than the last compilation, so neither a fresh clone after `npm ci` nor a pulled
// change runs a stale build; otherwise it starts at once. The compiler's output goes to standard error:
// standard output is the command's answer.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Written by every compilation of tsconfig.build.json (npm run build's too). */
const BUILD_INFO = path.join(ROOT, 'dist', '.tsbuildinfo');
const ENTRY = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const BUILT_FROM = ['src', 'ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function newestChange(file) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs.readdirSync(file).reduce((newest, name) => Math.max(newest, newestChange(path.join(file, name))), stat.mtimeMs);
}

function isStale() {
  if (!fs.existsSync(ENTRY) || !fs.existsSync(BUILD_INFO)) return true;
  const builtAt = fs.statSync(BUILD_INFO).mtimeMs;
  return BUILT_FROM.some((name) => newestChange(path.join(ROOT, name)) > builtAt);
}

if (isStale()) {
  process.stderr.write('Compiling (tsc -p tsconfig.build.json)…\n');
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) {
    process.stderr.write(`error: the build failed (tsc exit status ${result.status ?? result.signal})\n`);
    process.exit(1);
  }
  // tsc rewrites its build info only when an output changed: marked as built now, the next run compiles nothing.
  const now = new Date();
  fs.utimesSync(BUILD_INFO, now, now);
}

// The compiled entry reads process.argv itself, which is the same here: node, this file, the command line.
await import(pathToFileURL(ENTRY).href);
