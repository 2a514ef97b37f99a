/**
 * Requests that reach no route, answered so that a misconfigured exporter can be put right:
 *
 *   POST /v1/trace          404 GLUST_ERR_HTTP_NOT_FOUND: no route for POST /v1/trace; did you mean POST /v1/traces?
 *   POST /v1development/profiles  404 GLUST_ERR_HTTP_SIGNAL_UNSUPPORTED: this server does not take profiles …
 *
 * The nearest route is the registered route (src/acceptor/route-book.ts) closest in edit
 * distance, or one the path ends with or starts with (an endpoint that already held the path,
 * `/v1/traces/v1/traces`; a prefix, `/otlp/v1/traces`). The OTLP signals of the specification
 * that this server does not take get a route of their own that says so by name; a signal added
 * to src/otlp/signals.ts leaves this list by itself.
 *
 * Every such request is counted (glust_requests_unmatched_total, by method and nearest route: a
 * bounded set of label values), and the first one per path is logged once with where it came
 * from, so an operator can find the exporter.
 */
import { GlustError } from '../errors.js';
import { SIGNALS } from '../otlp/signals.js';
import { parseContentType } from './content.js';
import { type Reply, errorReply } from './respond.js';
import type { Route, RouteBook } from './route-book.js';
import type { AcceptorObserver } from './server.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from './uws.js';

/** The OTLP/HTTP paths of the specification's signals (profiles are still in development there). */
const OTLP_SIGNAL_PATHS: ReadonlyArray<readonly [string, string]> = [
  ['traces', '/v1/traces'],
  ['metrics', '/v1/metrics'],
  ['logs', '/v1/logs'],
  ['profiles', '/v1development/profiles'],
];

/** The SDK setting that turns a signal's exporter off. */
const EXPORTER_OFF: Readonly<Record<string, string>> = {
  traces: 'OTEL_TRACES_EXPORTER=none',
  metrics: 'OTEL_METRICS_EXPORTER=none',
  logs: 'OTEL_LOGS_EXPORTER=none',
};

interface UnsupportedSignal {
  readonly name: string;
  readonly path: string;
}

/** The specification's signals that src/otlp/signals.ts does not serve. */
function unsupportedSignals(): UnsupportedSignal[] {
  const served = new Set(SIGNALS.map((s) => s.path));
  return OTLP_SIGNAL_PATHS.filter(([, path]) => !served.has(path)).map(([name, path]) => ({ name, path }));
}

function signalUnsupported(signal: UnsupportedSignal): GlustError {
  const names = SIGNALS.map((s) => `${s.name} (POST ${s.path})`);
  const stored = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names.join('');
  const off = EXPORTER_OFF[signal.name];
  return new GlustError('GLUST_ERR_HTTP_SIGNAL_UNSUPPORTED',
    `this server does not take ${signal.name} (POST ${signal.path}); it stores ${stored}. ` +
      `Send ${signal.name} elsewhere, or turn the ${signal.name} exporter off for this endpoint${off ? ` (${off})` : ''}`);
}

/** Edit distance (insertions, deletions, substitutions) between two strings. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/** A pattern's `:parameter` segments filled with the request's segments at the same places. */
function filled(pattern: string, path: string): string {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return pattern.replace(/:(\w+)/g, '<$1>');
  return want.map((seg, i) => (seg.startsWith(':') ? got[i]! : seg)).join('/');
}

export interface Nearest {
  /** What to suggest: `POST /v1/traces`, `GET /api/traces/<id>` (parameters filled in). */
  readonly shown: string;
  /** The route's pattern, for the metric label. */
  readonly pattern: string;
}

/** Paths longer than this are not compared (the distance costs their product). */
const MAX_COMPARED_LENGTH = 256;

/** The route nearest to `method path`, or null when none is near enough to be a likely typo. */
export function nearestRoute(method: string, path: string, routes: readonly Route[]): Nearest | null {
  if (path.length > MAX_COMPARED_LENGTH) return null;
  let best: { route: Route; candidate: string; score: number } | null = null;
  for (const route of routes) {
    if (route.pattern.includes('*')) continue;
    const candidate = filled(route.pattern, path);
    const d = path.endsWith(candidate) || path.startsWith(`${candidate}/`) ? 0 : distance(path, candidate);
    if (d > 3 || d * 3 > candidate.length) continue;
    // Ties: a route of the request's own method, then one of a named method over ANY.
    const score = d * 4 + (route.method === method ? 0 : route.method === 'ANY' ? 2 : 1);
    if (!best || score < best.score) best = { route, candidate, score };
  }
  if (!best) return null;
  // A pattern registered for one method and for ANY (the 405 answer of an OTLP path) is shown with its method.
  const named = routes.find((r) => r.pattern === best.route.pattern && r.method !== 'ANY');
  const shownMethod = best.route.method !== 'ANY' ? best.route.method : named?.method;
  return { shown: shownMethod ? `${shownMethod} ${best.candidate}` : best.candidate, pattern: best.route.pattern };
}

/** Methods kept as they are in the metric label; any other is `OTHER`. */
const METHOD_LABELS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);

function methodLabel(method: string): string {
  return METHOD_LABELS.has(method) ? method : 'OTHER';
}

/** Paths logged at most; past that, unmatched requests are only counted. */
const MAX_LOGGED_PATHS = 256;

/** Text from a request (path, User-Agent) made safe and short for one log line. */
function printable(text: string, max = 200): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** Logs the first unmatched request of each path, once. */
class UnmatchedLog {
  private readonly logged = new Set<string>();

  constructor(private readonly write: (line: string) => void = (line) => console.warn(line)) {}

  note(path: string, err: GlustError, from: string, userAgent: string): void {
    if (this.logged.has(path) || this.logged.size >= MAX_LOGGED_PATHS) return;
    this.logged.add(path);
    const agent = userAgent ? `, User-Agent ${printable(userAgent)}` : '';
    this.write(`glust: ${err.code}: ${printable(err.message, 400)} (from ${printable(from)}${agent}; ` +
      'logged once per path, every one counted in glust_requests_unmatched_total)');
    if (this.logged.size === MAX_LOGGED_PATHS) this.write(`glust: ${MAX_LOGGED_PATHS} unmatched paths logged: further ones are only counted in glust_requests_unmatched_total`);
  }
}

/** The routes that answer what no other route does. */
export class UnmatchedRoutes {
  private readonly log = new UnmatchedLog();

  constructor(
    private readonly book: RouteBook,
    private readonly send: (res: HttpResponse, reply: Reply) => void,
    private readonly observer: AcceptorObserver,
  ) {}

  private readonly unsupported = unsupportedSignals();

  /**
   * A route per OTLP signal this server does not take. The answer goes out while the client may
   * still be sending: uWS reads and drops the rest of the body, and the connection stays open.
   */
  registerUnsupportedSignals(app: TemplatedApp): void {
    for (const signal of this.unsupported) {
      app.any(signal.path, (res, req) => this.answer(res, req, signalUnsupported(signal), signal.path));
    }
  }

  /** The 404 of every other request; registered last, after every route it may suggest. */
  registerCatchAll(app: TemplatedApp): void {
    app.any('/*', (res, req) => {
      const method = req.getMethod().toUpperCase();
      const url = req.getUrl();
      const nearest = nearestRoute(method, url, this.book.routes);
      const signal = this.unsupported.find((u) => u.path === nearest?.pattern);
      const hint = !nearest ? '' : signal ? `; did you mean POST ${signal.path}? (this server does not take ${signal.name})` : `; did you mean ${nearest.shown}?`;
      const err = new GlustError('GLUST_ERR_HTTP_NOT_FOUND', `no route for ${method} ${url}${hint}`);
      this.answer(res, req, err, nearest?.pattern ?? 'none');
    });
  }

  /** The Status body is encoded like an OTLP request (as the specification asks), else JSON. */
  private answer(res: HttpResponse, req: HttpRequest, err: GlustError, route: string): void {
    // Read before the answer: uWS reuses the request object once the handler returns.
    const method = methodLabel(req.getMethod().toUpperCase());
    const format = parseContentType(req.getHeader('content-type')) ?? 'json';
    this.log.note(req.getUrl(), err, Buffer.from(res.getRemoteAddressAsText()).toString(), req.getHeader('user-agent'));
    this.send(res, errorReply(err, format));
    this.observer.onUnmatched?.(method, route);
  }
}
