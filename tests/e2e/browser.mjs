// Debian's Chromium, headless, driven by playwright-core from .deps/npm: never a downloaded
// browser, a fresh profile each run (removed by close()), and a bound on the whole run so that a
// hung browser fails the test instead of holding it.
//   env: BERTH_NPM_DIR (default <tree>/.deps/npm), BERTH_CHROMIUM (default /usr/bin/chromium)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const npmDir = process.env.BERTH_NPM_DIR || path.join(here, '..', '..', '.deps', 'npm');
const { chromium } = await import(pathToFileURL(path.join(npmDir, 'node_modules', 'playwright-core', 'index.mjs')).href);

export const step = 20_000;  // the longest any one wait may take

// Returns { context, close }; exits the process with 1 if `name` has not closed within `limitMs`.
export async function launch(name, limitMs = 90_000) {
  const deadline = setTimeout(() => {
    console.error(`${name}: no result within ${limitMs / 1000} s`);
    process.exit(1);
  }, limitMs);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.BERTH_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
             '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
  } catch (e) {
    clearTimeout(deadline);
    fs.rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  const close = async () => {
    clearTimeout(deadline);
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}
