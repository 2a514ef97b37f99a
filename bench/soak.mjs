// The soak benchmark: `npm run bench -- soak [minutes] [spans/s]` (not part of CI).
//
// One glust server takes testbed spans at half its saturation rate (from the newest full
// benchmark result, or the rate given) for 10 minutes, from clients that behave like OTLP
// exporters under stress: refused requests are retried after Retry-After, 2% of acknowledged
// requests are sent a second time (an exporter whose timeout fired first), and one request in
// 200 is malformed (it must get a 400 and change nothing). Every second the server's RSS, open
// file descriptors, WAL and Parquet bytes are sampled; with the generator's per-second p99 they
// are plotted over time and judged flat (last third against first third). At the end every
// acknowledged span must be in Parquet.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DataLayout } from '../dist/storage/layout.js';
import { cpuModel, sampler } from './lib/proc.mjs';
import { execSync } from 'node:child_process';
import { lineChart, snapshot } from './lib/report.mjs';
import { ROOT, runJson, startGlust } from './lib/servers.mjs';

const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);

function dirBytes(dir) {
  let bytes = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) {
      try {
        bytes += fs.statSync(path.join(e.parentPath ?? e.path, e.name)).size;
      } catch {
        // converted or deleted between listing and stat
      }
    }
  }
  return bytes;
}

/** Half the saturation rate of the newest full benchmark result, in spans/s. */
function halfSaturationFromResults() {
  const dir = path.join(ROOT, 'bench', 'results');
  const newest = fs.readdirSync(dir).filter((f) => /^full-\d{4}-\d{2}-\d{2}\.json$/.test(f)).sort().at(-1);
  if (!newest) return null;
  const r = JSON.parse(fs.readFileSync(path.join(dir, newest), 'utf8'));
  const sat = r.ladders?.['glust traces testbed']?.saturationRecordsPerSecond;
  return sat ? { rate: Math.round(sat / 2), from: newest } : null;
}

async function stored(dataDir) {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const files = new DataLayout(dataDir).parquetGlob('spans');
    const row = (await conn.runAndReadAll(`SELECT count(*), count(DISTINCT (trace_id, span_id)) FROM read_parquet('${files}')`)).getRows()[0];
    return { rows: Number(row[0]), distinct: Number(row[1]) };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Max of the first third against max of the last third of a series. */
function thirds(values) {
  const n = values.length;
  const first = values.slice(0, Math.max(1, Math.floor(n / 3)));
  const last = values.slice(Math.floor((2 * n) / 3));
  return { firstMax: Math.max(...first), lastMax: Math.max(...last) };
}

export async function main(args) {
  const minutes = Number(args[0] ?? 10);
  const fromResults = halfSaturationFromResults();
  const rate = Number(args[1] ?? fromResults?.rate ?? 50_000);
  const requestsPerSecond = Math.max(1, Math.round(rate / 100));
  log(`soak: ${minutes} min at ${requestsPerSecond * 100} spans/s (${args[1] ? 'given' : fromResults ? `half saturation of ${fromResults.from}` : 'default'})`);

  const server = await startGlust();
  const samples = sampler(server.pid);
  const extra = [];
  const timer = setInterval(() => {
    const layout = new DataLayout(server.dataDir);
    extra.push({ walMB: dirBytes(layout.walRoot) / 1048576, parquetMB: dirBytes(layout.areaDir('spans')) / 1048576 });
  }, 1000);
  const writerSeries = scrapeWriter(server.port);
  const load = await runJson(path.join(ROOT, 'bench', 'lib', 'loadgen.mjs'), [JSON.stringify({
    port: server.port, rate: requestsPerSecond, durationS: minutes * 60, warmupS: 0, connections: 64,
    shape: 'testbed', signal: 'traces', retryRefused: true, duplicateFraction: 0.02, malformedEvery: 200,
  })]);
  clearInterval(timer);
  const writer = writerSeries.stop();
  const procSamples = samples.stop();
  const exitCode = await server.stop();
  const back = await stored(server.dataDir);
  fs.rmSync(server.dataDir, { recursive: true, force: true });

  const series = procSamples.map((s, i) => ({ ...s, ...(extra[i] ?? extra.at(-1) ?? {}) }));
  const perMinuteP99 = [];
  for (let m = 0; m < minutes; m++) {
    const secs = load.timeline.slice(m * 60, (m + 1) * 60).map((s) => s.p99ms).filter((v) => v !== null);
    perMinuteP99.push(secs.length ? secs.sort((a, b) => a - b)[Math.floor(secs.length / 2)] : null);
  }
  const rss = thirds(series.map((s) => s.rssMB));
  const fds = thirds(series.map((s) => s.fds));
  const wal = thirds(series.map((s) => s.walMB ?? 0));
  // p99 is judged on the median per-second p99 of each third: a max would let one start-up
  // spike in the first third hide a steady climb.
  const p99 = p99Thirds(load.timeline);
  // A malformed body is answered 400 once decoded; under a moment of overload it may be refused
  // (503) before anyone reads it, which is also right.
  const malformedOk = (load.client.malformedByStatus['400'] ?? 0) > 0 && Object.keys(load.client.malformedByStatus).every((s) => ['400', '429', '503'].includes(s));
  const checks = [
    ['Every acknowledged span is in Parquet', `${back.distinct.toLocaleString('en-US')} distinct spans stored ≥ ${load.totalAckedRecordsIncludingWarmup.toLocaleString('en-US')} acknowledged`, back.distinct >= load.totalAckedRecordsIncludingWarmup],
    // Raw rows too: every acknowledgement, duplicates included, wrote its rows (none is dropped
    // before compaction of the day), so a loss shows here even if the client miscounts which
    // acknowledgements were of distinct spans.
    ['Every acknowledged row is in Parquet (duplicates included)', `${back.rows.toLocaleString('en-US')} rows stored ≥ ${(load.totalAckedRecordsIncludingWarmup + load.client.duplicateRecordsAcked).toLocaleString('en-US')} acknowledged`, back.rows >= load.totalAckedRecordsIncludingWarmup + load.client.duplicateRecordsAcked],
    ['RSS flat', `${rss.firstMax.toFixed(0)} → ${rss.lastMax.toFixed(0)} MB (max of first vs last third)`, rss.lastMax <= rss.firstMax * 1.1],
    ['Open file descriptors flat', `${fds.firstMax} → ${fds.lastMax}`, fds.lastMax <= fds.firstMax + 8],
    ['WAL size flat', `${wal.firstMax.toFixed(1)} → ${wal.lastMax.toFixed(1)} MB`, wal.lastMax <= wal.firstMax * 1.5 + 16],
    p99Check(p99),
    ['Malformed requests answered 400 (or 503 before being read)', `${load.client.malformedSent} sent: ${JSON.stringify(load.client.malformedByStatus)}`, malformedOk],
    ['Clean exit on SIGTERM', `exit code ${exitCode}`, exitCode === 0],
  ];
  const result = {
    suite: 'soak',
    date: new Date().toISOString(),
    commit: execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim(),
    node: process.version,
    cpu: cpuModel(),
    cores: (await import('node:os')).availableParallelism(),
    command: `npm run bench -- soak ${args.join(' ')}`.trim(),
    minutes,
    offeredSpansPerSecond: requestsPerSecond * 100,
    load: { ...load, timeline: undefined },
    timeline: load.timeline,
    samples: series,
    writer,
    stored: back,
    duplicateRowsStored: back.rows - back.distinct,
    perMinuteMedianOfSecondP99: perMinuteP99,
    checks: checks.map(([what, measured, ok]) => ({ what, measured, ok })),
    ok: checks.every((c) => c[2]),
  };
  writeSoakReport(result);
  log(`soak ${result.ok ? 'passed' : 'FAILED'}: ${checks.map(([w, m, ok]) => `${w}: ${m}${ok ? '' : ' (no)'}`).join('; ')}`);
  if (!result.ok) process.exit(1);
}

/**
 * The writer's own view every 10 s, from the server's /metrics: conversions (WAL segment to
 * Parquet) in the window and their mean time, Parquet files of the day, segments waiting. A p99
 * that climbs while these stay flat is not the writer's doing.
 */
function scrapeWriter(port) {
  const windows = [];
  const t0 = Date.now();
  let last = null;
  const value = (text, re) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : 0;
  };
  const timer = setInterval(async () => {
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const now = {
        sum: value(text, /^glust_parquet_flush_duration_seconds_sum\{table="spans"\} (\S+)$/m),
        count: value(text, /^glust_parquet_flush_duration_seconds_count\{table="spans"\} (\S+)$/m),
        files: value(text, /^glust_parquet_files\{table="spans"\} (\S+)$/m),
        pending: value(text, /^glust_wal_pending_segments\{table="spans"\} (\S+)$/m),
        fsyncs: value(text, /^glust_wal_fsyncs_total(?:\{[^}]*\})? (\S+)$/m),
      };
      if (last) {
        const n = now.count - last.count;
        windows.push({ t: Math.round((Date.now() - t0) / 1000), conversions: n, meanConvertMs: n > 0 ? ((now.sum - last.sum) / n) * 1000 : null, parquetFiles: now.files, pendingSegments: now.pending, fsyncsPerSecond: (now.fsyncs - last.fsyncs) / 10 });
      }
      last = now;
    } catch {
      // the server is stopping
    }
  }, 10_000);
  return { stop: () => (clearInterval(timer), windows) };
}

/** Median of the per-second p99 in the first and the last third of the run. */
export function p99Thirds(timeline) {
  const values = timeline.map((s) => s.p99ms).filter((v) => v !== null);
  const n = values.length;
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  return { first: median(values.slice(0, Math.max(1, Math.floor(n / 3)))), last: median(values.slice(Math.floor((2 * n) / 3))) };
}

export function p99Check(p99) {
  return ['p99 flat (median per-second p99, first vs last third)', `${p99.first.toFixed(1)} → ${p99.last.toFixed(1)} ms`, p99.last <= 1.25 * p99.first + 5];
}

export function writeSoakReport(r) {
  const dir = path.join(ROOT, 'bench', 'results');
  const base = `soak-${r.date.slice(0, 10)}`;
  fs.writeFileSync(path.join(dir, `${base}.json`), JSON.stringify(r, null, 1));
  const charts = [
    { id: 'resources', svg: lineChart({ title: 'Server RSS, WAL and open files over the soak', xLabel: 'seconds', yLabel: 'MB / count', series: [
      { name: 'RSS, MB', points: r.samples.map((s) => [s.t, s.rssMB]) },
      { name: 'WAL, MB', points: r.samples.map((s) => [s.t, s.walMB ?? 0]) },
      { name: 'open file descriptors', points: r.samples.map((s) => [s.t, s.fds]) },
    ] }) },
    { id: 'latency', svg: lineChart({ title: `Ack latency per second at ${r.offeredSpansPerSecond.toLocaleString('en-US')} spans/s offered, with retries, duplicates and malformed requests`, xLabel: 'seconds', yLabel: 'ms (log)', log: true, series: [
      { name: 'p50', points: r.timeline.map((s) => [s.t, s.p50ms]) },
      { name: 'p99', points: r.timeline.map((s) => [s.t, s.p99ms]) },
    ] }) },
    { id: 'writer', svg: lineChart({ title: 'Writer every 10 s: mean WAL-to-Parquet conversion and Parquet files of the day', xLabel: 'seconds', yLabel: 'ms / count', series: [
      { name: 'mean conversion, ms', points: (r.writer ?? []).filter((w) => w.meanConvertMs !== null).map((w) => [w.t, w.meanConvertMs]) },
      { name: 'Parquet span files', points: (r.writer ?? []).map((w) => [w.t, w.parquetFiles]) },
    ] }) },
    { id: 'throughput', svg: lineChart({ title: 'Acknowledged spans per second', xLabel: 'seconds', yLabel: 'spans/s', series: [{ name: 'acknowledged', points: r.timeline.map((s) => [s.t, s.recordsPerSecond]) }] }) },
  ];
  const table = r.checks.map((c) => `| ${c.what} | ${c.measured} | ${c.ok ? 'yes' : '**no**'} |`).join('\n');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Glust soak ${r.date}</title><style>body{font-family:system-ui,sans-serif;margin:24px;max-width:960px}</style></head><body><h1>Glust soak</h1><p>${r.date} · commit ${r.commit} · Node ${r.node} · ${r.cpu} × ${r.cores} · <code>${r.command}</code></p>${charts.map((c) => `<figure>${c.svg}</figure>`).join('')}</body></html>`;
  fs.writeFileSync(path.join(dir, `${base}.html`), html);
  const pngs = snapshot(charts, dir, base);
  const c = r.load.client;
  const md = `# Glust soak benchmark\n\n${r.date} · commit ${r.commit} · Node ${r.node} · ${r.cpu} × ${r.cores} · \`${r.command}\`\n\n` +
    `${r.minutes} minutes at ${r.offeredSpansPerSecond.toLocaleString('en-US')} spans/s offered (testbed spans, 64 keep-alive connections, open loop), load generator on the same cores. ` +
    `Clients retried ${c.retried} refused requests after Retry-After, sent ${c.duplicates} acknowledged requests a second time (${c.duplicateRecordsAcked.toLocaleString('en-US')} duplicate spans acknowledged; ${r.duplicateRowsStored.toLocaleString('en-US')} duplicate rows in Parquet), and ${c.malformedSent} malformed requests. ` +
    `Acknowledged ${r.load.totalAckedRecordsIncludingWarmup.toLocaleString('en-US')} spans, p50 ${r.load.latencyMs.p50} ms, p99 ${r.load.latencyMs.p99} ms, max ${r.load.latencyMs.max} ms; statuses ${JSON.stringify(r.load.byStatus)}.\n\n` +
    `| check | measured | flat / ok |\n|---|---|---|\n${table}\n\n${pngs.map((p) => `![${p.id}](${p.file})`).join('\n\n')}\n`;
  fs.writeFileSync(path.join(dir, `${base}.md`), md);
}
