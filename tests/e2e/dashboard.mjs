// The dashboard end to end, in Debian's Chromium driven headless by playwright-core (never a
// downloaded browser), against a running shop:
//   - opens the one-time link, and checks that the page cleared the code from its URL and keeps
//     the token in sessionStorage only;
//   - sees the four shop modules, then the products module's request count rise under a small
//     load (sent from here, outside the browser) and its sparkline drawn;
//   - asks for a swap that fails (another plugin's library) and one that succeeds (a copy of
//     the products library), through the admin API with the page's token, and sees each in the
//     swap history, the failure with its reason;
//   - rolls products back with the page's button and sees the rollback in the history;
//   - saves dashboard.png in the directory given.
// Exit 0 when all held; otherwise 1 and a line saying what did not (and failure.png).
//
//   node dashboard.mjs <link URL> <products port> <good library> <bad library> <screenshot dir>
import fs from 'node:fs';
import path from 'node:path';
import { launch, step } from './browser.mjs';

const [link, productsPort, goodLibrary, badLibrary, shotDir] = process.argv.slice(2);
if (!link || !productsPort || !goodLibrary || !badLibrary || !shotDir) {
  console.error('usage: dashboard.mjs <link url> <products port> <good library> <bad library> <screenshot dir>');
  process.exit(2);
}
const modules = ['users', 'products', 'categories', 'payment'];
const origin = new URL(link).origin;

fs.mkdirSync(shotDir, { recursive: true });
let browser;
let page;
const problems = [];  // what the page did that it must not: CSP refusals, script errors, other origins
const result = {};
let expectFailure = false;  // while the deliberately bad swap is asked for
let loading = true;  // the paced load runs until the screenshot is taken

const card = (m) => `#modules .module[data-module="${m}"]`;
const requestsOf = (m) => page.$eval(`${card(m)} .requests-total`, (e) => Number(e.dataset.requests));
const historyRows = (m) => page.$$eval(`#history tbody tr[data-module="${m}"]`, (rows) => rows.map((r) => ({
  kind: r.dataset.kind, outcome: r.dataset.outcome, cells: [...r.cells].map((c) => c.textContent),
})));

// A call to the admin API from the page, with the token the page holds.
async function adminCall(method, target, body) {
  return page.evaluate(async ([m, t, b]) => {
    const token = sessionStorage.getItem('berth.admin.token');
    const r = await fetch(t, { method: m, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
                               body: JSON.stringify(b) });
    return { status: r.status, body: await r.json() };
  }, [method, target, body]);
}

// Waits for a history row of module `m` with `kind`, an outcome matching `outcome` (a regex
// source) and, if `reason`, a non-empty reason cell.
async function waitForHistory(m, { kind, outcome, reason = false }, what) {
  await page.waitForFunction(([sel, k, o, needReason]) => [...document.querySelectorAll(sel)].some((r) =>
    r.dataset.kind === k && new RegExp(o).test(r.dataset.outcome) && (!needReason || r.cells[7].textContent.length > 0)),
  [`#history tbody tr[data-module="${m}"]`, kind, outcome, reason], { timeout: step })
    .catch(async () => {
      throw new Error(`the swap history does not show ${what}: ${JSON.stringify(await historyRows(m))}`);
    });
}

try {
  browser = await launch('dashboard');
  page = await browser.context.newPage();
  // A failed call is judged by its answer below (only the deliberate bad swap may fail), not by
  // the console line Chromium writes for it.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console error: ${m.text()}`);
  });
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (r.status() >= 400 && !(u.pathname === '/modules/products/reload' && expectFailure))
      problems.push(`${r.request().method()} ${u.pathname}${u.search} answered ${r.status()}`);
  });
  page.on('pageerror', (e) => problems.push(`script error: ${e.message}`));
  page.on('request', (r) => { if (new URL(r.url()).origin !== origin) problems.push(`request to another origin: ${r.url()}`); });

  // --- the one-time link ---
  await page.goto(link, { timeout: step });
  for (const m of modules) await page.locator(card(m)).waitFor({ timeout: step });
  result.modules = await page.$$eval('#modules .module', (cards) => cards.map((c) => c.dataset.module));
  if (result.modules.length !== modules.length) throw new Error(`expected the four shop modules, saw ${result.modules}`);
  if (page.url().includes('code=')) throw new Error(`the page left the code in its URL: ${page.url()}`);
  const stored = await page.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length,
                                              token: (sessionStorage.getItem('berth.admin.token') || '').length }));
  if (!stored.token || stored.local !== 0) throw new Error(`the token must be in sessionStorage only: ${JSON.stringify(stored)}`);
  result.ready = await page.$$eval('#modules .badge', (bs) => bs.map((b) => b.dataset.ready));

  // --- requests rising under a small load ---
  // The first sample of /metrics is there once the card shows a figure.
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes('requests'),
    `${card('products')} .requests-total`, { timeout: step })
    .catch(async () => { throw new Error(`no request figures on the products card; the page says: ${await page.textContent('#history-note')}`); });
  const before = await requestsOf('products');
  for (let i = 0; i < 40; ++i) {
    const r = await fetch(`http://127.0.0.1:${productsPort}/v1/products`);
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`GET /v1/products answered ${r.status}`);
  }
  await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel)?.dataset.requests) >= n,
    [`${card('products')} .requests-total`, before + 40], { timeout: step })
    .catch(async () => { throw new Error(`products' request count did not rise by 40 from ${before}: ${await requestsOf('products')}`); });
  result.requests = { before, after: await requestsOf('products') };
  // A light load from here on, so that the sparklines in the screenshot have something to show.
  const paced = (async () => {
    while (loading) {
      await fetch(`http://127.0.0.1:${productsPort}/v1/products`).then((r) => r.arrayBuffer()).catch(() => {});
      await new Promise((done) => setTimeout(done, 100));
    }
  })();
  await page.locator(`${card('products')} svg.spark.requests polyline`).waitFor({ timeout: step });

  // --- a swap that fails, with its reason ---
  expectFailure = true;
  const bad = await adminCall('POST', '/modules/products/reload', { library: badLibrary });
  expectFailure = false;
  if (bad.status < 400) throw new Error(`a swap to another plugin's library was not refused: ${JSON.stringify(bad)}`);
  result.failed_swap = bad.status;
  await waitForHistory('products', { kind: 'swap', outcome: '^(failed|refused)$', reason: true }, 'the failed swap with its reason');

  // --- a swap that succeeds ---
  const good = await adminCall('POST', '/modules/products/reload', { library: goodLibrary });
  if (good.status !== 200) throw new Error(`the swap to a copy of products failed: ${JSON.stringify(good)}`);
  result.swapped_to = good.body.module?.generation;
  await waitForHistory('products', { kind: 'swap', outcome: '^swapped$' }, 'the swap');

  // --- rollback with the page's button (two clicks: arm, confirm) ---
  const button = page.locator(`${card('products')} button.rollback`);
  await page.waitForFunction((sel) => document.querySelector(sel) && !document.querySelector(sel).disabled,
    `${card('products')} button.rollback`, { timeout: step });
  await button.click({ timeout: step });
  await page.locator(`${card('products')} button.rollback.confirm`).click({ timeout: step });
  await page.waitForFunction((sel) => /rolled back|generation/.test(document.querySelector(sel).textContent),
    '#message', { timeout: step });
  result.message = await page.textContent('#message');
  if (/refused/.test(result.message)) throw new Error(`the rollback was refused: ${result.message}`);
  // The rollback's own row: a swap whose trigger (the seventh cell) is "rollback", not any new row.
  await page.waitForFunction((sel) => [...document.querySelectorAll(sel)].some((r) =>
    r.dataset.kind === 'swap' && r.dataset.outcome === 'swapped' && r.cells[6].textContent === 'rollback'),
  `#history tbody tr[data-module="products"]`, { timeout: step })
    .catch(async () => {
      throw new Error(`the rollback did not appear in the swap history: ${JSON.stringify(await historyRows('products'))}`);
    });
  result.history = await historyRows('products');

  await page.screenshot({ path: path.join(shotDir, 'dashboard.png'), fullPage: true });
  loading = false;
  await paced;
  if (problems.length) throw new Error(problems.join('\n'));
  console.log(JSON.stringify(result));
} catch (e) {
  console.error(`dashboard: ${e.message}`);
  console.error(`so far: ${JSON.stringify(result)}`);
  if (page) await page.screenshot({ path: path.join(shotDir, 'failure.png'), fullPage: true }).catch(() => {});
  if (problems.length) console.error(problems.join('\n'));
  process.exitCode = 1;
} finally {
  loading = false;
  if (browser) await browser.close();
}
