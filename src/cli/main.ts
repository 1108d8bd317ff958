import 'reflect-metadata';
import { runCli } from './cli';

/** Long enough for the database and Redis to close; a handle that would keep the process alive beyond it is cut. */
const EXIT_GRACE_MS = 3000;

// A reader that stops early (`… | head -1`) has what it wanted: the rest of the answer is dropped, and the
// command finishes (its audit entry is still written).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

try {
  process.loadEnvFile();
} catch {
  // No .env file: the environment alone configures the command line, as it does the server.
}

void runCli(process.argv.slice(2), {
  env: process.env,
  out: (text) => {
    if (!process.stdout.destroyed) process.stdout.write(text);
  },
  err: (text) => process.stderr.write(text),
}).then((code) => {
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
});
