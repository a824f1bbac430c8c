// Berth dashboard: the Prometheus text format (0.0.4) as the page needs it, per module: requests
// and 5xx so far, and the latency histogram summed over routes. No DOM here: Node's tests load
// this file as it is (tests/e2e/dashboard_metrics.mjs).
'use strict';

(function () {
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

function unescapeLabel(v) {
  return v.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
}

function parseValue(text) {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

// [{name, labels, value}] for every sample line; comments and malformed lines are skipped.
function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = SAMPLE_LINE.exec(line.trim());
    if (!m) continue;
    const labels = {};
    if (m[2]) {
      LABEL.lastIndex = 0;
      let l;
      while (LABEL.lastIndex < m[2].length && (l = LABEL.exec(m[2]))) labels[l[1]] = unescapeLabel(l[2]);
    }
    samples.push({ name: m[1], labels, value: parseValue(m[3]) });
  }
  return samples;
}

// The status class of a request sample, whatever the label is called: "5xx", "500", 5.
function statusClass(labels) {
  const v = labels.status_class ?? labels.class ?? labels.code ?? labels.status ?? '';
  return String(v).charAt(0);
}

const isRequestCounter = (name) => /requests_total$/.test(name) && !/in_flight|refus|queue/.test(name);
const isLatencyBucket = (name) => /(latency|duration).*_bucket$/.test(name);

// Per module: requests and 5xx so far, and the latency histogram summed over routes (le -> count).
function figuresByModule(samples) {
  const out = new Map();
  const of = (module) => {
    if (!out.has(module)) out.set(module, { requests: 0, errors: 0, buckets: new Map() });
    return out.get(module);
  };
  for (const s of samples) {
    const module = s.labels.module;
    if (!module || !Number.isFinite(s.value)) continue;
    if (isRequestCounter(s.name)) {
      const f = of(module);
      f.requests += s.value;
      if (statusClass(s.labels) === '5') f.errors += s.value;
    } else if (isLatencyBucket(s.name) && s.labels.le !== undefined) {
      const b = of(module).buckets;
      const le = parseValue(s.labels.le);
      b.set(le, (b.get(le) || 0) + s.value);
    }
  }
  return out;
}

// The 0.99 quantile of cumulative buckets (le -> count), interpolated within its bucket as
// Prometheus's histogram_quantile does; null without observations.
function p99(buckets) {
  const les = [...buckets.keys()].sort((a, b) => a - b);
  if (!les.length) return null;
  const total = buckets.get(les[les.length - 1]);
  if (!(total > 0)) return null;
  const rank = 0.99 * total;
  let lower = 0;
  let below = 0;
  for (const le of les) {
    const count = buckets.get(le);
    if (count >= rank) {
      if (le === Infinity) return lower;
      const inBucket = count - below;
      return inBucket > 0 ? lower + (le - lower) * ((rank - below) / inBucket) : le;
    }
    lower = le;
    below = count;
  }
  return lower;
}

function bucketDelta(now, then) {
  const d = new Map();
  for (const [le, v] of now) d.set(le, Math.max(0, v - ((then && then.get(le)) || 0)));
  return d;
}

globalThis.BerthMetrics = { parseMetrics, figuresByModule, p99, bucketDelta };
}());
