// Real headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for UI end-to-end tests.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { ROOT, tempDir } from './agent-process.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Where screenshots go: UI_SCREENSHOT_DIR (docs/screenshots to refresh the committed ones) or dist/screenshots. */
export const SCREENSHOT_DIR = process.env.UI_SCREENSHOT_DIR ?? join(ROOT, 'dist', 'screenshots');

export interface Browser {
  context: BrowserContext;
  page(): Promise<Page>;
  close(): Promise<void>;
}

/** Launches Chromium headless with a fresh user-data-dir; fails loudly when Chromium is missing. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  const profile = tempDir('chromium');
  const context = await chromium.launchPersistentContext(profile.path, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 860 },
    timeout: 60_000,
  });
  context.setDefaultTimeout(20_000);
  return {
    context,
    page: async () => {
      const p = await context.newPage();
      p.on('pageerror', (e) => console.error(`page error: ${e.message}`));
      return p;
    },
    close: async () => {
      await context.close().catch(() => undefined);
      profile.remove();
    },
  };
}

const CONTROL_ROLES = ['button', 'link', 'textbox', 'searchbox', 'combobox', 'radio', 'checkbox', 'img', 'dialog', 'listbox', 'slider', 'spinbutton', 'switch', 'tab'];

/** Every control on the page has an accessible name (role + label), per Chromium's accessibility tree. */
export async function assertNamedControls(page: Page): Promise<void> {
  const tree = await page.locator('body').ariaSnapshot();
  const unnamed = tree.split('\n').filter((line) => {
    const m = /^\s*- (\w+)(.*)$/.exec(line);
    return m !== null && CONTROL_ROLES.includes(m[1] as string) && !/^ "/.test(m[2] as string);
  });
  if (unnamed.length > 0) throw new Error(`controls without an accessible name on ${page.url()}:\n${unnamed.join('\n')}\n--- tree ---\n${tree}`);
}

/** Saves a full-page screenshot, after checking that every control on it is named. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await assertNamedControls(page);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Polls a locator's text until it matches (the UI polls the agent every 2–5 s). */
export async function waitForText(locator: Locator, re: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      last = await locator.innerText({ timeout: 2_000 });
      if (re.test(last)) return last;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in ${locator.toString()}; last text: ${JSON.stringify(last.slice(0, 400))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
