/**
 * What `glust serve` tells a person watching it: a compact status line every
 * --status-interval-s when stderr is a terminal,
 *
 *   glust: traces 1200/s, logs 40/s, metrics 300/s · ack p99 14 ms · writer lag 0 rows · disk 3.2MiB
 *
 * (records accepted per second per signal over the last interval, the 99th percentile of the
 * ack latency of that interval, rows acknowledged but not yet in Parquet, WAL + Parquet bytes on
 * disk; a line the same as the one before is not repeated, so an idle server is quiet), and
 * once, at the first flush after start, where the data went. Not on a terminal (a
 * service manager, a pipe) there is no status line: the figures are on /metrics and /health.
 * --quiet drops both. It is a Feature: it only observes the pipeline (src/feature.ts).
 */
import * as hdr from 'hdr-histogram-js';
import type { ServeConfig } from '../config.js';
import type { Feature } from '../feature.js';
import { SIGNALS } from '../otlp/signals.js';
import { SIZE } from '../settings/kinds.js';
import { type Area, DataLayout } from '../storage/layout.js';

export interface StatusOptions {
  /** Print the periodic line (a terminal, not --quiet). */
  readonly live: boolean;
  /** Say where the first flush went (not --quiet). */
  readonly noteFirstFlush: boolean;
  readonly intervalMs: number;
  readonly dataDir: string;
  readonly writeStatus: (line: string) => void;
  readonly writeNote: (line: string) => void;
}

/** The options `glust serve` runs with: live on a terminal's stderr, unless --quiet. */
export function statusOptions(config: ServeConfig, stderrIsTerminal = process.stderr.isTTY === true): StatusOptions {
  return {
    live: stderrIsTerminal && !config.quiet,
    noteFirstFlush: !config.quiet,
    intervalMs: config.statusIntervalS * 1000,
    dataDir: config.dataDir,
    writeStatus: (line) => void process.stderr.write(`${line}\n`),
    writeNote: (line) => console.log(line),
  };
}

function newHistogram(): hdr.Histogram {
  // Microseconds, 1 µs to 10 minutes, 3 significant digits (as /health's).
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
}

/** A latency in the unit that reads best: 0.8 ms, 14 ms, 2.3 s. */
function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Bytes with one decimal in the largest binary unit: 3.2MiB. */
function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (bytes < 1024) return `${bytes}B`;
  let n = bytes;
  let unit = 'B';
  for (const u of units) {
    if (n < 1024) break;
    n /= 1024;
    unit = u;
  }
  return Number.isInteger(n) ? SIZE.format(bytes) : `${n.toFixed(1)}${unit}`;
}

export function statusFeature(options: StatusOptions): Feature {
  let since = performance.now();
  let records = new Map<string, number>();
  let ack = newHistogram();
  let lagRows = 0;
  let diskBytes: number | null = null;
  let flushed = false;
  let timer: NodeJS.Timeout | null = null;
  const layout = new DataLayout(options.dataDir);

  const line = (): string => {
    const seconds = Math.max(0.001, (performance.now() - since) / 1000);
    const rates = SIGNALS.map((s) => `${s.name} ${Math.round((records.get(s.name) ?? 0) / seconds)}/s`).join(', ');
    const p99 = ack.totalCount === 0 ? '–' : formatMs(ack.getValueAtPercentile(99) / 1000);
    const disk = diskBytes === null ? '–' : formatBytes(diskBytes);
    return `glust: ${rates} · ack p99 ${p99} · writer lag ${lagRows} rows · disk ${disk}`;
  };
  let last = '';
  const tick = () => {
    // An idle server says so once, not every few seconds.
    const now = line();
    if (now !== last) options.writeStatus(now);
    last = now;
    since = performance.now();
    records = new Map();
    ack.destroy();
    ack = newHistogram();
  };

  return {
    name: 'status',
    pipelineObserver: {
      onDecoded(signal, result) {
        if (result.ok) records.set(signal.name, (records.get(signal.name) ?? 0) + result.accepted);
      },
      onSettled(_signal, ok, seconds) {
        if (ok) ack.recordValue(Math.max(1, Math.round(seconds * 1e6)));
      },
      onWriterStats(stats) {
        const tables = Object.values(stats.tables);
        lagRows = tables.reduce((n, t) => n + t.lagRows, 0);
        diskBytes = tables.reduce((n, t) => n + t.walBytesOnDisk + t.parquetBytes, 0);
        const first = stats.conversions.find((c) => c.rows > 0);
        if (first && !flushed && options.noteFirstFlush) {
          flushed = true;
          const dir = layout.areaDir(first.table as Area);
          options.writeNote(`glust: first flush: ${first.rows} row${first.rows === 1 ? '' : 's'} of ${first.table} in Parquet under ${dir}/ (query them with: glust query "SELECT * FROM ${first.table}" --data ${options.dataDir})`);
        }
      },
    },
    attach() {
      if (options.live) timer = setInterval(tick, options.intervalMs).unref();
    },
    close() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
