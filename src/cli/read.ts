/**
 * `glust traces`, `glust trace <id>` and `glust logs`: the read API from the terminal, against a
 * data directory (in-process DuckDB) or a running server (`--server URL`).
 */
import { GlustError } from '../errors.js';
import { formatDuration, formatTime } from '../view/display.js';
import type { LogRecord } from '../view/records.js';
import { type ReadArgs, SOURCE_FLAGS, parseReadArgs } from './read-args.js';
import { type ReadSource, openDataDir, openServer } from './read-source.js';
import { formatTable } from './query.js';
import { renderWaterfall } from './waterfall-text.js';

const TIME_FLAGS = { start: 'start', end: 'end', limit: 'limit' };

export const TRACES_USAGE = `usage: glust traces [--service S] [--name SPAN] [--status error|ok|unset] [--min-duration MS]
                    [--max-duration MS] [--attr KEY:VALUE]… [--since 1h | --start T] [--end T]
                    [--limit N] ${SOURCE_FLAGS}
  trace summaries, newest first (default: the last hour). T is RFC 3339 or unix nanoseconds.
`;
export const TRACE_USAGE = `usage: glust trace TRACE_ID ${SOURCE_FLAGS}
  every span of a trace as an indented waterfall
`;
export const LOGS_USAGE = `usage: glust logs [--service S] [--q TEXT] [--severity LEVEL|1-24] [--trace-id ID]
                  [--since 1h | --start T] [--end T] [--limit N] ${SOURCE_FLAGS}
  log records, newest first (default: the last hour); --q is a case-insensitive substring of the body
`;

export async function withSource<T>(args: ReadArgs, fn: (source: ReadSource) => Promise<T>): Promise<T> {
  const source = args.server ? openServer(args.server) : await openDataDir(args.dataDir);
  try {
    return await fn(source);
  } finally {
    source.close();
  }
}

export function noPositional(args: ReadArgs, usage: string): void {
  if (args.positional.length > 0) throw new GlustError('GLUST_ERR_CONFIG_INVALID', `unexpected argument '${args.positional[0]}'\n\n${usage}`);
}

export async function traces(argv: readonly string[]): Promise<void> {
  const args = parseReadArgs(argv, {
    service: 'service', name: 'name', status: 'status', 'min-duration': 'minDurationMs', 'max-duration': 'maxDurationMs', attr: 'attr', ...TIME_FLAGS,
  }, TRACES_USAGE);
  noPositional(args, TRACES_USAGE);
  const { traces: found } = await withSource(args, (s) => s.traces(args.params));
  if (args.json) return void found.forEach((t) => process.stdout.write(JSON.stringify(t) + '\n'));
  process.stdout.write(formatTable(
    ['start (UTC)', 'trace_id', 'root', 'duration', 'spans', 'errors', 'services'],
    found.map((t) => [formatTime(t.start_time), t.trace_id, `${t.root_service}: ${t.root_name}`, formatDuration(t.duration_ns), String(t.span_count), String(t.error_count), t.services.join(',')]),
  ));
}

export async function trace(argv: readonly string[]): Promise<void> {
  const args = parseReadArgs(argv, {}, TRACE_USAGE);
  if (args.positional.length !== 1) throw new GlustError('GLUST_ERR_CONFIG_INVALID', `give one trace id\n\n${TRACE_USAGE}`);
  const found = await withSource(args, (s) => s.trace(args.positional[0]!));
  if (args.json) return void found.spans.forEach((s) => process.stdout.write(JSON.stringify(s) + '\n'));
  // A terminal's width, else COLUMNS (as shells export it), else 120.
  const width = process.stdout.columns ?? (Number(process.env.COLUMNS) || 120);
  process.stdout.write(renderWaterfall(found.trace_id, found.spans, Math.max(80, width)));
}

/** One line per record: time, severity, service, body, trace id. Used by glust tail too. */
export function logLine(log: LogRecord): string {
  const severity = (log.severity_text || (log.severity_number ? String(log.severity_number) : '-')).padEnd(5);
  const body = (log.body ?? '').replace(/\s*\n\s*/g, ' ⏎ ');
  return `${formatTime(log.time ?? log.observed_time)}  ${severity}  ${log.service_name}  ${body}${log.trace_id ? `  trace=${log.trace_id}` : ''}`;
}

export async function logs(argv: readonly string[]): Promise<void> {
  const args = parseReadArgs(argv, { service: 'service', q: 'q', severity: 'severity', 'trace-id': 'traceId', ...TIME_FLAGS }, LOGS_USAGE);
  noPositional(args, LOGS_USAGE);
  const { logs: found } = await withSource(args, (s) => s.logs(args.params));
  for (const log of found) process.stdout.write((args.json ? JSON.stringify(log) : logLine(log)) + '\n');
}
