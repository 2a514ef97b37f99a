// Benchmark report: the JSON results, a self-contained HTML dashboard (inline SVG, no scripts,
// no network), PNG snapshots of each chart (headless Chromium), and latest.md with the
// headline table against the targets.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const fmt = (n, d = 0) => (n === null || n === undefined || Number.isNaN(n) ? '–' : Number(n).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v);
}

/** A line chart as SVG. series: [{ name, points: [[x, y], ...] }]; log: log-scaled y. */
export function lineChart({ title, xLabel, yLabel, series, log = false, width = 860, height = 420 }) {
  const m = { l: 70, r: 20, t: 40, b: 80 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter((y) => y !== null && y > 0);
  const xMax = niceMax(Math.max(1, ...xs));
  const yMin = log ? 10 ** Math.floor(Math.log10(Math.min(...ys, 1))) : 0;
  const yMax = log ? 10 ** Math.ceil(Math.log10(Math.max(...ys, 1))) : niceMax(Math.max(...ys, 1));
  const X = (x) => m.l + (x / xMax) * w;
  const Y = (y) => m.t + h - (log ? (Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)) : y / yMax) * h;
  const ticksY = log
    ? Array.from({ length: Math.round(Math.log10(yMax / yMin)) + 1 }, (_, i) => yMin * 10 ** i)
    : Array.from({ length: 6 }, (_, i) => (yMax * i) / 5);
  const ticksX = Array.from({ length: 6 }, (_, i) => (xMax * i) / 5);
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}" font-family="system-ui, sans-serif" font-size="12">`;
  svg += `<rect width="${width}" height="${height}" fill="#fff"/><text x="${m.l}" y="24" font-size="15" font-weight="600">${esc(title)}</text>`;
  for (const t of ticksY) svg += `<line x1="${m.l}" x2="${m.l + w}" y1="${Y(t)}" y2="${Y(t)}" stroke="#e5e7eb"/><text x="${m.l - 6}" y="${Y(t) + 4}" text-anchor="end">${fmt(t, t < 10 && t % 1 ? 1 : 0)}</text>`;
  for (const t of ticksX) svg += `<text x="${X(t)}" y="${m.t + h + 16}" text-anchor="middle">${fmt(t)}</text>`;
  svg += `<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + h}" stroke="#374151"/><line x1="${m.l}" x2="${m.l + w}" y1="${m.t + h}" y2="${m.t + h}" stroke="#374151"/>`;
  svg += `<text x="${m.l + w / 2}" y="${m.t + h + 36}" text-anchor="middle">${esc(xLabel)}</text>`;
  svg += `<text transform="translate(16 ${m.t + h / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`;
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => p[1] !== null && (!log || p[1] > 0));
    if (pts.length === 0) return;
    const color = COLORS[i % COLORS.length];
    svg += `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ')}"/>`;
    for (const p of pts.length < 40 ? pts : []) svg += `<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="3" fill="${color}"/>`;
    // Legend: three entries per row, rows stacked under the x-axis label.
    const lx = m.l + (i % 3) * 260;
    const ly = height - 20 + Math.floor(i / 3) * 15;
    svg += `<rect x="${lx}" y="${ly - 9}" width="12" height="4" fill="${color}"/><text x="${lx + 18}" y="${ly - 4}">${esc(s.name)}</text>`;
  });
  return svg + '</svg>';
}

/** A horizontal bar chart as SVG. bars: [{ name, value, note }]. */
export function barChart({ title, unit, bars, width = 860 }) {
  const m = { l: 290, r: 110, t: 40, b: 20 };
  const rowH = 34;
  const height = m.t + m.b + bars.length * rowH;
  const max = niceMax(Math.max(...bars.map((b) => b.value), 1));
  const w = width - m.l - m.r;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}" font-family="system-ui, sans-serif" font-size="12">`;
  svg += `<rect width="${width}" height="${height}" fill="#fff"/><text x="10" y="24" font-size="15" font-weight="600">${esc(title)}</text>`;
  bars.forEach((b, i) => {
    const y = m.t + i * rowH;
    svg += `<text x="${m.l - 8}" y="${y + 18}" text-anchor="end">${esc(b.name)}</text>`;
    svg += `<rect x="${m.l}" y="${y + 5}" width="${Math.max(1, (b.value / max) * w).toFixed(1)}" height="20" fill="${b.color ?? COLORS[0]}"/>`;
    svg += `<text x="${m.l + (b.value / max) * w + 6}" y="${y + 19}">${fmt(b.value)} ${esc(unit)}</text>`;
  });
  return svg + '</svg>';
}

function charts(r) {
  const out = [];
  const half = r.fixed['glust half saturation'];
  const baseHalf = r.fixed['baseline at glust half saturation'];
  if (half) {
    const ser = (run, name) => [
      { name: `${name} p50`, points: run.timeline.map((s) => [s.t, s.p50ms]) },
      { name: `${name} p99`, points: run.timeline.map((s) => [s.t, s.p99ms]) },
    ];
    out.push({
      id: 'latency-over-time',
      svg: lineChart({
        title: `Ack latency per second at ${fmt(half.offeredRecordsPerSecond)} spans/s offered (open loop)`,
        xLabel: 'seconds', yLabel: 'latency, ms (log)', log: true,
        series: [...ser(half, 'glust'), ...(baseHalf ? ser(baseHalf, 'baseline') : [])],
      }),
    });
    out.push({
      id: 'throughput-over-time',
      svg: lineChart({
        title: 'Acknowledged spans per second over time',
        xLabel: 'seconds', yLabel: 'spans/s',
        series: [
          { name: 'glust, half saturation', points: half.timeline.map((s) => [s.t, s.recordsPerSecond]) },
          ...(baseHalf ? [{ name: 'baseline, same offered load', points: baseHalf.timeline.map((s) => [s.t, s.recordsPerSecond]) }] : []),
          ...(r.overload ? [{ name: 'glust, 5x overload then half', points: [...r.overload.during.timeline, ...r.overload.after.timeline.map((s) => ({ ...s, t: s.t + r.overload.during.timeline.length }))].map((s) => [s.t, s.recordsPerSecond]) }] : []),
        ],
      }),
    });
  }
  const ladderSeries = [];
  for (const [name, l] of Object.entries(r.ladders)) {
    if (!name.includes('testbed') || name.includes('gzip')) continue;
    // The refining steps come after the first failing one: in rate order for the line.
    const byRate = [...l.steps].sort((a, b) => a.offeredRecordsPerSecond - b.offeredRecordsPerSecond);
    ladderSeries.push({ name: `${name} p99`, points: byRate.map((s) => [s.offeredRecordsPerSecond, s.latencyMs.p99]) });
    ladderSeries.push({ name: `${name} p50`, points: byRate.map((s) => [s.offeredRecordsPerSecond, s.latencyMs.p50]) });
  }
  if (ladderSeries.length) {
    out.push({ id: 'latency-vs-load', svg: lineChart({ title: 'Ack latency vs offered load (testbed spans)', xLabel: 'offered spans/s', yLabel: 'latency, ms (log)', log: true, series: ladderSeries }) });
  }
  const st = r.stages['testbed traces'];
  if (st) {
    const bars = [
      { name: 'uWS drain only (accept, discard)', value: st.uwsDrain?.ackedRecordsPerSecond ?? 0, color: '#6b7280' },
      { name: `decode+validate, 1 core × ${r.cores}`, value: st.decode.recordsPerSecond * r.cores, color: '#6b7280' },
      { name: 'DuckDB write only (1 thread)', value: st.duckdb.recordsPerSecond, color: '#6b7280' },
      { name: 'glust pipeline (saturation, durable)', value: r.ladders['glust traces testbed']?.saturationRecordsPerSecond ?? 0, color: COLORS[0] },
      { name: 'naive baseline (saturation)', value: r.ladders['baseline traces testbed']?.saturationRecordsPerSecond ?? 0, color: COLORS[1] },
    ];
    out.push({ id: 'stage-limits', svg: barChart({ title: 'Stage limits and pipeline, testbed spans/s (same run)', unit: 'spans/s', bars }) });
  }
  if (r.overload) {
    out.push({
      id: 'overload-rss',
      svg: lineChart({ title: `RSS during 5x overload (${fmt(r.overload.offeredRecordsPerSecond)} spans/s offered) and recovery`, xLabel: 'seconds', yLabel: 'MB', series: [{ name: 'server RSS', points: r.overload.samples.map((s) => [s.t, s.rssMB]) }, { name: 'server CPU % of one core', points: r.overload.samples.map((s) => [s.t, s.cpuPercent]) }] }),
    });
  }
  return out;
}

/** Issue 14's targets (the hot path), each against this run's figure. */
function targets(r) {
  const testbed = r.ladders['glust traces testbed'];
  const sat = testbed?.saturationRecordsPerSecond ?? 0;
  const logs = r.ladders['glust logs realistic']?.saturationRecordsPerSecond ?? 0;
  const spans = r.ladders['glust traces realistic']?.saturationRecordsPerSecond;
  const gzip = r.ladders['glust traces testbed gzip']?.saturationRecordsPerSecond;
  const half = r.fixed['glust half saturation'];
  const baseHalf = r.fixed['baseline at glust half saturation'];
  const tenK = r.fixed['glust 10k spans/s'];
  const d = r.disk;
  // Server CPU per acknowledged span over a whole run (warm-up in both numbers).
  const usPerSpan = (f) => (f?.serverCpuSeconds > 0 ? (f.serverCpuSeconds * 1e6) / Math.max(1, f.totalAckedRecordsIncludingWarmup) : null);
  const glustUs = usPerSpan(testbed?.best);
  const baseUs = usPerSpan(r.ladders['baseline traces testbed']?.best);
  const overRss = r.overload ? Math.max(...r.overload.samples.map((s) => s.rssMB)) : null;
  const rows = [
    ['Saturation, testbed spans, durable acks', '≥ 400,000 spans/s', `${fmt(sat)} spans/s${testbed?.best ? ` (p99 ${fmt(testbed.best.latencyMs.p99, 1)} ms)` : ''}`, sat >= 400_000],
    ['Saturation, logs (realistic), durable acks', '≥ 300,000 records/s', `${fmt(logs)} records/s`, logs >= 300_000],
    ['Saturation, spans (realistic), durable acks', '≥ 100,000 spans/s', spans === undefined ? '–' : `${fmt(spans)} spans/s`, spans >= 100_000],
    ['gzip against identity, testbed saturation', 'within 15%', gzip === undefined ? '–' : `${fmt(gzip)} against ${fmt(sat)} spans/s (${fmt((100 * gzip) / Math.max(1, sat))}%)`, gzip >= 0.85 * sat],
    ['Server CPU per testbed span at saturation, all threads', '≤ 4 µs', glustUs === null ? '–' : `${fmt(glustUs, 1)} µs`, glustUs !== null && glustUs <= 4],
    ['CPU per span against the naive baseline', 'below', glustUs === null || baseUs === null ? '–' : `${fmt(glustUs, 1)} against ${fmt(baseUs, 1)} µs`, glustUs !== null && baseUs !== null && glustUs < baseUs],
    ['Throughput vs naive baseline', '≥ 3×', `${fmt(r.ratios?.glustOverBaselineSaturation, 1)}×`, r.ratios?.glustOverBaselineSaturation >= 3],
    ['p99 ack latency at half saturation', '≤ 10 ms', half ? `${fmt(half.latencyMs.p99, 1)} ms (p50 ${fmt(half.latencyMs.p50, 1)})` : '–', half && half.latencyMs.p99 <= 10],
    ['p99 vs baseline at the same offered load', 'lower', baseHalf && half ? `${fmt(half.latencyMs.p99, 1)} vs ${fmt(baseHalf.latencyMs.p99, 1)} ms` : '–', baseHalf && half && half.latencyMs.p99 < baseHalf.latencyMs.p99],
    // After the warm-up where the run has that window (a fresh server's start is not the rate's cost).
    ['Server CPU at 10,000 spans/s', '≤ 6% of one core', tenK ? (tenK.steadyServerCpuPercentOfOneCore != null ? `${fmt(tenK.steadyServerCpuPercentOfOneCore, 1)}% after the warm-up (${fmt(tenK.serverCpuPercentOfOneCore, 1)}% with it)` : `${fmt(tenK.serverCpuPercentOfOneCore, 1)}%`) : '–', tenK && (tenK.steadyServerCpuPercentOfOneCore ?? tenK.serverCpuPercentOfOneCore) <= 6],
    ['Peak RSS at 10,000 spans/s', '≤ 150 MB', tenK?.serverPeakRssMB ? `${fmt(tenK.serverPeakRssMB)} MB` : '–', tenK?.serverPeakRssMB <= 150],
    ['Peak RSS at saturation (testbed spans)', '≤ 400 MB', testbed?.best?.serverPeakRssMB ? `${fmt(testbed.best.serverPeakRssMB)} MB` : '–', testbed?.best?.serverPeakRssMB <= 400],
    ['Pipeline against its slowest stage', '≥ 70%', `${fmt(100 * (r.ratios?.pipelineOverSlowestStage ?? 0))}%`, r.ratios?.pipelineOverSlowestStage >= 0.7],
    ['Disk, testbed span', '≤ 40 bytes', d['testbed traces'] ? `${fmt(d['testbed traces'].bytesPerRecord, 1)} bytes` : '–', d['testbed traces']?.bytesPerRecord <= 40],
    ['Disk, realistic spans vs raw OTLP', '≤ 15%', d['realistic traces'] ? `${fmt(100 * d['realistic traces'].fractionOfRawOtlp, 1)}% (${fmt(d['realistic traces'].bytesPerRecord, 1)} of ${fmt(d['realistic traces'].rawOtlpBytesPerRecord)} bytes)` : '–', d['realistic traces']?.fractionOfRawOtlp <= 0.15],
    ['Disk, realistic logs vs raw OTLP', '≤ 15%', d['realistic logs'] ? `${fmt(100 * d['realistic logs'].fractionOfRawOtlp, 1)}% (${fmt(d['realistic logs'].bytesPerRecord, 1)} of ${fmt(d['realistic logs'].rawOtlpBytesPerRecord)} bytes)` : '–', d['realistic logs']?.fractionOfRawOtlp <= 0.15],
  ];
  if (overRss !== null) rows.push(['RSS through 5× overload', '≤ 400 MB', `${fmt(overRss)} MB at most`, overRss <= 400]);
  if (r.overload) {
    const o = r.overload;
    const statuses = Object.keys(o.during.byStatus).filter((s) => s !== '200');
    rows.push(['5× overload for the run: no crash, refusals 429/503 with Retry-After', 'yes', `${o.ok ? 'no data lost' : 'DATA LOST'}; refusal statuses ${statuses.join(', ') || 'none'}; ${o.refusalsWithoutRetryAfter} without Retry-After`, o.ok && statuses.every((s) => s === '503' || s === '429') && o.refusalsWithoutRetryAfter === 0]);
    rows.push(['5× overload: RSS flat', 'no growth', `${fmt(o.rssFirstThirdMaxMB)} MB → ${fmt(o.rssLastThirdMaxMB)} MB (max of first vs last third)`, o.rssLastThirdMaxMB <= o.rssFirstThirdMaxMB * 1.1]);
    rows.push(['Recovery right after overload (half saturation)', 'acked = offered', `${fmt(o.after.ackedRecordsPerSecond)} of ${fmt(o.after.offeredRecordsPerSecond)} spans/s, p99 ${fmt(o.after.latencyMs.p99, 1)} ms`, o.after.ackedRecordsPerSecond >= 0.97 * o.after.offeredRecordsPerSecond]);
  }
  rows.push(['Records read back = records acknowledged (every run)', 'all runs', `${r.checks.filter((c) => c.ok).length} of ${r.checks.length} runs`, r.checks.every((c) => c.ok)]);
  if (r.loadRuns) {
    const { count, unanswered } = r.loadRuns;
    rows.push(['Every request answered (none left in flight when a load ends)', 'all runs', `${count - unanswered.length} of ${count} runs`, unanswered.length === 0]);
  }
  return rows;
}

/** OTLP/HTTP beside OTLP/gRPC, testbed spans, both from this run (absent in older results). */
function transports(r) {
  const grpc = r.ladders['glust traces testbed grpc'];
  if (!grpc) return '';
  const http = r.ladders['glust traces testbed'];
  const rows = [
    ['OTLP/HTTP (uWS)', http, r.fixed['glust half saturation']],
    ['OTLP/gRPC (node:http2)', grpc, r.fixed['glust half saturation grpc']],
    ['OTLP/gRPC at the HTTP half-saturation rate', null, r.fixed['glust grpc at http half saturation']],
  ];
  // Server CPU per call over the whole fixed-rate run (warm-up included in both numbers).
  const cpuPerCall = (f) => (f ? (f.serverCpuSeconds * 1e6) / Math.max(1, f.totalAckedRecordsIncludingWarmup / f.recordsPerRequest) : null);
  return '\n\n## OTLP/HTTP and OTLP/gRPC (testbed spans, 100 per call, same run)\n\n' +
    '| transport | saturation | at half saturation: offered | p50 / p99 | server CPU | CPU per call |\n|---|---|---|---|---|---|\n' +
    rows.map(([name, l, f]) => `| ${name} | ${l ? `${fmt(l.saturationRecordsPerSecond)} spans/s` : '–'} | ${f ? `${fmt(f.offeredRecordsPerSecond)} spans/s` : '–'} | ${f ? `${fmt(f.latencyMs.p50, 1)} / ${fmt(f.latencyMs.p99, 1)} ms` : '–'} | ${f ? `${fmt(f.serverCpuPercentOfOneCore)}%` : '–'} | ${f ? `${fmt(cpuPerCall(f))} µs` : '–'} |`).join('\n');
}

/**
 * Steal over the suite's runs (bench/lib/proc.mjs stealSeconds): how much of the time the
 * hypervisor gave these cores to other guests. Suites from before it was recorded have none.
 */
function stealLine(r) {
  const runs = [...Object.values(r.ladders).flatMap((l) => l.steps ?? []), ...Object.values(r.fixed), r.overload?.during, r.overload?.after]
    .map((x) => x?.hostStealPercentOfOneCore)
    .filter((x) => typeof x === 'number')
    .sort((a, b) => a - b);
  if (runs.length === 0) return '';
  return ` Host steal (the hypervisor running other guests on these cores) over its ${runs.length} runs: median ${fmt(runs[Math.floor(runs.length / 2)], 1)}%, ` +
    `largest ${fmt(runs[runs.length - 1], 1)}% of one core; where it is high, CPU and latency read high.`;
}

function markdown(r, rows, pngs) {
  const head = `# Glust benchmark, ${r.suite} suite\n\n${r.date} · commit ${r.commit} · Node ${r.node} · ${r.cpu} × ${r.cores} · \`${r.command}\`\n` +
    `Load generator on the same ${r.cores} cores (its CPU is not counted as server CPU).${stealLine(r)}\n\n`;
  const table = '| what | target | measured | met |\n|---|---|---|---|\n' + rows.map(([a, b, c, ok]) => `| ${a} | ${b} | ${c} | ${ok ? 'yes' : '**no**'} |`).join('\n');
  const st = r.stages['testbed traces'];
  const stages = st
    ? `\n\n## Stage limits (testbed spans, same run)\n\n| stage | throughput |\n|---|---|\n` +
      `| uWS drain only (accept and discard the same bodies) | ${fmt(st.uwsDrain?.ackedRecordsPerSecond)} spans/s |\n` +
      `| decode + validate, one core | ${fmt(st.decode.recordsPerSecond)} spans/s (${fmt(st.decode.usPerRecord, 2)} µs CPU/span) |\n` +
      `| DuckDB write only (WAL rows → Parquet, one thread) | ${fmt(st.duckdb.recordsPerSecond)} rows/s (${fmt(st.duckdb.usPerRecord, 2)} µs CPU/row) |\n` +
      `| glust pipeline at saturation | ${fmt(r.ladders['glust traces testbed']?.saturationRecordsPerSecond)} spans/s = ${fmt(100 * r.ratios.pipelineOverSlowestStage)}% of the slowest stage (decode × ${r.cores} cores, DuckDB, uWS) |\n`
    : '';
  const others = Object.entries(r.ladders).map(([k, l]) => `| ${k} | ${fmt(l.saturationRecordsPerSecond)}/s | ${l.best ? `${fmt(l.best.latencyMs.p50, 1)} / ${fmt(l.best.latencyMs.p99, 1)} ms` : '–'} | ${l.best ? fmt(l.best.serverCpuPercentOfOneCore) + '%' : '–'} |`).join('\n');
  const charts = pngs.map((p) => `![${p.id}](${p.file})`).join('\n\n');
  const prof = r.profile
    ? `\n\n## Where the time goes (V8 CPU profiles at ${fmt(r.profile.offeredRecordsPerSecond)} spans/s, self time per thread)\n\n` +
      r.profile.threads.filter((t) => t.busyPercent >= 1).map((t) => `- thread ${t.thread.replace(/^CPU\.\d+\.\d+\.\d+\./, '').replace('.cpuprofile', '')}, ${fmt(t.busyPercent)}% busy: ` +
        t.top.slice(0, 8).map((f) => `${f.fn} (${f.where}) ${fmt(f.percent, 1)}%`).join(', ')).join('\n')
    : '';
  return `${head}${table}${stages}${transports(r)}\n\n## Saturation ladders\n\n| run | saturation | p50 / p99 at saturation | server CPU |\n|---|---|---|---|\n${others}${prof}\n\n${charts}\n`;
}

/**
 * `quick-2026-12-07`, or with a letter after it (b, c, …) when a run of that day is already
 * there: a second run of the day keeps the first one's files instead of overwriting them.
 */
function freshBase(dir, stem) {
  for (let i = 0; i < 26; i++) {
    const base = i === 0 ? stem : `${stem}${String.fromCharCode(97 + i)}`;
    if (!fs.existsSync(path.join(dir, `${base}.json`))) return base;
  }
  throw new Error(`${stem}: 26 runs of that day already in ${dir}`);
}

export function writeReport(r, outDir) {
  const dir = path.resolve(outDir); // chromium needs absolute file:// and --screenshot paths
  fs.mkdirSync(dir, { recursive: true });
  const base = freshBase(dir, `${r.suite}-${r.date.slice(0, 10)}`);
  const jsonFile = path.join(dir, `${base}.json`);
  fs.writeFileSync(jsonFile, JSON.stringify(r, null, 1));
  const list = charts(r);
  const rows = targets(r);
  const table = `<table><tr><th>what</th><th>target</th><th>measured</th><th>met</th></tr>${rows.map(([a, b, c, ok]) => `<tr><td>${esc(a)}</td><td>${esc(b)}</td><td>${esc(c)}</td><td class="${ok ? 'ok' : 'no'}">${ok ? 'yes' : 'no'}</td></tr>`).join('')}</table>`;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Glust benchmark ${esc(r.date)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#111;max-width:960px}table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #d1d5db;padding:4px 8px;text-align:left;font-size:14px}.ok{color:#166534}.no{color:#b91c1c;font-weight:600}figure{margin:24px 0}</style></head>
<body><h1>Glust benchmark (${esc(r.suite)})</h1><p>${esc(r.date)} · commit ${esc(r.commit)} · Node ${esc(r.node)} · ${esc(r.cpu)} × ${r.cores} · <code>${esc(r.command)}</code>. The load generator runs on the same cores.</p>
${table}${list.map((c) => `<figure id="${c.id}">${c.svg}</figure>`).join('\n')}</body></html>`;
  const htmlFile = path.join(dir, `${base}.html`);
  fs.writeFileSync(htmlFile, html);
  const pngs = snapshot(list, dir, base);
  const md = markdown(r, rows, pngs);
  const mdFile = path.join(dir, `${base}.md`);
  fs.writeFileSync(mdFile, md);
  fs.writeFileSync(path.join(dir, 'latest.md'), md);
  return [jsonFile, htmlFile, mdFile, ...pngs.map((p) => path.join(dir, p.file)), path.join(dir, 'latest.md')];
}

/** PNG of each chart, rendered by headless Chromium (skipped, and said so, when it is missing). */
export function snapshot(list, dir, base) {
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
  if (!chromium) {
    console.error('report: chromium not found, no PNG snapshots (apt-get install -y chromium)');
    return [];
  }
  const out = [];
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'glust-report-chromium-'));
  for (const c of list) {
    const page = path.join(dir, `.${c.id}.html`);
    const [, w, h] = /viewBox="0 0 (\d+) (\d+)"/.exec(c.svg);
    fs.writeFileSync(page, `<!doctype html><html><body style="margin:0">${c.svg}</body></html>`);
    const file = `${base}-${c.id}.png`;
    try {
      // A profile of its own: with the default one, a chromium already running (a UI test, say)
      // takes the request over and this one exits without a screenshot.
      execFileSync(chromium, ['--headless', '--no-sandbox', `--user-data-dir=${profile}`, '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--hide-scrollbars',
        `--screenshot=${path.join(dir, file)}`, `--window-size=${w},${h}`, `file://${page}`], { stdio: 'ignore', timeout: 60_000 });
      out.push({ id: c.id, file });
    } catch (err) {
      console.error(`report: snapshot of ${c.id} failed: ${err.message}`);
    } finally {
      fs.rmSync(page, { force: true });
    }
  }
  fs.rmSync(profile, { recursive: true, force: true });
  return out;
}
