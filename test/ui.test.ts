/**
 * The web UI in a real browser: Debian's chromium driven by playwright-core against a live
 * server holding spans and logs sent by the official exporters. Finds the trace, opens the
 * waterfall, checks bar order and nesting, collapses, jumps to the error, opens a span's
 * attributes, searches logs, follows a log's trace id, turns on the live tail, and saves
 * screenshots under test/screenshots/; with a token file, the Token field makes searches and the
 * live tail work. A browser that cannot start fails the test.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { chromium } from 'playwright-core';
import { PROTO, logsRequest } from './helpers/otlp.js';
import { ROOT, post, startServer, tempDataDir } from './helpers/server.js';
import { sendCheckout } from './helpers/telemetry.js';

// Each run's screenshots go to test/screenshots/latest/ (ignored by git), so a test run never
// rewrites tracked files. The committed set in test/screenshots/ is what a reviewer looks at; it
// changes only on purpose: `npm run screenshots` (GLUST_UPDATE_SCREENSHOTS=1) writes there.
const SHOTS = path.join(ROOT, 'test', 'screenshots', process.env.GLUST_UPDATE_SCREENSHOTS === '1' ? '' : 'latest');
fs.mkdirSync(SHOTS, { recursive: true });

const server = await startServer({ args: ['--flush-ms', '300'] });
t.teardown(() => server.kill());
const sent = await sendCheckout(server.url);

// Flags keep chromium off the network it would otherwise call home to (there is none here).
const browser = await chromium.launch({
  executablePath: process.env.GLUST_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu', '--disable-quic'],
});
t.teardown(() => browser.close());
const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
const pageErrors: string[] = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
page.on('console', (m) => {
  if (m.type() === 'error') pageErrors.push(m.text());
});

t.test('find the trace with the search form', async (t) => {
  await page.goto(`${server.url}/`);
  await page.getByRole('link', { name: 'frontend: 2 spans' }).waitFor();
  await page.getByLabel('Service', { exact: true }).selectOption('payments');
  await page.getByLabel('Errors only').check();
  await page.getByRole('button', { name: 'Find traces' }).click();
  const row = page.locator(`#trace-results tr[data-trace-id="${sent.traceId}"]`);
  await row.waitFor();
  t.equal(await page.locator('#trace-results tbody tr').count(), 1, 'one trace matches');
  t.match(await row.innerText(), /frontend: GET \/checkout\s+300\.0 ms\s+5\s+1\s+db, frontend, payments/);
  t.match(page.url(), /#\/traces\?service=payments&errors=1&range=1h/, 'the search is in the URL');
  await page.screenshot({ path: path.join(SHOTS, 'trace-search.png') });
  await row.getByRole('link').click();
  await page.locator('#waterfall').waitFor();
});

t.test('the waterfall: bar order, nesting, collapse, next error, span details', async (t) => {
  const rows = page.locator('#waterfall .span-row');
  t.equal(await rows.count(), 5);
  const shown = await rows.evaluateAll((els) => els.map((el) => {
    const bar = el.querySelector<HTMLElement>('.bar')!;
    return { id: el.getAttribute('data-span-id'), depth: Number(el.getAttribute('data-depth')), parent: el.getAttribute('data-parent-id'), left: parseFloat(bar.style.left), width: parseFloat(bar.style.width) };
  }));
  t.same(shown.map((r) => r.id), sent.order.map(([name]) => sent.ids[name]), 'rows in depth-first order, children by start');
  t.same(shown.map((r) => r.depth), sent.order.map(([, depth]) => depth), 'nesting depth');
  t.equal(shown[3]!.parent, sent.ids['POST /charge'], 'the network call sits under the charge');
  t.same(shown.map((r) => Math.round(r.left * 10) / 10), [0, 3.3, 16.7, 20, 70], 'bars start where the spans start (% of 300 ms)');
  t.same(shown.map((r) => Math.round(r.width * 10) / 10), [100, 10, 50, 40, 26.7], 'bar widths are the durations');
  const errorRows = page.locator('#waterfall .span-row.error');
  t.equal(await errorRows.count(), 1, 'one error span marked');
  t.equal(await errorRows.getAttribute('data-span-id'), sent.ids['POST /charge']);

  // Collapse the charge: its child hides; expand again.
  const chargeRow = page.locator(`.span-row[data-span-id="${sent.ids['POST /charge']}"]`);
  await chargeRow.locator('button.toggle').click();
  t.equal(await chargeRow.locator('button.toggle').getAttribute('aria-expanded'), 'false');
  t.ok(await page.locator(`.span-row[data-span-id="${sent.ids['card-network call']}"]`).isHidden(), 'child hidden when collapsed');
  await page.screenshot({ path: path.join(SHOTS, 'waterfall-collapsed.png') });

  // Jump to next error expands the path, selects the span and opens its details.
  await page.getByRole('button', { name: /Jump to next error/ }).click();
  await t.resolves(chargeRow.and(page.locator('.selected')).waitFor(), 'the error span is selected');
  const panel = page.getByRole('complementary', { name: 'POST /charge' });
  await panel.waitFor();
  const panelText = await panel.innerText();
  t.match(panelText, /Status\s+ERROR: card declined/);
  t.match(panelText, /payment\.amount\s+12\.5/, 'span attributes');
  t.match(panelText, /retry at \+50\.0 ms/, 'event');
  t.match(panelText, new RegExp(`trace ${sent.linkedTraceId}`), 'link');
  t.match(panelText, /service\.name\s+payments/, 'resource attributes');
  await page.screenshot({ path: path.join(SHOTS, 'waterfall-error-panel.png') });

  // Another span's attributes, by clicking its name.
  await page.getByRole('button', { name: 'db SELECT cart' }).click();
  t.match(await page.getByRole('complementary', { name: 'SELECT cart' }).innerText(), /db\.system\s+postgresql/);
});

t.test('log search, and a log record leads to its trace', async (t) => {
  await page.getByRole('link', { name: 'Logs', exact: true }).click();
  await page.getByLabel('Text in body').fill('timeout');
  await page.getByLabel('Severity').selectOption('error');
  await page.getByRole('button', { name: 'Search logs' }).click();
  const rows = page.locator('#log-results tbody tr');
  await rows.first().waitFor();
  t.equal(await rows.count(), 1);
  t.match(await rows.first().innerText(), /ERROR\s+payments\s+Payment TIMEOUT for order 42/);
  await page.screenshot({ path: path.join(SHOTS, 'log-search.png') });
  await rows.first().getByRole('link', { name: `${sent.traceId.slice(0, 8)}…` }).click();
  await page.locator('#waterfall').waitFor();
  t.match(page.url(), new RegExp(`#/trace/${sent.traceId}$`));
  t.equal(await page.locator('#waterfall .span-row').count(), 5, 'the trace of the log record');
});

t.test('live tail shows records as they arrive', async (t) => {
  await page.goto(`${server.url}/#/logs?service=tailed&range=15m`);
  await page.getByRole('checkbox', { name: 'Live tail' }).check();
  const status = page.locator('.tail [role=status]');
  await status.getByText('Live tail on').waitFor();
  const live = page.locator('#tail-results tbody tr');
  // The writer starts forwarding when it hears that someone watches: send until one arrives.
  for (let i = 0; i < 50 && (await live.count()) === 0; i++) {
    await post(`${server.url}/v1/logs`, logsRequest([{ time: BigInt(Date.now()) * 1_000_000n, body: `live record ${i}`, severity: 13 }], 'tailed'), PROTO);
    await page.waitForTimeout(200);
  }
  t.ok((await live.count()) > 0, 'a new record appeared in the live table');
  t.match(await live.first().innerText(), /tailed\s+live record \d+/);
  await page.screenshot({ path: path.join(SHOTS, 'live-tail.png') });
  await page.getByRole('checkbox', { name: 'Live tail' }).uncheck();
  await page.locator('.tail').waitFor({ state: 'hidden' });
});

t.test('no script errors in the page', async (t) => {
  t.same(pageErrors, []);
});

t.test('with --auth-token-file: the Token field, then searches and the live tail carry the token', async (t) => {
  const tokenFile = path.join(tempDataDir('glust-ui-token-'), 'tokens');
  fs.writeFileSync(tokenFile, 'ui-token-5d2c\n');
  const guarded = await startServer({ args: ['--auth-token-file', tokenFile, '--flush-ms', '300'] });
  t.teardown(() => guarded.kill());
  const auth = { ...PROTO, Authorization: 'Bearer ui-token-5d2c' };
  const now = () => BigInt(Date.now()) * 1_000_000n;
  t.equal((await post(`${guarded.url}/v1/logs`, logsRequest([{ time: now(), body: 'guarded record', severity: 9 }], 'guarded-svc'), auth)).status, 200);

  // A page of its own: the refused calls below are logged by the browser as console errors.
  const p = await browser.newPage({ viewport: { width: 1400, height: 820 } });
  t.teardown(() => p.close());
  await p.goto(`${guarded.url}/#/logs?service=guarded-svc&range=15m`);
  await p.locator('#service-list .error').getByText(/GLUST_ERR_AUTH_MISSING_TOKEN.*Token field/).waitFor();
  await p.getByLabel('Token', { exact: true }).fill('ui-token-5d2c');
  await p.getByRole('button', { name: 'Use' }).click();
  await p.getByRole('link', { name: 'guarded-svc: 1 logs' }).waitFor();
  await p.locator('#log-results').getByText('guarded record').waitFor();

  await p.reload();
  t.equal(await p.getByLabel('Token', { exact: true }).inputValue(), 'ui-token-5d2c', 'the token survives a reload (sessionStorage)');
  await p.getByRole('link', { name: 'guarded-svc: 1 logs' }).waitFor();

  await p.getByRole('checkbox', { name: 'Live tail' }).check();
  await p.locator('.tail [role=status]').getByText('Live tail on').waitFor();
  const live = p.locator('#tail-results tbody tr');
  for (let i = 0; i < 50 && (await live.count()) === 0; i++) {
    await post(`${guarded.url}/v1/logs`, logsRequest([{ time: now(), body: `guarded live ${i}`, severity: 13 }], 'guarded-svc'), auth);
    await p.waitForTimeout(200);
  }
  t.match(await live.first().innerText(), /guarded-svc\s+guarded live \d+/, 'the live tail authenticated with the token');
  await p.screenshot({ path: path.join(SHOTS, 'token-live-tail.png') });
});
