/**
 * `glust services` (a RED table: per service, its entry spans' rate, errors and duration
 * percentiles) and `glust map` (the service map's edges as a table): the issue 15 API from the
 * terminal, against a data directory or a running server, like src/cli/read.ts.
 */
import { formatNumber } from '../view/metric-format.js';
import type { RedStats } from '../view/service-records.js';
import { formatTable } from './query.js';
import { SOURCE_FLAGS, parseReadArgs } from './read-args.js';
import { noPositional, withSource } from './read.js';

export const SERVICES_USAGE = `usage: glust services [--service S] [--since 1h | --start T] [--end T] ${SOURCE_FLAGS}
  per service, its requests (root, SERVER and CONSUMER spans) in the window (default: the last
  hour): count, rate per second, errors, error rate and p50/p95/p99 duration. T is RFC 3339 or
  unix nanoseconds.
`;
export const MAP_USAGE = `usage: glust map [--service S] [--since 1h | --start T] [--end T] ${SOURCE_FLAGS}
  the calls between services in the window (default: the last hour), one row per caller → callee:
  calls, errors and the p95 of the callee's spans; --service keeps the edges of that service
`;

const FLAGS = { service: 'service', start: 'start', end: 'end' };

const ms = (v: number | null) => (v === null ? '–' : `${formatNumber(v)} ms`);
const percent = (r: number) => `${formatNumber(Math.round(r * 10_000) / 100)}%`;
const stats = (s: RedStats) => [String(s.requests), String(s.errors), percent(s.error_rate), ms(s.p50_ms), ms(s.p95_ms), ms(s.p99_ms)];

export async function services(argv: readonly string[]): Promise<void> {
  const args = parseReadArgs(argv, FLAGS, SERVICES_USAGE);
  noPositional(args, SERVICES_USAGE);
  // The map's nodes carry each service's entry-span figures over the window.
  const map = await withSource(args, (s) => s.serviceMap(args.params));
  const seconds = Number(BigInt(map.end) - BigInt(map.start)) / 1e9;
  if (args.json) return void map.nodes.forEach((n) => process.stdout.write(JSON.stringify({ ...n, rate: n.requests / seconds }) + '\n'));
  process.stdout.write(formatTable(
    ['service', 'spans', 'requests', 'errors', 'error rate', 'p50', 'p95', 'p99', 'rate /s'],
    map.nodes.map((n) => {
      const [requests, ...rest] = stats(n);
      return [n.service_name, String(n.spans), requests!, ...rest, formatNumber(n.requests / seconds)];
    }),
  ));
}

export async function map(argv: readonly string[]): Promise<void> {
  const args = parseReadArgs(argv, FLAGS, MAP_USAGE);
  noPositional(args, MAP_USAGE);
  const { edges } = await withSource(args, (s) => s.serviceMap(args.params));
  if (args.json) return void edges.forEach((e) => process.stdout.write(JSON.stringify(e) + '\n'));
  process.stdout.write(formatTable(
    ['caller', 'callee', 'calls', 'errors', 'error rate', 'p95'],
    edges.map((e) => [e.caller, e.callee, String(e.calls), String(e.errors), percent(e.error_rate), ms(e.p95_ms)]),
  ));
}
