// The Swagger UI end to end, in Debian's Chromium driven headless by playwright-core (never a
// downloaded browser): a module's /docs runs "Try it out" on GET /v1/products and sees 200 and
// its body; the admin /docs shows the operations of all four shop modules. Screenshots go to
// the directory given. Exit 0 when all held; otherwise 1 and a line saying what did not (and
// failure.png of the page it happened on).
//
//   node swagger_ui.mjs <products /docs URL> <admin /docs URL> <screenshot dir>
import fs from 'node:fs';
import path from 'node:path';
import { launch, step } from './browser.mjs';

const [productsUrl, adminUrl, shotDir] = process.argv.slice(2);
if (!productsUrl || !adminUrl || !shotDir) {
  console.error('usage: swagger_ui.mjs <products docs url> <admin docs url> <screenshot dir>');
  process.exit(2);
}
const modules = ['users', 'products', 'categories', 'payment'];

fs.mkdirSync(shotDir, { recursive: true });
let browser;
let current;  // the page being looked at, for a screenshot of what went wrong
const problems = [];  // what the pages did that they must not: CSP refusals, script errors, other origins

function watch(page, origin) {
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error on ${origin}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`script error on ${origin}: ${e.message}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.origin !== origin) problems.push(`request to another origin: ${r.url()}`);
  });
}

async function operationsOf(page) {
  await page.locator('.opblock').first().waitFor({ timeout: step });
  return page.$$eval('.opblock', (blocks) => blocks.map((b) => {
    const method = b.querySelector('.opblock-summary-method')?.textContent.trim();
    const p = b.querySelector('[data-path]')?.getAttribute('data-path');
    const tag = b.closest('.opblock-tag-section')?.querySelector('[data-tag]')?.getAttribute('data-tag');
    return { method, path: p, tag };
  }));
}

try {
  browser = await launch('swagger_ui');
  const context = browser.context;
  const result = {};

  // --- the products module's own page ---
  const page = await context.newPage();
  current = page;
  watch(page, new URL(productsUrl).origin);
  await page.goto(productsUrl, { timeout: step });
  const ops = await operationsOf(page);
  result.products_operations = ops.length;
  if (!ops.some((o) => o.method === 'GET' && o.path === '/v1/products'))
    throw new Error(`GET /v1/products is not among the operations shown: ${JSON.stringify(ops)}`);
  const list = page.locator('.opblock.opblock-get:has([data-path="/v1/products"])').first();
  await list.locator('.opblock-summary-control').click({ timeout: step });
  await list.locator('.try-out__btn').click({ timeout: step });
  await list.locator('.btn.execute').click({ timeout: step });
  const live = list.locator('.live-responses-table .response').first();
  await live.waitFor({ timeout: step });
  // The status cell may add "Undocumented" when the document declares no such response.
  result.status = ((await live.locator('.response-col_status').textContent()).match(/\d{3}/) || ['none'])[0];
  result.body = (await live.locator('.response-col_description pre').first().textContent()).trim();
  if (result.status !== '200') throw new Error(`Try it out answered ${result.status}: ${result.body}`);
  JSON.parse(result.body);  // the body shown is the JSON the module sent
  await page.screenshot({ path: path.join(shotDir, 'products-docs.png'), fullPage: true });

  // --- the admin listener's page: the merged document ---
  const admin = await context.newPage();
  current = admin;
  watch(admin, new URL(adminUrl).origin);
  await admin.goto(adminUrl, { timeout: step });
  const merged = await operationsOf(admin);
  result.admin_operations = merged.length;
  for (const m of modules) {
    const found = merged.filter((o) => o.tag === m).length;
    result[`admin_${m}`] = found;
    if (found === 0) throw new Error(`the admin page shows no operation tagged ${m}: ${JSON.stringify(merged)}`);
  }
  result.module_links = await admin.$$eval('nav.berth-modules a', (as) => as.map((a) => a.textContent));
  for (const m of modules)
    if (!result.module_links.includes(m)) throw new Error(`the admin page has no link to ${m}'s page`);
  await admin.screenshot({ path: path.join(shotDir, 'admin-docs.png'), fullPage: true });

  if (problems.length) throw new Error(problems.join('\n'));
  console.log(JSON.stringify(result));
} catch (e) {
  console.error(`swagger_ui: ${e.message}`);
  if (current) await current.screenshot({ path: path.join(shotDir, 'failure.png'), fullPage: true }).catch(() => {});
  if (problems.length) console.error(problems.join('\n'));
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
}
