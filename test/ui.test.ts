/**
 * The web UI in a real browser: Debian's chromium driven by playwright-core against a live
 * server holding spans and logs sent by the official exporters (and a few made by hand where the
 * test needs exact ids, times or many records). It finds a trace, opens the waterfall (bar order,
 * nesting, service colours, event marks, collapse, next error, the side panel with whole keys,
 * newlines and readable names), opens a log record to all its fields, follows a log's trace link
 * to its highlighted span, goes from a trace to its logs, filters logs by trace id and attribute,
 * opens a trace by id from the header, asks a search that stopped at its limit for more, watches
 * the live tail (time order, a pane that grows, skipped counts), switches times to the browser's
 * zone and back, and with a token file uses the Token field. Screenshots are saved through
 * `screenshot()`. A browser that cannot start fails the test.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PROTO, hex, logsRequest, randomSpanId, randomTraceId, spansRequest } from './helpers/otlp.js';
import { post, startServer, tempDataDir } from './helpers/server.js';
import { sendCheckout } from './helpers/telemetry.js';
import { launchBrowser, pageWithErrors, screenshot } from './helpers/browser.js';

const server = await startServer({ args: ['--flush-ms', '300'] });
t.teardown(() => server.kill());
const sent = await sendCheckout(server.url);
const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const ms = 1_000_000n;

/** Send an export while setting up (before any subtest, where tap takes no assertions). */
async function send(kind: 'traces' | 'logs', body: Uint8Array): Promise<void> {
  const res = await post(`${server.url}/v1/${kind}`, body, PROTO);
  if (res.status !== 200) throw new Error(`setting up: POST /v1/${kind} answered ${res.status}`);
}

/**
 * A trace of 120 spans (a root, 12 children of 9 grandchildren each, over four services), so
 * that a span far down is off screen, with an ERROR log record written in span 100.
 */
const big = await (async () => {
  const traceId = randomTraceId();
  const base = nowNs() - 40_000n * ms;
  const ids: Uint8Array[] = [randomSpanId()];
  const bySvc = new Map<string, Parameters<typeof spansRequest>[0]>();
  const add = (svc: string, spec: Parameters<typeof spansRequest>[0][number]) => bySvc.set(svc, [...(bySvc.get(svc) ?? []), spec]);
  add('ledger', { traceId, spanId: ids[0], name: 'POST /ledger/close', start: base, end: base + 1200n * ms });
  for (let c = 0; c < 12; c++) {
    const child = randomSpanId();
    ids.push(child);
    add(['ledger', 'accounts', 'payments', 'db'][c % 4]!, { traceId, spanId: child, parentSpanId: ids[0], name: `step ${c}`, start: base + BigInt(c * 90) * ms, end: base + BigInt(c * 90 + 80) * ms });
    for (let g = 0; g < 9; g++) {
      const grandchild = randomSpanId();
      ids.push(grandchild);
      add(['db', 'accounts'][g % 2]!, { traceId, spanId: grandchild, parentSpanId: child, name: `query ${c}.${g}`, start: base + BigInt(c * 90 + g * 8) * ms, end: base + BigInt(c * 90 + g * 8 + 6) * ms });
    }
  }
  for (const [svc, specs] of bySvc) await send('traces', spansRequest(specs, svc));
  const target = ids[100]!;
  const log = logsRequest([{
    time: base + 1000n * ms, body: 'ledger row locked\nretrying in 50 ms', severity: 17, severityText: 'ERROR', traceId, spanId: target, flags: 1,
    attributes: { 'order.id': '42', 'db.statement.row_count': 3 },
  }], 'ledger');
  await send('logs', log);
  return { traceId: hex(traceId), target: hex(target), targetIndex: 100 };
})();

/** A short deep trace with long names, long attribute keys and a stack trace, for the side panel. */
const deep = await (async () => {
  const traceId = randomTraceId();
  const base = nowNs() - 30_000n * ms;
  const ids = [randomSpanId(), randomSpanId(), randomSpanId(), randomSpanId()];
  const names = ['reconcile the quarterly customer ledger against the bank statements', 'load every pending settlement batch for the region',
    'verify the signatures of the settlement files from the clearing house', 'decrypt settlement file with the rotating key'];
  const stack = 'Error: signature mismatch\n    at verify (clearing/verify.js:41:11)\n    at Batch.check (clearing/batch.js:88:5)\n    at async main (clearing/main.js:12:3)';
  const specs = ids.map((spanId, i) => ({
    traceId, spanId, parentSpanId: i === 0 ? undefined : ids[i - 1], name: names[i], start: base + BigInt(i * 10) * ms, end: base + BigInt(400 - i * 10) * ms,
    attributes: i === 3 ? { 'exception.stacktrace': stack, 'http.response.header.x-request-correlation-identifier': 'c0ffee', 'messaging.destination.partition.id': '7' } : ({} as Record<string, string>),
  }));
  await send('traces', spansRequest(specs, 'settlement-reconciliation-service'));
  return { traceId: hex(traceId), leaf: hex(ids[3]!), stack };
})();

const browser = await launchBrowser();
t.teardown(() => browser.close());
// A zone five and a half hours from UTC, so that local times differ from UTC in hours and minutes.
const pageErrors: string[] = [];
const page = await pageWithErrors(browser, { viewport: { width: 1400, height: 820 }, timezoneId: 'Asia/Kolkata' }, pageErrors);

/** Is the element wholly inside the viewport? */
const inView = (selector: string) => page.locator(selector).evaluate((el) => {
  const r = el.getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight;
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
  t.match(page.url(), /#\/traces\?service=payments&errors=1&range=1h$/, 'the search is in the URL (the default limit is left out)');
  t.equal(await page.locator('.limit-notice').count(), 0, 'no limit notice below the limit');
  await screenshot(page, 'trace-search');
  await row.getByRole('link').click();
  await page.locator('#waterfall').waitFor();
});

t.test('the waterfall: bar order, nesting, colours, events, collapse, next error, span details', async (t) => {
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

  // Colours: one per service, the legend's; the error bar keeps it under red stripes.
  const colours = await page.evaluate(() => {
    const bars = [...document.querySelectorAll<HTMLElement>('#waterfall .span-row')].map((r) => [r.dataset.service!, getComputedStyle(r.querySelector('.bar')!).backgroundColor] as const);
    const legend = [...document.querySelectorAll<HTMLElement>('.legend li')].map((li) => [li.dataset.service!, getComputedStyle(li.querySelector('.swatch')!).backgroundColor] as const);
    const error = getComputedStyle(document.querySelector('.span-row.error .bar')!);
    return { bars, legend: Object.fromEntries(legend), stripes: error.backgroundImage, outline: error.outlineStyle };
  });
  t.same(Object.keys(colours.legend), ['db', 'frontend', 'payments'], 'a legend entry per service');
  for (const [svc, colour] of colours.bars) t.equal(colour, colours.legend[svc], `a ${svc} bar has ${svc}'s colour`);
  t.match(colours.stripes, /repeating-linear-gradient/, 'the error bar is striped');
  t.equal(colours.outline, 'solid');
  t.equal(new Set(Object.values(colours.legend)).size, 3, 'these three services have three colours');

  // The charge's event "retry" at 100 ms of 300 is marked on its bar.
  const charge = page.locator(`.span-row[data-span-id="${sent.ids['POST /charge']}"]`);
  const marks = charge.locator('.event-mark');
  t.equal(await marks.count(), 1, 'one event mark');
  t.equal(Math.round(parseFloat((await marks.getAttribute('style'))!.replace(/.*left:\s*/, '')) * 10) / 10, 33.3, 'where the event happened');
  t.equal(await marks.getAttribute('title'), 'retry at +50.0 ms');
  t.equal(await page.locator('.event-mark').count(), 1, 'no marks on spans without events');

  // Collapse the charge: its child hides; expand again.
  await charge.locator('button.toggle').click();
  t.equal(await charge.locator('button.toggle').getAttribute('aria-expanded'), 'false');
  t.ok(await page.locator(`.span-row[data-span-id="${sent.ids['card-network call']}"]`).isHidden(), 'child hidden when collapsed');
  await screenshot(page, 'waterfall-collapsed');

  // Jump to next error expands the path, selects the span and opens its details.
  await page.getByRole('button', { name: /Jump to next error/ }).click();
  await t.resolves(charge.and(page.locator('.selected')).waitFor(), 'the error span is selected');
  const panel = page.getByRole('complementary', { name: 'POST /charge' });
  await panel.waitFor();
  // The span's log record arrives with the trace's logs, after the waterfall.
  await panel.getByText('Payment TIMEOUT for order 42').waitFor();
  const panelText = await panel.innerText();
  t.match(panelText, /Status\s+ERROR: card declined/);
  t.match(panelText, /payment\.amount\s+12\.5/, 'span attributes');
  t.match(panelText, /retry at \+50\.0 ms/, 'event');
  t.match(panelText, new RegExp(`trace ${sent.linkedTraceId}`), 'link');
  t.match(panelText, /Logs of this span \(1\)[\s\S]*?\d{4}-\d\d-\d\d [\d:.]+ ERROR Payment TIMEOUT for order 42/, 'the log record written in the span');
  t.match(panelText, /service\.name\s+payments/, 'resource attributes');
  await screenshot(page, 'waterfall-error-panel');

  // Another span's attributes, by clicking its name.
  await page.getByRole('button', { name: 'db SELECT cart' }).click();
  t.match(await page.getByRole('complementary', { name: 'SELECT cart' }).innerText(), /db\.system\s+postgresql/);
});

t.test('a trace links to its logs', async (t) => {
  const link = page.locator('#trace-logs');
  await link.getByText('Logs of this trace (2)').waitFor();
  await link.click();
  const rows = page.locator('#log-results tr.log-row');
  await rows.first().waitFor();
  t.match(page.url(), new RegExp(`#/logs\\?traceId=${sent.traceId}&range=custom&start=`));
  t.equal(await page.getByLabel('Trace id', { exact: true }).inputValue(), sent.traceId, 'the trace id filter is filled');
  t.same((await rows.locator('td.body').allInnerTexts()).sort(), ['Payment TIMEOUT for order 42', 'checkout started']);
});

t.test('a log record opens to all its fields', async (t) => {
  const record = page.locator('#log-results tbody.log-record', { hasText: 'Payment TIMEOUT' });
  const details = record.locator('tr.log-details');
  t.ok(await details.isHidden(), 'closed at first');
  await record.locator('td.body').click();
  await details.waitFor();
  t.equal(await record.getByRole('button', { name: /All fields of the record/ }).getAttribute('aria-expanded'), 'true');
  const text = await details.innerText();
  t.match(text, /Severity\s+ERROR \(number 17\)/);
  t.match(text, new RegExp(`Trace id\\s+${sent.traceId}`));
  t.match(text, new RegExp(`Span id\\s+${sent.ids['POST /charge']}`), 'the span id');
  t.match(text, /Trace flags\s+0x01 \(sampled\)/, 'the trace flags');
  t.match(text, /Scope\s+pay/);
  t.match(text, /Resource attributes\s+service\.name\s+payments/, 'the resource');
  t.match(text, /Attributes: none/);
  await screenshot(page, 'log-details');
  await record.getByRole('button', { name: /All fields of the record/ }).click();
  t.ok(await details.isHidden(), 'and closes again');
});

t.test('log search by attribute, and a log\'s trace link opens the waterfall at its span, scrolled into view', async (t) => {
  await page.getByRole('link', { name: 'Logs', exact: true }).click();
  await page.getByLabel('Attribute', { exact: true }).fill('order.id:42');
  await page.getByLabel('Time range').selectOption('1h');
  await page.getByRole('button', { name: 'Search logs' }).click();
  const rows = page.locator('#log-results tr.log-row');
  await page.waitForURL(/attr=order\.id%3A42/);
  await rows.first().waitFor();
  t.equal(await rows.count(), 1, 'only the record with order.id 42');
  t.match(await rows.first().innerText(), /ERROR\s+ledger\s+ledger row locked\nretrying in 50 ms/, 'the body keeps its newline');
  await screenshot(page, 'log-search-attribute');
  const link = rows.first().getByRole('link', { name: `${big.traceId.slice(0, 8)}…` });
  t.equal(await link.getAttribute('href'), `#/trace/${big.traceId}?span=${big.target}`);
  await link.click();
  const target = `.span-row[data-span-id="${big.target}"]`;
  await page.locator(`${target}.selected`).waitFor();
  t.equal(await page.locator('#waterfall .span-row').count(), 121);
  t.equal(await page.locator('#waterfall .span-row').nth(big.targetIndex).getAttribute('data-span-id'), big.target, 'the span is far down the tree');
  t.ok(await inView(target), 'and scrolled into view');
  const panel = page.locator('#span-panel');
  await panel.getByText('ledger row locked').waitFor();
  t.match(await panel.innerText(), new RegExp(`Span id\\s+${big.target}`), 'its details are open');
  await screenshot(page, 'waterfall-log-span');
});

t.test('the side panel keeps keys whole and newlines in values; span names stay readable beside it', async (t) => {
  await page.goto(`${server.url}/#/trace/${deep.traceId}?span=${deep.leaf}`);
  const panel = page.locator('#span-panel');
  await panel.getByText('decrypt settlement file with the rotating key', { exact: true }).waitFor();
  // Keys: every piece between separators sits on one line (the pieces are the text nodes).
  const broken = await panel.locator('table.attrs th').evaluateAll((ths) => ths.flatMap((th) => [...th.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).filter((n) => {
    const tops = new Set<number>();
    for (let i = 0; i < n.textContent!.length; i++) {
      const range = document.createRange();
      range.setStart(n, i);
      range.setEnd(n, i + 1);
      tops.add(Math.round(range.getBoundingClientRect().top));
    }
    return tops.size > 1;
  }).map((n) => n.textContent)));
  t.same(broken, [], 'no key broken inside a word');
  t.ok(await panel.locator('th', { hasText: 'x-request-correlation-identifier' }).evaluate((th) => th.scrollWidth <= th.clientWidth + 1), 'and none overflows its cell');
  const stackCell = panel.locator('tr', { hasText: 'exception.stacktrace' }).locator('td');
  t.equal(await stackCell.innerText(), deep.stack, 'the stack trace keeps its lines');
  // Names: with the panel open, no span name is cut or runs out of its column.
  const cut = await page.locator('#waterfall .span-name').evaluateAll((buttons) => buttons.filter((b) => {
    const cell = b.closest('.name-cell')!.getBoundingClientRect();
    const r = b.getBoundingClientRect();
    return b.scrollWidth > b.clientWidth + 1 || r.right > cell.right + 1;
  }).map((b) => b.textContent));
  t.same(cut, [], 'every span name fully shown');
  t.ok(await page.locator('.trace-layout.panel-open').count(), 'the panel is open');
  await screenshot(page, 'waterfall-panel-stacktrace');
});

t.test('the header box opens a trace by id from any view, or says why not', async (t) => {
  await page.goto(`${server.url}/#/logs`);
  const box = page.getByLabel('Go to trace');
  await box.fill('not-a-trace');
  await box.press('Enter');
  await page.locator('#open-trace-error').getByText('A trace id is 32 hex digits').waitFor();
  t.equal(await box.getAttribute('aria-invalid'), 'true');
  t.match(page.url(), /#\/logs$/, 'still on the log view');
  await box.fill(` ${sent.traceId.toUpperCase()} `);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.locator('#waterfall').waitFor();
  t.match(page.url(), new RegExp(`#/trace/${sent.traceId}$`));
  t.equal(await page.locator('#open-trace-error').innerText(), '');
  await box.fill(`00-${big.traceId}-${big.target}-01`);
  await box.press('Enter');
  await page.locator(`.span-row[data-span-id="${big.target}"].selected`).waitFor();
  t.pass('a W3C traceparent opens the trace at its span');
});

t.test('a trace search that stops at its limit says so and offers more', async (t) => {
  const at = nowNs() - 20_000n * ms;
  t.equal((await post(`${server.url}/v1/traces`, spansRequest(Array.from({ length: 25 }, (_, i) => ({ name: 'tick', start: at + BigInt(i) * ms })), 'many'), PROTO)).status, 200);
  await page.goto(`${server.url}/#/traces?service=many&range=1h`);
  const rows = page.locator('#trace-results tbody tr');
  await rows.first().waitFor();
  t.equal(await rows.count(), 20);
  t.match(await page.locator('.limit-notice').innerText(), /The search stopped at its limit of 20 traces; there may be more\./);
  await screenshot(page, 'trace-search-limit');
  await page.getByRole('button', { name: 'Show up to 40' }).click();
  await page.waitForURL(/limit=40/);
  await page.locator('#trace-results tbody tr').nth(24).waitFor();
  t.equal(await rows.count(), 25, 'all 25');
  t.equal(await page.locator('.limit-notice').count(), 0, 'and no notice');
  t.equal(await page.getByLabel('Limit').inputValue(), '40', 'the limit field shows it');
});

t.test('live tail: records in time order, newest on top, in a pane that grows, with the skipped counted', async (t) => {
  await page.goto(`${server.url}/#/logs?service=tailed&range=15m`);
  await page.getByRole('checkbox', { name: 'Live tail' }).check();
  const status = page.locator('.tail [role=status]');
  await status.getByText('Live tail on').waitFor();
  const live = page.locator('#tail-results tr.log-row');
  // The writer starts forwarding when it hears that someone watches: send until one arrives.
  for (let i = 0; i < 50 && (await live.count()) === 0; i++) {
    await post(`${server.url}/v1/logs`, logsRequest([{ time: nowNs(), body: `live record ${i}`, severity: 13 }], 'tailed'), PROTO);
    await page.waitForTimeout(200);
  }
  t.ok((await live.count()) > 0, 'a new record appeared in the live table');
  t.match(await live.first().innerText(), /tailed\s+live record \d+/);
  // Out of order, in one request and then an older one: shown by time.
  const t0 = nowNs();
  await post(`${server.url}/v1/logs`, logsRequest([2, 0, 3, 1].map((k) => ({ time: t0 + BigInt(k) * ms, body: `ordered ${k}` })), 'tailed'), PROTO);
  await post(`${server.url}/v1/logs`, logsRequest([{ time: t0 - 60_000n * ms, body: 'a minute late' }], 'tailed'), PROTO);
  await page.locator('#tail-results td.body', { hasText: 'a minute late' }).waitFor();
  const bodies = await live.locator('td.body').allInnerTexts();
  t.same(bodies.filter((b) => b.startsWith('ordered')), ['ordered 3', 'ordered 2', 'ordered 1', 'ordered 0'], 'newest on top');
  t.ok(bodies.indexOf('a minute late') > bodies.indexOf('ordered 0'), 'a late record goes where its time belongs');
  const times = (await page.locator('#tail-results tbody.log-record').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.time!))).map(BigInt);
  t.ok(times.every((x, i) => i === 0 || times[i - 1]! >= x), 'the whole pane is in time order');

  // The pane grows when its corner is dragged.
  const pane = page.locator('section.tail');
  const before = (await pane.boundingBox())!;
  await page.mouse.move(before.x + before.width - 4, before.y + before.height - 4);
  await page.mouse.down();
  await page.mouse.move(before.x + before.width - 4, before.y + before.height + 200, { steps: 5 });
  await page.mouse.up();
  const after = (await pane.boundingBox())!;
  t.ok(after.height > before.height + 150, `the pane grew from ${Math.round(before.height)} to ${Math.round(after.height)} px`);

  // 3000 records at once: the writer forwards 1000 a second; the rest is counted as skipped.
  await post(`${server.url}/v1/logs`, logsRequest(Array.from({ length: 3000 }, (_, i) => ({ time: nowNs() + BigInt(i), body: `flood ${i}` })), 'tailed'), PROTO);
  await status.getByText(/the newest 500 kept\); [1-9]\d* skipped by the server's rate limit/).waitFor();
  t.equal(await live.count(), 500, 'the pane keeps the newest 500');
  t.match(await status.innerText(), /Live tail on: \d+ new records \(newest on top, the newest 500 kept\); \d+ skipped by the server's rate limit of 1000 records a second/);
  await screenshot(page, 'live-tail');
  await page.getByRole('checkbox', { name: 'Live tail' }).uncheck();
  await page.locator('.tail').waitFor({ state: 'hidden' });
});

t.test('times in the browser\'s zone or UTC, remembered', async (t) => {
  await page.goto(`${server.url}/#/traces?service=frontend&range=1h`);
  const cell = page.locator(`#trace-results tr[data-trace-id="${sent.traceId}"] td.time`);
  await cell.waitFor();
  const utc = await cell.innerText();
  t.match(await page.locator('#trace-results th').first().innerText(), /Start \(UTC\)/);
  // ICU may name the zone by its older spelling (Asia/Calcutta): the page says which.
  const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  t.match(zone, /^Asia\/(Kolkata|Calcutta)$/);
  await page.getByLabel('Times').selectOption('local');
  await page.locator('#trace-results th', { hasText: `Start (${zone})` }).waitFor();
  const local = await page.locator(`#trace-results tr[data-trace-id="${sent.traceId}"] td.time`).innerText();
  const shift = Date.parse(local.replace(' ', 'T') + 'Z') - Date.parse(utc.replace(' ', 'T') + 'Z');
  t.equal(shift, 5.5 * 3_600_000, `${utc} UTC is ${local} in Kolkata`);
  t.equal(await page.getByLabel('Times').evaluate((s: HTMLSelectElement) => s.selectedOptions[0]!.textContent), `Browser (${zone}, UTC+05:30)`);
  await page.reload();
  await page.locator('#trace-results th', { hasText: `Start (${zone})` }).waitFor();
  t.equal(await page.getByLabel('Times').inputValue(), 'local', 'remembered across a reload');
  await screenshot(page, 'times-local');
  // The custom range is read in the zone shown: 10:00 in Kolkata is 04:30 UTC.
  await page.getByLabel('Time range').selectOption('custom');
  await page.getByLabel('From', { exact: true }).fill('2026-01-05T10:00:00');
  await page.getByLabel('To', { exact: true }).fill('2026-01-05T11:00:00');
  await page.getByRole('button', { name: 'Find traces' }).click();
  await page.waitForURL(/start=2026-01-05T04%3A30%3A00\.000Z&end=2026-01-05T05%3A30%3A00\.000Z/);
  await page.getByLabel('Times').selectOption('utc');
  // (chromium shows whole minutes without the seconds)
  await page.waitForFunction(() => /^2026-01-05T04:30(:00)?$/.test(document.querySelector<HTMLInputElement>('#start')?.value ?? ''));
  t.pass('and shown in UTC after switching back');
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
  t.equal((await post(`${guarded.url}/v1/logs`, logsRequest([{ time: nowNs(), body: 'guarded record', severity: 9 }], 'guarded-svc'), auth)).status, 200);

  // A page of its own: the refused calls below are logged by the browser as console errors.
  const p = await browser.newPage({ viewport: { width: 1400, height: 820 } });
  t.teardown(() => p.close());
  await p.goto(`${guarded.url}/#/logs?service=guarded-svc&range=15m`);
  await p.locator('#service-list .error').getByText(/GLUST_ERR_AUTH_MISSING_TOKEN.*Token field/).waitFor();
  await p.getByLabel('Token', { exact: true }).fill('ui-token-5d2c');
  await p.getByRole('button', { name: 'Use' }).click();
  await p.getByRole('link', { name: 'guarded-svc: 1 logs' }).waitFor();
  await p.locator('#log-results td.body', { hasText: 'guarded record' }).waitFor();

  await p.reload();
  t.equal(await p.getByLabel('Token', { exact: true }).inputValue(), 'ui-token-5d2c', 'the token survives a reload (sessionStorage)');
  await p.getByRole('link', { name: 'guarded-svc: 1 logs' }).waitFor();

  await p.getByRole('checkbox', { name: 'Live tail' }).check();
  await p.locator('.tail [role=status]').getByText('Live tail on').waitFor();
  const live = p.locator('#tail-results tr.log-row');
  for (let i = 0; i < 50 && (await live.count()) === 0; i++) {
    await post(`${guarded.url}/v1/logs`, logsRequest([{ time: nowNs(), body: `guarded live ${i}`, severity: 13 }], 'guarded-svc'), auth);
    await p.waitForTimeout(200);
  }
  t.match(await live.first().innerText(), /guarded-svc\s+guarded live \d+/, 'the live tail authenticated with the token');
  await screenshot(p, 'token-live-tail');
});
