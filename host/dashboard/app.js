// Berth dashboard: reads the admin API of its own origin with the admin token (kept in
// sessionStorage, never in a URL) and draws each module, its rates from /metrics and the swap
// history from /events. Everything shown is set as text (never as HTML): module names, reasons
// and versions come from plugins and config.
'use strict';

const TOKEN_KEY = 'berth.admin.token';
const SAMPLE_MS = 2000;  // how often /modules, /metrics and /events are read
const KEPT_SAMPLES = 60;  // two minutes of sparkline
const P99_WINDOW = 15;  // samples: p99 over the last 30 s
const KEPT_HISTORY = 200;
// A rollback is a swap (trigger `rollback`, `restores`): the host has no `rollback` kind.
const HISTORY_KINDS = new Set(['swap', 'retire']);

const state = {
  token: null,
  timer: null,
  series: new Map(),  // module -> [{t, requests, errors, buckets}]
  history: [],        // swap and retire events, oldest first
  after: 0,           // the last event seq read
  confirming: null,   // the module whose rollback button waits for its second click
  busy: false,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

// ---- the admin API --------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${state.token}` };
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body ?? {});
  }
  const r = await fetch(path, init);
  const type = r.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await r.json() : await r.text();
  if (!r.ok) throw new ApiError(r.status, (data && data.detail) || `${method} ${path} answered ${r.status}`);
  return data;
}

// ---- the token: from a one-time link, or typed ------------------------------------------------

function codeFromFragment() {
  const m = /^#code=([0-9a-f]{1,128})$/.exec(location.hash);
  // The fragment goes at once: out of the address bar, the history and any bookmark.
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  return m ? m[1] : null;
}

async function exchange(code) {
  const r = await fetch('/dashboard/session', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }),
    cache: 'no-store', credentials: 'omit',
  });
  const data = await r.json().catch(() => ({}));
  if (!r.ok || typeof data.token !== 'string') throw new Error(data.detail || `the link was refused (${r.status})`);
  return data.token;
}

function showLogin(why) {
  stop();
  $('board').hidden = true;
  $('sign-out').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = why || '';
  $('status').textContent = 'signed out';
  $('token').focus();
}

function signIn(token) {
  state.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  $('login').hidden = true;
  $('board').hidden = false;
  $('sign-out').hidden = false;
  run();
}

function signOut(why) {
  state.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  showLogin(why);
}

const { parseMetrics, figuresByModule, p99, bucketDelta } = globalThis.BerthMetrics;

function record(figures, t) {
  for (const [module, f] of figures) {
    if (!state.series.has(module)) state.series.set(module, []);
    const s = state.series.get(module);
    // A read between two samples (after a click) redraws but makes no sample: a rate over a few
    // milliseconds would read as a drop to zero.
    if (s.length && t - s[s.length - 1].t < SAMPLE_MS * 0.75) continue;
    s.push({ t, ...f });
    if (s.length > KEPT_SAMPLES + 1) s.shift();
  }
}

// Per-second rates between consecutive samples; a counter that went down (a restart) counts 0.
function rates(module, field) {
  const s = state.series.get(module) || [];
  const out = [];
  for (let i = 1; i < s.length; ++i) {
    const dt = (s[i].t - s[i - 1].t) / 1000;
    out.push(dt > 0 ? Math.max(0, s[i][field] - s[i - 1][field]) / dt : 0);
  }
  return out;
}

function recentP99(module) {
  const s = state.series.get(module) || [];
  if (!s.length) return { value: null, recent: false };
  const last = s[s.length - 1];
  const first = s[Math.max(0, s.length - 1 - P99_WINDOW)];
  const recent = first === last ? null : p99(bucketDelta(last.buckets, first.buckets));
  if (recent !== null) return { value: recent, recent: true };
  return { value: p99(last.buckets), recent: false };
}

// ---- drawing ----------------------------------------------------------------------------------

const SVG = 'http://www.w3.org/2000/svg';

function sparkline(values, kind) {
  const w = 130;
  const h = 26;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', `spark ${kind}`);
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('role', 'img');
  const base = document.createElementNS(SVG, 'line');
  base.setAttribute('x1', '0');
  base.setAttribute('x2', String(w));
  base.setAttribute('y1', String(h - 1));
  base.setAttribute('y2', String(h - 1));
  svg.append(base);
  if (values.length > 1) {
    const max = Math.max(...values, 1e-9);
    const step = w / (KEPT_SAMPLES - 1);
    const x0 = w - step * (values.length - 1);
    const points = values.map((v, i) => `${(x0 + i * step).toFixed(1)},${(h - 1 - (v / max) * (h - 3)).toFixed(1)}`);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', points.join(' '));
    svg.append(line);
  }
  return svg;
}

const rate = (v) => (v === undefined ? '–' : `${v < 10 ? v.toFixed(1) : Math.round(v)}/s`);

function millis(seconds) {
  if (seconds === null) return '–';
  const ms = seconds * 1000;
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
}

function generationText(g, role) {
  if (!g) return null;
  return `${role}: generation ${g.number}${g.version ? ` (${g.version})` : ''}`;
}

function readiness(m) {
  if (typeof m.ready === 'boolean') return m.ready;
  return m.state === 'serving' && m.bound !== false;  // a host without "ready" in its snapshots
}

function moduleCard(m) {
  const name = m.name;
  const ready = readiness(m);
  const card = el('article', { class: 'module', 'data-module': name });
  card.append(el('h3', {}, name, el('span', { class: `badge ${ready ? 'ready' : 'not-ready'}`, 'data-ready': String(ready) },
    ready ? 'ready' : 'not ready')));
  const port = m.bound === false ? 'not listening' : `port ${m.port}`;
  card.append(el('div', { class: 'meta' }, `${m.plugin || '?'} ${m.version || ''} · ${port} · ${m.state || '?'}`));
  const worker = m.active && m.active.worker;  // isolation "process": the generation's worker
  if (worker) {
    const restarts = `${worker.restarts} restart${worker.restarts === 1 ? '' : 's'}`;
    const pid = worker.pid ? `pid ${worker.pid}` : 'no pid';
    card.append(el('div', { class: `worker${worker.state === 'serving' ? '' : ' bad'}`, 'data-worker-state': worker.state },
      `process ${pid}, ${restarts}${worker.state === 'serving' ? '' : ` · ${worker.state}`}`));
  }

  const gens = el('ul', { class: 'generations' });
  const lines = [generationText(m.active, 'active')];
  for (const g of m.older || []) lines.push(generationText(g, 'also serving'));
  for (const g of m.draining || []) lines.push(generationText(g, `draining (${g.in_flight ?? 0} in flight)`));
  lines.push(generationText(m.previous, 'previous'));
  for (const line of lines) if (line) gens.append(el('li', {}, line));
  if (m.last_error && m.last_error.message) gens.append(el('li', { class: 'bad' }, `last error (${m.last_error.step}): ${m.last_error.message}`));
  card.append(gens);

  const req = rates(name, 'requests');
  const err = rates(name, 'errors');
  const series = state.series.get(name) || [];
  const last = series[series.length - 1];
  const q = recentP99(name);
  const figures = el('div', { class: 'figures' });
  figures.append(el('span', {}, 'requests'), sparkline(req, 'requests'), el('span', { class: 'value rate' }, rate(req[req.length - 1])));
  figures.append(el('span', {}, '5xx errors'), sparkline(err, 'errors'), el('span', { class: 'value' }, rate(err[err.length - 1])));
  figures.append(el('span', {}, 'p99'), el('span', { class: 'note' }, q.recent ? 'last 30 s' : 'since start'),
    el('span', { class: 'value p99' }, millis(q.value)));
  figures.append(el('span', {}, 'total'), el('span'),
    el('span', { class: 'value requests-total', 'data-requests': String(last ? last.requests : 0) }, last ? `${last.requests} request${last.requests === 1 ? '' : 's'}` : '–'));
  card.append(figures);

  const button = el('button', { type: 'button', class: 'rollback', 'data-module': name });
  if (!m.previous) {
    button.textContent = 'Roll back';
    button.disabled = true;
    button.title = 'no previous generation to go back to';
  } else if (state.confirming === name) {
    button.textContent = `Confirm: back to generation ${m.previous.number}`;
    button.className = 'rollback confirm';
  } else {
    button.textContent = `Roll back to generation ${m.previous.number}`;
  }
  button.disabled = button.disabled || state.busy;
  button.addEventListener('click', () => rollback(name));
  card.append(el('div', { class: 'actions' }, button));
  return card;
}

function drawModules(modules) {
  const box = $('modules');
  box.replaceChildren(...modules.map(moduleCard));
}

// Local wall-clock time, 24 h, with seconds: events come seconds apart.
function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso ?? '') : d.toLocaleTimeString([], { hour12: false });
}

function historyRow(e) {
  const f = e.fields || {};
  const outcome = f.outcome || (e.kind === 'retire' ? `retired ${f.major ?? ''}` : '');
  const gens = f.from_generation !== undefined || f.to_generation !== undefined
    ? `${f.from_generation ?? '–'} → ${f.to_generation ?? '–'}` : '';
  const reason = [f.step, f.reason].filter((x) => x !== undefined && x !== '').join(': ');
  return el('tr', { class: String(f.outcome || e.kind), 'data-kind': e.kind, 'data-module': e.module || '', 'data-outcome': outcome },
    el('td', { class: 'nowrap' }, clock(e.time)), el('td', {}, e.module || 'host'), el('td', {}, e.kind),
    el('td', {}, outcome), el('td', { class: 'nowrap' }, gens), el('td', {}, f.version ?? ''), el('td', { class: 'nowrap' }, f.trigger ?? ''),
    el('td', {}, reason));
}

function drawHistory() {
  $('history').tBodies[0].replaceChildren(...state.history.slice().reverse().map(historyRow));
}

// ---- reading --------------------------------------------------------------------------------

// Returns a note when the host restarted since the last read (its newest event is older than
// the last one read): its sequence began again, so reading starts again from 0.
async function readEvents() {
  let note = '';
  for (let pages = 0; pages < 10; ++pages) {
    const r = await api('GET', `/events?after=${state.after}&limit=1000`);
    if (Number(r.last) < state.after) {
      note = `the host restarted (its events start again at 1; ${state.after} were read before)`;
      state.after = 0;
      continue;
    }
    const events = Array.isArray(r.events) ? r.events : [];
    for (const e of events) if (HISTORY_KINDS.has(e.kind)) state.history.push(e);
    if (state.history.length > KEPT_HISTORY) state.history.splice(0, state.history.length - KEPT_HISTORY);
    const next = Number(r.next);
    if (!events.length || !(next > state.after)) break;
    state.after = next;
  }
  return note;
}

async function tick() {
  const notes = [];
  try {
    const t = Date.now();
    const [modules, metrics] = await Promise.all([
      api('GET', '/modules'),
      api('GET', '/metrics').catch((e) => { if (e.status === 401) throw e; notes.push(`metrics: ${e.message}`); return ''; }),
    ]);
    const restarted = await readEvents().catch((e) => { if (e.status === 401) throw e; notes.push(`events: ${e.message}`); });
    if (restarted) notes.push(restarted);
    const list = Array.isArray(modules) ? modules : modules.modules || modules.plugins || [];
    const figures = figuresByModule(parseMetrics(metrics));
    // A module /metrics has no line for yet has answered nothing: zero, not unknown.
    if (metrics) for (const m of list) if (!figures.has(m.name)) figures.set(m.name, { requests: 0, errors: 0, buckets: new Map() });
    record(figures, t);
    drawModules(list);
    drawHistory();
    $('history-note').textContent = notes.join(' · ');
    $('status').textContent = `${list.length} modules · updated ${clock(new Date(t).toISOString())}`;
  } catch (e) {
    if (e.status === 401) return signOut('the admin token was refused');
    $('status').textContent = `cannot reach the admin API: ${e.message}`;
  }
}

function run() {
  stop();
  tick();
  state.timer = setInterval(tick, SAMPLE_MS);
}

function stop() {
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
}

async function rollback(name) {
  if (state.confirming !== name) {
    state.confirming = name;  // the first click arms the button; the second, within 5 s, rolls back
    setTimeout(() => { if (state.confirming === name) state.confirming = null; }, 5000);
    return tick();
  }
  state.confirming = null;
  state.busy = true;
  const message = $('message');
  message.className = 'message';
  message.textContent = `rolling back ${name}...`;
  try {
    const r = await api('POST', `/modules/${encodeURIComponent(name)}/rollback`, {});
    const m = r.module || r.plugin || {};
    message.textContent = `${name}: ${r.detail || 'rolled back'}${m.generation ? ` (now generation ${m.generation})` : ''}`;
  } catch (e) {
    if (e.status === 401) return signOut('the admin token was refused');
    message.className = 'message error';
    message.textContent = `${name}: rollback refused: ${e.message}`;
  } finally {
    state.busy = false;
    tick();
  }
}

// ---- start ----------------------------------------------------------------------------------

async function start() {
  $('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const token = $('token').value.trim();
    $('token').value = '';
    if (token) signIn(token);
  });
  $('sign-out').addEventListener('click', () => signOut(''));
  const code = codeFromFragment();
  if (code) {
    try {
      return signIn(await exchange(code));
    } catch (e) {
      return showLogin(e.message);
    }
  }
  const kept = sessionStorage.getItem(TOKEN_KEY);
  if (kept) return signIn(kept);
  showLogin('');
}

start();
