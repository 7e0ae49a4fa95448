/**
 * A real browser for the page's tests: Debian's chromium driven by playwright-core (which downloads
 * nothing). A missing chromium fails the tests with what to do; they are never skipped.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/config.ts';

/** CHROMIUM_PATH overrides where chromium is; Debian's package installs it here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** Screenshots and other artifacts (git-ignored); TEST_ARTIFACTS_DIR overrides it, e.g. for a CI upload. */
export const ARTIFACTS_DIR = path.resolve(PROJECT_ROOT, process.env.TEST_ARTIFACTS_DIR || 'test-results');

const LAUNCH_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`The browser tests need chromium at ${CHROMIUM_PATH}: install Debian's package `
      + '(`apt-get install -y chromium`, as .ci/run does) or set CHROMIUM_PATH to a chromium binary.');
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_FLAGS, headless: true });
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return path.join(ARTIFACTS_DIR, name);
}

/**
 * Uncaught exceptions in a page, for asserting there were none. (Console errors are not counted: the
 * browser logs every 409 and every failed reconnect attempt there, which the tests cause on purpose.)
 */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}
