/**
 * Issue 15's views in a real browser (Debian's chromium driven by playwright-core) against a live
 * server holding telemetry sent by the official exporters (test/helpers/shop.ts), plus 10,001
 * one-span traces made by hand to pass the scatter's bound: the duration scatter (a point per
 * matching trace, a hovered row marks its point, a click on a point opens its trace, a drag
 * narrows the range, the bound said when hit), the log volume (the total and the bands of the
 * records sent, a drag narrows the range), the side panel's log tabs (the span's records, the
 * trace's, and a link from a record to its span), and two traces compared, with a screenshot of
 * each (test/helpers/browser.ts).
 */
import t from 'tap';
import { launchBrowser, pageWithErrors, screenshot } from './helpers/browser.js';
import { PROTO, spansRequest } from './helpers/otlp.js';
import { post, startServer } from './helpers/server.js';
import { sendShop } from './helpers/shop.js';

const COUNT = 12;
const server = await startServer({ args: ['--flush-ms', '300'] });
t.teardown(() => server.kill());
const baseMs = Date.now() - 20 * 60_000;
const shop = await sendShop(server.url, { baseMs, count: COUNT, gapMs: 60_000 });

// 10,001 one-span traces of "bulk" three hours ago: one more than the scatter draws.
const BULK = 10_001;
const bulkStart = BigInt(Date.now() - 3 * 3_600_000) * 1_000_000n;
for (let from = 0; from < BULK; from += 2500) {
  const specs = Array.from({ length: Math.min(2500, BULK - from) }, (_, k) => {
    const start = bulkStart + BigInt(from + k) * 100_000_000n;
    return { name: 'bulk op', start, end: start + BigInt(1 + ((from + k) % 50)) * 1_000_000n };
  });
  const res = await post(`${server.url}/v1/traces`, spansRequest(specs, 'bulk'), PROTO);
  if (res.status !== 200) throw new Error(`setting up: POST /v1/traces answered ${res.status}`);
}

const browser = await launchBrowser();
t.teardown(() => browser.close());
const pageErrors: string[] = [];
const page = await pageWithErrors(browser, { viewport: { width: 1400, height: 900 }, timezoneId: 'UTC' }, pageErrors);

/** Drag across a chart's plot area from `from` to `to` (fractions of its width). */
async function drag(chart: string, from: number, to: number): Promise<void> {
  const box = (await page.locator(`${chart} .u-over`).boundingBox())!;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * from, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * to, y, { steps: 8 });
  await page.mouse.up();
}

const hashParams = () => new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '');

/** Drag across `chart` and wait for the view to take the range; returns it, unix ns. */
async function brush(chart: string): Promise<{ start: bigint; end: bigint; params: URLSearchParams }> {
  await drag(chart, 0.68, 0.8);
  await page.waitForURL(/range=custom/);
  const params = hashParams();
  return { start: BigInt(Date.parse(params.get('start')!)) * 1_000_000n, end: BigInt(Date.parse(params.get('end')!)) * 1_000_000n, params };
}

t.test('the duration scatter: every matching trace, a row marks its point, a click opens it', async (t) => {
  await page.goto(`${server.url}/#/traces?service=shop&range=1h`);
  const note = page.locator('#scatter-note');
  await note.getByText(`${COUNT} traces: start × duration`).waitFor({ timeout: 20_000 });
  await page.locator('#trace-results tbody tr').first().waitFor();
  t.equal(await page.locator('#trace-results tbody tr').count(), COUNT, 'the table lists the same traces');
  t.match(await page.locator('#trace-scatter .u-legend').innerText(), /OK \(9\)[\s\S]*Error \(3\)/, 'nine OK and three failing traces drawn');
  const slowest = shop.traces.at(-1)!;
  await page.locator(`#trace-results tr[data-trace-id="${slowest.traceId}"]`).hover();
  const mark = page.locator('#trace-scatter .scatter-mark');
  await mark.waitFor();
  await screenshot(page, 'trace-scatter');
  const at = (await mark.boundingBox())!;
  t.ok(await page.locator('#trace-scatter canvas').count() >= 1, 'drawn on a canvas');
  await page.mouse.click(at.x + at.width / 2, at.y + at.height / 2);
  await page.waitForURL(new RegExp(`#/trace/${slowest.traceId}$`));
  await page.locator('#waterfall').waitFor();
  t.pass('the click on the slowest trace\'s point opened it');
});

t.test('a drag across the scatter narrows the search to that range', async (t) => {
  await page.goto(`${server.url}/#/traces?service=shop&range=1h`);
  await page.locator('#scatter-note').getByText('traces: start').waitFor();
  const { start, end, params } = await brush('#trace-scatter');
  const inside = shop.traces.filter((tr) => tr.startNs >= start && tr.startNs < end).length;
  t.ok(inside > 0 && inside < COUNT, `the range holds some of the traces (${inside})`);
  await page.locator('#scatter-note').getByText(`${inside} trace${inside === 1 ? '' : 's'}: start`).waitFor();
  await page.locator('#trace-results tbody tr').first().waitFor();
  t.equal(await page.locator('#trace-results tbody tr').count(), inside, 'the table has narrowed too');
  t.equal(params.get('service'), 'shop', 'the other filters stay');
});

t.test('the scatter says when it hit its bound', async (t) => {
  await page.goto(`${server.url}/#/traces?service=bulk&range=6h`);
  const note = page.locator('#scatter-note');
  await note.getByText(`${BULK} traces match; the scatter shows the newest 10000 (its bound is 10000)`).waitFor({ timeout: 30_000 });
  t.match(await page.locator('#trace-scatter .u-legend').innerText(), /OK \(10000\)/);
  await screenshot(page, 'trace-scatter-bound');
});

t.test('the log volume: all matching records by severity, and a drag narrows the range', async (t) => {
  const total = shop.logs.length;
  await page.goto(`${server.url}/#/logs?range=1h`);
  const note = page.locator('#volume-note');
  await note.getByText(`${total} matching records, per 30 s by severity`).waitFor({ timeout: 20_000 });
  const legend = await page.locator('#log-volume .u-legend .u-series th').allInnerTexts();
  t.same(legend.map((s) => s.trim()).filter((s) => s !== 'Time (UTC)'), ['ERROR', 'WARN', 'INFO', 'DEBUG'], 'the bands sent, the worst on top');
  await screenshot(page, 'log-volume');
  await page.goto(`${server.url}/#/logs?range=1h&severity=error`);
  await note.getByText(`${shop.logs.filter((l) => l.severity >= 17).length} matching records`).waitFor();
  await page.goto(`${server.url}/#/logs?range=1h`);
  await note.getByText(`${total} matching records`).waitFor();
  const { start, end } = await brush('#log-volume');
  const inside = shop.logs.filter((l) => l.timeNs >= start && l.timeNs < end).length;
  t.ok(inside > 0 && inside < total, `the range holds some of the records (${inside})`);
  await note.getByText(new RegExp(`^${inside} matching record`)).waitFor();
  await page.locator('#log-results tr.log-row').first().waitFor();
  t.equal(await page.locator('#log-results tr.log-row').count(), inside, 'the results have narrowed too');
});

t.test('the side panel: the span\'s logs, the trace\'s, and from a record to its span', async (t) => {
  const failing = shop.traces.find((tr) => tr.error)!;
  await page.goto(`${server.url}/#/trace/${failing.traceId}?span=${failing.dbSpanId}`);
  const panel = page.getByRole('complementary', { name: 'SELECT item' });
  await panel.getByText(/deadlock on item \d+/).waitFor();
  t.match(await page.locator('#log-tab-span').innerText(), /Logs of this span \(1\)/);
  await page.locator('#log-tab-trace').getByText('Logs of this trace (2)').waitFor();
  await page.locator('#log-tab-trace').click();
  const items = page.locator('#log-tab-panel li');
  t.equal(await items.count(), 2, 'both records of the trace');
  t.match(await items.nth(0).innerText(), /INFO shop item \d+ requested\s*go to span/);
  t.match(await items.nth(1).innerText(), /ERROR db deadlock on item \d+\s*this span/, 'the selected span\'s record is marked');
  await screenshot(page, 'span-logs-trace-tab');
  await items.nth(0).getByRole('link', { name: 'go to span' }).click();
  await page.getByRole('complementary', { name: 'GET /item' }).waitFor();
  t.equal(await page.locator('.span-row.selected').getAttribute('data-span-id'), failing.rootSpanId, 'the record\'s span is selected in the waterfall');
  t.equal(await page.locator('#log-tab-trace').getAttribute('aria-selected'), 'true', 'the trace tab stays open');
  await page.locator('#log-tab-span').click();
  await page.locator('#log-tab-panel').getByText(/item \d+ requested/).waitFor();
  t.equal(await page.locator('#log-tab-panel li').count(), 1, 'the root span\'s own record');
});

t.test('two traces compared', async (t) => {
  await page.goto(`${server.url}/#/traces?range=6h`);
  await page.locator('#trace-results tbody tr').first().waitFor();
  const bulkRow = page.locator('#trace-results tbody tr').filter({ hasText: 'bulk: bulk op' }).first();
  const [a, b] = [shop.traces[1]!, shop.traces[6]!];
  await page.locator(`#trace-results tr[data-trace-id="${a.traceId}"] input[type=checkbox]`).check();
  await bulkRow.locator('input[type=checkbox]').check();
  t.ok(await page.locator('#compare-traces').isDisabled(), 'two different root operations cannot be compared');
  t.match(await page.locator('#compare-hint').innerText(), /different root operations/);
  await bulkRow.locator('input[type=checkbox]').uncheck();
  await page.locator(`#trace-results tr[data-trace-id="${b.traceId}"] input[type=checkbox]`).check();
  t.ok(await page.locator('#compare-traces').isEnabled());
  await page.locator('#compare-traces').click();
  await page.locator('#compare-table').waitFor();
  t.match(page.url(), new RegExp(`#/compare\\?a=${a.traceId}&b=${b.traceId}$`));
  const rows = await page.locator('#compare-table tbody tr').evaluateAll((els) => els.map((el) => [el.getAttribute('data-change'), el.querySelector('td.span')!.textContent, el.querySelector('td.delta')!.textContent]));
  // Trace 1: 40 ms, db 20 ms, a pricing span; trace 6: 140 ms, db 70 ms, no pricing span.
  t.same(rows, [['slower', 'shop GET /item', '+100.0 ms'], ['slower', 'db SELECT item', '+50.0 ms'], ['only-a', 'pricing fetch price', '']]);
  t.match(await page.locator('#compare-summary').innerText(), /A[\s\S]*shop: GET \/item: 40\.0 ms, 3 spans[\s\S]*B[\s\S]*shop: GET \/item: 140\.0 ms, 2 spans[\s\S]*\+100\.0 ms/);
  t.match(await page.getByRole('status').innerText(), /2 slower, 0 faster, 1 only in A, 0 only in B, 0 alike\. A span is marked slower or faster when its duration differs by more than 20 % and more than 1\.00 ms\./);
  await screenshot(page, 'trace-compare');

  const before = pageErrors.length;
  await page.goto(`${server.url}/#/compare?a=${a.traceId}&b=0123456789abcdef0123456789abcdef`);
  await page.getByRole('status').getByText(/Trace B \(0123456789abcdef0123456789abcdef\): .*not found/).waitFor();
  t.pass('a trace that does not exist is named');
  // The browser logs the API's 404 itself; that one is expected.
  t.match(pageErrors.splice(before), [/status of 404/]);
});

t.test('no errors in the page', async (t) => {
  t.same(pageErrors, []);
});
