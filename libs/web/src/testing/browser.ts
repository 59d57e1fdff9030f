// Headless Debian Chromium through playwright-core (never a downloaded browser), with a fresh profile.
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { SCREENSHOT_DIR } from './fixtures.ts';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface BrowserHandle {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<BrowserHandle> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_BIN)`);
  const profile = mkdtempSync(join(tmpdir(), 'hls-web-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // The profile dir is passed as --user-data-dir by playwright itself.
    args: ARGS,
    viewport: { width: 1200, height: 800 },
  });
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      // Fail loudly on page errors instead of timing out on a silent one.
      page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Keep a screenshot as a test artifact (gitignored .test-results/screenshots/web/). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
