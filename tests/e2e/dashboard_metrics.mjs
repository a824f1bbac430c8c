// The dashboard's reading of the Prometheus text format (host/dashboard/metrics.js, loaded as
// the page loads it): labels with escapes, +Inf, timestamps, sums per module, 5xx, and p99 as
// histogram_quantile computes it. Exit 0 when all held; otherwise 1 and what did not.
//
//   node dashboard_metrics.mjs <path of host/dashboard/metrics.js>
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';

const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: dashboard_metrics.mjs <metrics.js>');
  process.exit(2);
}
await import(pathToFileURL(file).href);
const { parseMetrics, figuresByModule, p99, bucketDelta } = globalThis.BerthMetrics;

const text = `# HELP berth_requests_total Requests answered.
# TYPE berth_requests_total counter
berth_requests_total{module="users",major="1",route="/v1/users/{id}",status_class="2xx"} 7
berth_requests_total{module="users",major="1",route="/v1/sessions",status_class="2xx"} 3 1764331200000
berth_requests_total{module="users",major="1",route="unmatched",status_class="5xx"} 2
berth_requests_total{module="odd \\"name\\" \\\\ x}",route="host",status_class="4xx"} 1
berth_in_flight_requests{module="users",generation="1"} 4
# TYPE berth_request_duration_seconds histogram
berth_request_duration_seconds_bucket{module="users",route="/v1/sessions",le="0.005"} 60
berth_request_duration_seconds_bucket{module="users",route="/v1/sessions",le="0.01"} 66
berth_request_duration_seconds_bucket{module="users",route="/v1/sessions",le="+Inf"} 67
berth_request_duration_seconds_bucket{module="users",route="/v1/users/{id}",le="0.005"} 30
berth_request_duration_seconds_bucket{module="users",route="/v1/users/{id}",le="0.01"} 33
berth_request_duration_seconds_bucket{module="users",route="/v1/users/{id}",le="+Inf"} 33
berth_request_duration_seconds_sum{module="users",route="/v1/users/{id}"} 0.1
berth_process_resident_memory_bytes 1.2e+07
`;

const checks = [];
function check(name, f) {
  try {
    f();
    checks.push(name);
  } catch (e) {
    console.error(`${name}: ${e.message}`);
    process.exitCode = 1;
  }
}

check('every sample line is read, comments are not', () => {
  const samples = parseMetrics(text);
  assert.equal(samples.length, 13);
  assert.equal(samples.at(-1).value, 12_000_000);
  assert.deepEqual(samples[1].labels.route, '/v1/sessions');
  assert.equal(samples[1].value, 3, 'a timestamp is not the value');
});
check('label values keep their escaped quotes, backslashes and braces', () => {
  const odd = parseMetrics(text).find((s) => s.labels.route === 'host');
  assert.equal(odd.labels.module, 'odd "name" \\ x}');
});
check('+Inf is infinite', () => {
  assert.equal(parseMetrics(text).filter((s) => s.labels.le === '+Inf').length, 2);
});
check('requests and 5xx are summed per module over routes and majors, in-flight is not a request', () => {
  const users = figuresByModule(parseMetrics(text)).get('users');
  assert.equal(users.requests, 12);
  assert.equal(users.errors, 2);
});
check('the latency histogram is summed over routes', () => {
  const b = figuresByModule(parseMetrics(text)).get('users').buckets;
  assert.deepEqual([...b.entries()], [[0.005, 90], [0.01, 99], [Infinity, 100]]);
});
check('p99 interpolates within its bucket', () => {
  const b = figuresByModule(parseMetrics(text)).get('users').buckets;
  assert.ok(Math.abs(p99(b) - 0.01) < 1e-12, String(p99(b)));
  assert.ok(Math.abs(p99(new Map([[0.1, 50], [0.2, 100], [Infinity, 100]])) - 0.198) < 1e-12);
});
check('p99 in the +Inf bucket is the highest finite bound; none without observations', () => {
  assert.equal(p99(new Map([[0.1, 0], [0.5, 0], [Infinity, 10]])), 0.5);
  assert.equal(p99(new Map([[0.1, 0], [Infinity, 0]])), null);
  assert.equal(p99(new Map()), null);
});
check('p99 over a window reads the difference of two scrapes', () => {
  const then = new Map([[0.01, 100], [1, 100], [Infinity, 100]]);
  const now = new Map([[0.01, 100], [1, 200], [Infinity, 200]]);
  assert.ok(p99(bucketDelta(now, then)) > 0.9, 'the last 100 requests were all slow');
});

if (!process.exitCode) console.log(`dashboard metrics: ${checks.length} checks held`);
