/**
 * The metric read side against a live server over real files: metric points written as ZSTD
 * Parquet in the data directory's layout (metrics/day=D/<seq>.parquet, two files, one holding a
 * copy of a point of the other, as a retried export leaves it), then read through the HTTP API
 * (list, points, aggregates per bucket and group, 404 and 400 as google.rpc.Status), the CLI
 * (against the data directory and the server) and the web UI's Metrics view in Chromium
 * (search, chart, hover values, group by), with screenshots. Expected figures are computed here
 * from the points written.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { chromium } from 'playwright-core';
import { type Point, writeMetricFiles } from './helpers/metric-points.js';
import { MAIN, ROOT, startServer, tempDataDir } from './helpers/server.js';

const S = 1_000_000_000n;
const MIN = 60n * S;
const now = BigInt(Date.now()) * 1_000_000n;
const base = now - 40n * MIN; // the series start 40 minutes ago, inside the default hour
const routes = { '/cart': [3, 5, 2, 8, 1, 6], '/pay': [1, 0, 4, 2, 2, 3] };
const temps = [21.5, 22, 23.25, 22.75, 21];
const bounds = [5, 10, 25, 50, 100];
const latencies = [[2, 7, 12, 30], [8, 60, 9, 4], [120, 22, 11, 3]];

const points: Point[] = [];
for (const [route, increments] of Object.entries(routes)) {
  let total = 0;
  increments.forEach((inc, i) => {
    total += inc;
    points.push({ name: 'http.server.requests', type: 'SUM', temporality: 'CUMULATIVE', mono: true, unit: '{request}', description: 'Requests served',
      service: 'shop', start: base, time: base + BigInt(i + 1) * 5n * MIN, value: total, attrs: { 'http.route': route } });
  });
}
temps.forEach((v, i) => points.push({ name: 'room.temperature', type: 'GAUGE', unit: 'Cel', service: 'sensors', time: base + BigInt(i + 1) * 6n * MIN, value: v }));
{
  const all: number[] = [];
  latencies.forEach((batch, i) => {
    all.push(...batch);
    const buckets = new Array(bounds.length + 1).fill(0);
    for (const v of all) buckets[bounds.findIndex((b) => v <= b) < 0 ? bounds.length : bounds.findIndex((b) => v <= b)]++;
    points.push({ name: 'http.server.duration', type: 'HISTOGRAM', temporality: 'CUMULATIVE', unit: 'ms', service: 'shop', start: base,
      time: base + BigInt(i + 1) * 10n * MIN, bounds, buckets, count: all.length, sum: all.reduce((a, b) => a + b, 0), min: Math.min(...all), max: Math.max(...all) });
  });
}

const dataDir = tempDataDir();
// Two flush files; the second repeats a point of the first (the same record stored twice).
await writeMetricFiles(dataDir, points.slice(0, 8), 1);
await writeMetricFiles(dataDir, [points[7]!, ...points.slice(8)], 2);
const server = await startServer({ dataDir });
t.teardown(() => server.kill());

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
async function get(pathAndQuery: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${pathAndQuery}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

t.test('GET /api/metrics lists names with type, unit, services, points, first and last seen', async (t) => {
  const { status, body } = await get('/api/metrics');
  t.equal(status, 200);
  const metrics = body.metrics as Array<Record<string, unknown>>;
  t.same(metrics.map((m) => m.metric_name), ['http.server.duration', 'http.server.requests', 'room.temperature']);
  const requests = metrics[1]!;
  t.match(requests, { type: 'SUM', unit: '{request}', description: 'Requests served', temporality: 'CUMULATIVE', is_monotonic: true, services: ['shop'] });
  t.equal(requests.points, sum(Object.values(routes).map((r) => r.length)), 'the point stored twice counts once');
  t.equal(requests.first_seen, String(base + 5n * MIN));
  t.equal(requests.last_seen, String(base + 30n * MIN));
  const sensors = await get('/api/metrics?service=sensors');
  t.same((sensors.body.metrics as Array<{ metric_name: string }>).map((m) => m.metric_name), ['room.temperature'], 'service filter');
});

t.test('GET /api/metrics/<name>: points with attributes; 404 for an unknown name', async (t) => {
  const { status, body } = await get(`/api/metrics/http.server.requests?attr=http.route:/pay&limit=3`);
  t.equal(status, 200);
  const pts = body.points as Array<{ time: string; value: number; attributes: Record<string, string> }>;
  t.same(pts.map((p) => p.value), [4, 5, 6].map((n) => sum(routes['/pay'].slice(0, n))), 'the newest three cumulative values, oldest first');
  t.same(pts[0]!.attributes, { 'http.route': '/pay' });
  const hist = await get('/api/metrics/http.server.duration');
  const last = (hist.body.points as Array<{ count: number; bucket_counts: number[]; explicit_bounds: number[] }>).at(-1)!;
  t.equal(last.count, latencies.flat().length);
  t.same(last.explicit_bounds, bounds);
  const missing = await get('/api/metrics/no.such.metric');
  t.equal(missing.status, 404);
  t.match(missing.body, { code: 5, message: /GLUST_ERR_API_NOT_FOUND: metric no\.such\.metric not found/ });
  const bad = await get('/api/metrics/http.server.requests/aggregate?step=1ms');
  t.equal(bad.status, 400);
  t.match(bad.body.message, /parameter 'step'/);
});

t.test('GET /api/metrics/<name>/aggregate: totals, per bucket, per group', async (t) => {
  const all = sum(Object.values(routes).flat());
  const { body } = await get('/api/metrics/http.server.requests/aggregate?groupBy=http.route');
  t.equal(body.sum, all, 'each series counts its increase once');
  const groups = body.groups as Array<{ value: string; sum: number; rate: number }>;
  t.same(groups.map((g) => [g.value, g.sum]), Object.entries(routes).map(([r, inc]) => [r, sum(inc)]));
  const stepped = await get('/api/metrics/room.temperature/aggregate?step=6m');
  t.equal(stepped.body.mean, sum(temps) / temps.length);
  t.equal((stepped.body.series as unknown[]).length, temps.length, 'a bucket per gauge point (6 minutes apart)');
  const h = await get('/api/metrics/http.server.duration/aggregate');
  const values = latencies.flat();
  t.match(h.body, { type: 'HISTOGRAM', unit: 'ms', count: values.length, sum: sum(values), min: Math.min(...values), max: Math.max(...values) });
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.ceil(values.length / 2) - 1]!;
  const i = bounds.findIndex((b) => median <= b);
  t.ok((h.body.p50 as number) > (i === 0 ? 0 : bounds[i - 1]!) && (h.body.p50 as number) <= bounds[i]!, `p50 ${h.body.p50} in the bucket of the median ${median}`);
});

function glust(args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, COLUMNS: '120' } });
}

t.test('glust metrics and glust metric, from the data directory and from the server', async (t) => {
  for (const source of [['--data', dataDir], ['--server', server.url]]) {
    const list = glust(['metrics', '--since', '1h', ...source]);
    t.equal(list.status, 0, list.stderr);
    t.match(list.stdout, /http\.server\.requests\s+│ SUM cumulative\s+│ \{request\} │ shop\s+│ 12 /);
    t.match(list.stdout, /\(3 rows\)\n$/);
    const agg = glust(['metric', 'http.server.requests', '--aggregate', '--group-by', 'http.route', ...source]);
    t.equal(agg.status, 0, agg.stderr);
    for (const [route, inc] of Object.entries(routes)) t.match(agg.stdout, new RegExp(`${route.replace('/', '\\/')}\\s+│ 6\\s+│ ${sum(inc)}\\s+│`));
    t.equal(agg.stderr, '', 'every group shown: no note');
    const capped = glust(['metric', 'http.server.requests', '--aggregate', '--group-by', 'http.route', '--limit', '1', ...source]);
    t.equal(capped.status, 0, capped.stderr);
    t.equal(capped.stderr, `glust: the 1 group with the most points of ${Object.keys(routes).length}; --limit N shows more (at most 1000)\n`);
    t.equal(capped.stdout.match(/^\S+\s+│ 6\s+│/gm)?.length, 1, 'one group row');
    const json = glust(['metric', 'room.temperature', '--aggregate', '--step', '6m', '--json', ...source]);
    t.equal(JSON.parse(json.stdout).max, Math.max(...temps));
    const pts = glust(['metric', 'room.temperature', '--limit', '2', ...source]);
    t.match(pts.stdout, new RegExp(`│ sensors │ ${temps.at(-2)}\\s+│`));
  }
  const unknown = glust(['metric', 'nope', '--data', dataDir]);
  t.not(unknown.status, 0);
  t.match(unknown.stderr, /GLUST_ERR_API_NOT_FOUND/);
  const help = glust(['metric', '--help']);
  t.match(help.stdout, /usage: glust metric NAME \[--aggregate\] \[--step 1m\] \[--group-by KEY\]/);
});

const SHOTS = path.join(ROOT, 'test', 'screenshots', process.env.GLUST_UPDATE_SCREENSHOTS === '1' ? '' : 'latest');
fs.mkdirSync(SHOTS, { recursive: true });

t.test('the Metrics view: search, chart, hover values, group by', async (t) => {
  const browser = await chromium.launch({
    executablePath: process.env.GLUST_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu', '--disable-quic'],
  });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${server.url}/#/metrics`);
  await page.locator('#metric-list li').first().waitFor();
  // The sidebar lists a service that sent only metrics, its points linking to the Metrics view.
  await page.getByRole('link', { name: `sensors: ${temps.length} metric points` }).waitFor();
  t.match(await page.getByRole('link', { name: `sensors: ${temps.length} metric points` }).getAttribute('href'), /^#\/metrics\?service=sensors&range=24h$/);
  t.equal(await page.locator('#metric-list li').count(), 3);
  await page.getByLabel('Find a metric').fill('temp');
  t.same(await page.locator('#metric-list li:not([hidden])').evaluateAll((els) => els.map((e) => e.getAttribute('data-metric'))), ['room.temperature'], 'the search narrows the list');
  await page.getByLabel('Find a metric').fill('');
  await page.getByRole('link', { name: 'http.server.duration' }).click();
  await page.locator('#metric-chart canvas').waitFor();
  t.same(await page.locator('#metric-chart .u-legend .u-series th').evaluateAll((els) => els.map((e) => e.textContent?.trim())).then((l) => l.slice(1)), ['p50', 'p90', 'p99'], 'percentile lines');
  t.match(await page.locator('#metric-stats').innerText(), new RegExp(`all\\s+${latencies.flat().length}\\s+${sum(latencies.flat())}`));
  await page.screenshot({ path: path.join(SHOTS, 'metrics-histogram.png') });

  // Group the request counter by route: a rate line per route, values shown under the cursor.
  await page.getByRole('link', { name: 'http.server.requests' }).click();
  await page.locator('#metric-chart canvas').waitFor();
  await page.getByLabel('Group by attribute').fill('http.route');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/groupBy=http\.route/);
  await page.locator('#metric-chart[data-series="2"] canvas').waitFor();
  const labels = await page.locator('#metric-chart .u-legend .u-series th').evaluateAll((els) => els.map((e) => e.textContent?.trim()));
  t.same(labels.slice(1), Object.keys(routes), 'a line per route');
  const over = page.locator('#metric-chart .u-over');
  const box = (await over.boundingBox())!;
  let shown: string[] = [];
  // Sweep the cursor across the plot until the legend shows a value for both lines.
  for (let x = box.x + box.width - 2; x > box.x && !(shown.length === 2 && shown.every((v) => /\d/.test(v))); x -= box.width / 40) {
    await page.mouse.move(x, box.y + box.height / 2);
    shown = await page.locator('#metric-chart .u-legend .u-series td.u-value').evaluateAll((els) => els.slice(1).map((e) => e.textContent ?? ''));
  }
  t.ok(shown.length === 2 && shown.every((v) => /\d.*\/s$/.test(v)), `hover shows each route's rate: ${shown.join(', ')}`);
  t.match(await page.locator('#metric-stats').innerText(), /\/cart\s+6\s+25/);
  await page.screenshot({ path: path.join(SHOTS, 'metrics-grouped.png') });
  t.same(errors, [], 'no errors in the page');
});
