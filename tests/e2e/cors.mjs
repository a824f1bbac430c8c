// CORS in a real browser: a page on an allowed origin calls a module (POST with a JSON body, so
// the browser sends a preflight first) and reads the answer and its X-Request-Id; a page on
// another origin makes the same call and the browser refuses it, before sending it. The app
// pages are served by the browser itself (request interception, removed before the calls):
// nothing listens on their origins.
// Exit 0 when both held; otherwise 1 and a line saying what did not.
//
//   node cors.mjs <module base URL> <allowed origin> <refused origin>
import { launch, step } from './browser.mjs';

const [moduleUrl, allowed, refused] = process.argv.slice(2);
if (!moduleUrl || !allowed || !refused) {
  console.error('usage: cors.mjs <module base url> <allowed origin> <refused origin>');
  process.exit(2);
}

// Runs in the app page: what its script sees of the cross-origin call.
async function call(url) {
  try {
    const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                 body: JSON.stringify({ name: 'ada' }) });
    return { status: r.status, requestId: r.headers.get('X-Request-Id'), body: await r.text() };
  } catch (e) {
    return { error: `${e.name}: ${e.message}` };
  }
}

let browser;
try {
  browser = await launch('cors');
  const { context } = browser;
  // The module listens on loopback and the apps' names resolve nowhere: Chromium asks before a
  // page reaches the loopback address space (Local Network Access); a user would say yes.
  await context.grantPermissions(['local-network-access']);
  const page = await context.newPage();
  const result = {};
  for (const [name, origin] of [['allowed', allowed], ['refused', refused]]) {
    await context.route((u) => u.origin === origin,
                        (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>app</title>' }));
    await page.goto(`${origin}/`, { timeout: step });
    // While any route is set, playwright answers every preflight itself (204, any origin):
    // the module's own answer is what must decide.
    await context.unrouteAll();
    result[name] = await page.evaluate(call, `${moduleUrl}/v1/greetings`);
  }
  console.log(JSON.stringify(result));
  const a = result.allowed, r = result.refused;
  if (a.status !== 201 || !a.body.includes('ada') || !a.requestId)
    throw new Error(`the allowed origin did not get the answer and its X-Request-Id: ${JSON.stringify(a)}`);
  if (!r.error) throw new Error(`the other origin was let through: ${JSON.stringify(r)}`);
} catch (e) {
  console.error(`cors: ${e.message}`);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
}
