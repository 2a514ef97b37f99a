/**
 * `glust metrics` (the metric list) and `glust metric NAME` (its points, or with --aggregate
 * its aggregates, per --step bucket and --group-by value): the metric read API (issue 11) from
 * the terminal, against a data directory or a running server, like src/cli/read.ts.
 */
import { GlustError } from '../errors.js';
import { formatTime } from '../view/display.js';
import { formatNumber, statColumns } from '../view/metric-format.js';
import { METRIC_GROUP_LIMIT } from '../view/limits.js';
import { type MetricAggregateResponse, type MetricPointRecord, type MetricStats, groupsLeftOut } from '../view/metric-records.js';
import { formatTable } from './query.js';
import { SOURCE_FLAGS, parseReadArgs } from './read-args.js';
import { withSource } from './read.js';

export const METRICS_USAGE = `usage: glust metrics [--service S] [--since 1h | --start T] [--end T] ${SOURCE_FLAGS}
  metric names seen in the window (default: the last hour) with type, unit, services and points
`;
export const METRIC_USAGE = `usage: glust metric NAME [--aggregate] [--step 1m] [--group-by KEY] [--service S] [--attr KEY:VALUE]…
                   [--since 1h | --start T] [--end T] [--limit N] ${SOURCE_FLAGS}
  a metric's points (newest --limit, oldest first), or with --aggregate its count, sum, mean, min,
  max, rate (sums) and p50/p90/p95/p99 (histograms) over the window, per --step time bucket and
  per value of the --group-by attribute (the --limit groups with the most points, default 50).
  T is RFC 3339 or unix nanoseconds.
`;

const TIME_FLAGS = { start: 'start', end: 'end' };

export async function metrics(argv: readonly string[]): Promise<void> {
  const args = parseReadArgs(argv, { service: 'service', ...TIME_FLAGS }, METRICS_USAGE);
  if (args.positional.length > 0) throw new GlustError('GLUST_ERR_CONFIG_INVALID', `unexpected argument '${args.positional[0]}'\n\n${METRICS_USAGE}`);
  const { metrics: found } = await withSource(args, (s) => s.metrics(args.params));
  if (args.json) return void found.forEach((m) => process.stdout.write(JSON.stringify(m) + '\n'));
  process.stdout.write(formatTable(
    ['metric', 'type', 'unit', 'services', 'points', 'first seen (UTC)', 'last seen (UTC)'],
    found.map((m) => [m.metric_name, m.type + (m.temporality ? ` ${m.temporality.toLowerCase()}` : ''), m.unit, m.services.join(','), String(m.points), formatTime(m.first_seen), formatTime(m.last_seen)]),
  ));
}

function pointValue(p: MetricPointRecord): string {
  if (p.value !== null) return formatNumber(p.value);
  return `count=${formatNumber(p.count)} sum=${formatNumber(p.sum)}` + (p.min !== null ? ` min=${formatNumber(p.min)} max=${formatNumber(p.max)}` : '');
}

function aggregateTable(r: MetricAggregateResponse): string {
  const cols = statColumns(r.type, r.rate !== undefined);
  const stats = (s: MetricStats) => cols.map((c) => formatNumber(s[c] as number | null | undefined));
  const head = [...cols];
  if (r.groups) {
    const rows = r.groups.flatMap((g) => (g.series ?? [null]).map((b) => [g.value ?? '(none)', ...(r.series ? [b ? formatTime(b.time) : ''] : []), ...stats(b ?? g)]));
    return formatTable([r.group_by!, ...(r.series ? ['time (UTC)'] : []), ...head], rows);
  }
  if (r.series) return formatTable(['time (UTC)', ...head], r.series.map((b) => [formatTime(b.time), ...stats(b)]));
  return formatTable(head, [stats(r)]);
}

export async function metric(argv: readonly string[]): Promise<void> {
  const aggregate = argv.includes('--aggregate');
  const rest = argv.filter((a) => a !== '--aggregate');
  const flags: Record<string, string> = { service: 'service', attr: 'attr', limit: 'limit', ...TIME_FLAGS };
  if (aggregate) Object.assign(flags, { step: 'step', 'group-by': 'groupBy' });
  const args = parseReadArgs(rest, flags, METRIC_USAGE);
  if (args.positional.length !== 1) throw new GlustError('GLUST_ERR_CONFIG_INVALID', `give one metric name\n\n${METRIC_USAGE}`);
  const name = args.positional[0]!;
  if (aggregate) {
    const r = await withSource(args, (s) => s.metricAggregate(name, args.params));
    const left = groupsLeftOut(r);
    if (left) process.stderr.write(`glust: the ${left.shown} group${left.shown === 1 ? '' : 's'} with the most points of ${left.total}; --limit N shows more (at most ${METRIC_GROUP_LIMIT.max})\n`);
    return void process.stdout.write(args.json ? JSON.stringify(r) + '\n' : aggregateTable(r));
  }
  const { points } = await withSource(args, (s) => s.metric(name, args.params));
  if (args.json) return void points.forEach((p) => process.stdout.write(JSON.stringify(p) + '\n'));
  process.stdout.write(formatTable(
    ['time (UTC)', 'service', 'value', 'attributes'],
    points.map((p) => [formatTime(p.time), p.service_name, pointValue(p), Object.entries(p.attributes).map(([k, v]) => `${k}=${v}`).join(' ')]),
  ));
}
