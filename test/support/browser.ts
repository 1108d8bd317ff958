import { accessSync, constants } from 'node:fs';
import { describe } from 'node:test';
import { Browser, chromium } from 'playwright-core';

/** Debian's chromium package: nothing is downloaded (.ci/run installs it). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why browser tests cannot run on this machine; undefined when they can. */
export function browserUnavailable(): string | undefined {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return undefined;
  } catch {
    return `no Chromium at ${CHROMIUM_PATH} (Debian: apt-get install chromium)`;
  }
}

/** Debian's Chromium, headless; --no-sandbox as the tests run as root in containers. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/**
 * A suite that drives a real browser: skipped, with a line saying why, where no Chromium is installed. CI
 * always has one (.ci/run installs it), so there a missing browser fails the run instead of skipping it.
 */
export function describeInBrowser(name: string, suite: () => void): void {
  const unavailable = browserUnavailable();
  if (unavailable && process.env.CI !== 'true') {
    process.stdout.write(`Browser tests skipped: ${unavailable}\n`);
    describe(name, { skip: `browser tests skipped: ${unavailable}` }, suite);
    return;
  }
  describe(name, suite);
}
