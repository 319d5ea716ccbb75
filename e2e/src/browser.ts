import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.MESHCAP_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Debian's Chromium, headless, with no background networking (this machine's network is closed).
 * Playwright gives it a fresh temporary profile and removes it on close.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Where screenshots and downloads of a run go. */
export const OUTPUT_DIR = new URL('../output/', import.meta.url).pathname;
