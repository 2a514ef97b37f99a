/**
 * The Service map view and a service's page (issue 15) in the real Chromium (Debian's, driven by
 * playwright-core, as test/ui.test.ts does), against a live server holding the spans of
 * test/helpers/service-telemetry.ts sent by the official exporter: the graph's nodes and edges
 * (widths by calls, colours by errors), clicks to the trace search, the RED charts with the
 * anomalies shaded and listed with their rule, the top operations, and an empty range.
 * Screenshots of each view go where test/ui.test.ts puts its own.
 */
import t from 'tap';
import { launchBrowser, pageWithErrors, screenshot as shot } from './helpers/browser.js';
import { eventually, startServer } from './helpers/server.js';
import { N, sendServices } from './helpers/service-telemetry.js';
import { getJson } from './helpers/telemetry.js';

/** The service pages are taller than the viewport: the whole page goes in the picture. */
const screenshot = (p: Parameters<typeof shot>[0], name: string) => shot(p, name, true);

const server = await startServer({ args: ['--flush-ms', '300'] });
t.teardown(() => server.kill());
const MIN = 60_000;
const t0 = Math.floor(Date.now() / MIN) * MIN - 30 * MIN;
const { sent, spikyStart } = await sendServices(server.url, t0);
await eventually(async () => {
  const { body } = await getJson(`${server.url}/api/service-map?start=${new Date(t0).toISOString()}`);
  return body.nodes?.reduce((n: number, s: { spans: number }) => n + s.spans, 0) === sent.length;
}, 30_000);

const browser = await launchBrowser();
t.teardown(() => browser.close());
const pageErrors: string[] = [];
const page = await pageWithErrors(browser, { viewport: { width: 1400, height: 900 } }, pageErrors);

t.test('the service map: a node per service, edges by calls and errors, clicks to the trace search', async (t) => {
  await page.goto(`${server.url}/#/map?range=1h`);
  await page.locator('#service-map-graph .map-node').first().waitFor();
  const nodes = await page.locator('.map-node').evaluateAll((els) => els.map((el) => el.getAttribute('data-service')));
  t.same(nodes.sort(), ['api', 'cron', 'spiky', 'web', 'worker']);
  const edges = await page.locator('.map-edge').evaluateAll((els) => els.map((el) => {
    const line = el.querySelector('path')!;
    return { edge: `${el.getAttribute('data-caller')}→${el.getAttribute('data-callee')}`, width: Number(line.getAttribute('stroke-width')), colour: line.getAttribute('stroke'), d: line.getAttribute('d') };
  }));
  t.same(edges.map((e) => e.edge).sort(), ['api→worker', 'web→api']);
  const webApi = edges.find((e) => e.edge === 'web→api')!;
  const apiWorker = edges.find((e) => e.edge === 'api→worker')!;
  t.ok(webApi.width > apiWorker.width, `more calls, a wider line (${webApi.width} > ${apiWorker.width})`);
  t.equal(webApi.colour, '#dc2626', '20% errors: red');
  t.equal(apiWorker.colour, '#d97706', 'one failure in 14 (7%): amber');
  t.match(webApi.d, /^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+$/, 'drawn along the layout\'s points');
  // Laid out left to right: the caller's box left of the callee's.
  const x = (svc: string) => page.locator(`.map-node[data-service="${svc}"]`).evaluate((el) => el.getBoundingClientRect().left);
  t.ok(await x('web') < await x('api') && await x('api') < await x('worker'), 'callers left of callees');
  t.match(await page.locator('.map-node[data-service="web"] .map-node-figures').textContent(), new RegExp(`^${N} req · 20% err · p95 [\\d.]+ ms$`));
  t.match(await page.locator('#edge-table tr[data-caller="web"]').innerText(), new RegExp(`web\\s+api\\s+${N}\\s+${N / 5}\\s+20%`));
  await screenshot(page, 'service-map');

  await page.locator('.map-node[data-service="cron"]').click();
  await page.waitForURL(/#\/traces\?service=cron&range=1h$/);
  t.pass('a node opens the trace search for its service');
  await page.locator('#trace-results').waitFor();
  await page.goBack();
  await page.locator('.map-edge[data-callee="worker"]').click();
  await page.waitForURL(/#\/traces\?service=worker&range=1h$/);
  t.pass('an edge opens the trace search for the callee');
});

t.test('the map around one service, and an empty range', async (t) => {
  await page.goto(`${server.url}/#/map?service=cron&range=1h`);
  await page.locator('.map-node[data-service="cron"]').waitFor();
  t.equal(await page.locator('.map-node').count(), 1);
  t.equal(await page.locator('.map-edge').count(), 0);
  t.match(await page.locator('#edge-table').innerText(), /No calls between services/);
  const before = new Date(t0 - 180 * MIN).toISOString();
  await page.goto(`${server.url}/#/map?range=custom&start=${before}&end=${new Date(t0 - 120 * MIN).toISOString()}`);
  await page.getByText('No spans in this time range.').waitFor();
  t.equal(await page.locator('.map-node').count(), 0);
});

t.test('a service page: RED charts, anomalies shaded and listed with the rule, top operations', async (t) => {
  const start = new Date(spikyStart + 6 * MIN).toISOString();
  const end = new Date(spikyStart + 16 * MIN).toISOString();
  await page.goto(`${server.url}/#/service/spiky?step=1m&range=custom&start=${start}&end=${end}`);
  await page.locator('#anomaly-list li').first().waitFor();
  t.equal(await page.getByLabel('Bucket', { exact: true }).inputValue(), '1m', 'the bucket width of the URL');
  t.match(await page.locator('#anomaly-rule').innerText(), /^Rule: A bucket is flagged when its error rate or p95 is more than 3 median absolute deviations/);
  const listed = await page.locator('#anomaly-list li').evaluateAll((els) => els.map((el) => [el.getAttribute('data-metric'), el.getAttribute('data-time')]));
  const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
  t.same(listed, [['error_rate', ns(spikyStart + 14 * MIN)], ['p95_ms', ns(spikyStart + 15 * MIN)]], 'the two anomalies the API found');
  t.match(await page.locator('#anomaly-list li').first().innerText(), /error rate 80%, baseline 0%/);
  t.equal(await page.locator('#red-errors').getAttribute('data-marks'), '1', 'the error spike shaded on the error chart');
  t.equal(await page.locator('#red-duration').getAttribute('data-marks'), '1', 'the slow minute shaded on the duration chart');
  t.equal(await page.locator('.red-chart .uplot').count(), 3, 'three uPlot charts');
  t.match(await page.locator('#red-duration .u-legend').innerText(), /p50[\s\S]*p95[\s\S]*p99/);
  t.match(await page.locator('#top-operations tr[data-operation="GET /spike"]').innerText(), /GET \/spike\s+100\s/);
  await screenshot(page, 'service-page-anomalies');

  await page.goto(`${server.url}/#/service/api?range=1h`);
  await page.locator('#top-operations').waitFor();
  t.match(await page.locator('#top-operations tr[data-operation="GET /items"]').innerText(), new RegExp(`GET /items\\s+${N}\\s`));
  await page.getByLabel('Spans', { exact: true }).selectOption('client');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.locator('#top-operations tr[data-operation="SELECT items"]').waitFor();
  t.match(page.url(), /#\/service\/api\?kind=client&range=1h$/);
  await screenshot(page, 'service-page');
  await page.locator('#top-operations tr[data-operation="SELECT items"] a', { hasText: 'traces' }).click();
  await page.waitForURL(/#\/traces\?service=api&range=1h&name=SELECT%20items$/);
  await page.locator('#trace-results').waitFor();
  t.equal(await page.getByLabel('Span name', { exact: true }).inputValue(), 'SELECT items', 'an operation opens its trace search');
});

t.test('no page errors', async (t) => {
  t.same(pageErrors, []);
});
