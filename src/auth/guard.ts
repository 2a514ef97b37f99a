/**
 * Bearer-token checks in front of the routes that carry data.
 *
 * uWS has no middleware, and the routes are registered by several modules (the acceptor's OTLP
 * paths, the read API, /metrics). Rather than teach each of them about tokens, `guardRoutes`
 * hands them a view of the app (src/acceptor/route-book.ts) whose route methods wrap every
 * handler of a protected pattern:
 *
 *   /v1/*      OTLP ingest          401 with a google.rpc.Status in the request's encoding
 *   /api/*     query API, live tail 401 with a JSON google.rpc.Status
 *   /metrics   when --metrics-auth token (the default)
 *
 * /health, /health/live, /health/ready, the web UI's static files and the 404 catch-all stay
 * open: they hold no data. The check runs before the body is read, so a refused sender's bytes
 * never reach the body ring, let alone storage (they are drained and dropped).
 */
import { GlustError } from '../errors.js';
import { parseContentType } from '../acceptor/content.js';
import { REFUSED_BODY_MS, RefusedBody, refusedBodyBytes } from '../acceptor/refused-body.js';
import { errorReply } from '../acceptor/respond.js';
import { type AcceptorObserver, send } from '../acceptor/server.js';
import { type Handler, interceptRoutes } from '../acceptor/route-book.js';
import type { TemplatedApp } from '../acceptor/uws.js';
import { SIGNALS } from '../otlp/signals.js';
import type { TokenSet } from './tokens.js';

/** RFC 6750 §2.1: `Bearer` (any case), one or more spaces, the token. */
const BEARER = /^Bearer +(\S+) *$/i;

export interface GuardOptions {
  readonly tokens: TokenSet;
  /** Require a token on GET /metrics too. */
  readonly protectMetrics: boolean;
  /** Told about refused OTLP requests like the acceptor's own answers (so /metrics counts 401s). */
  readonly observer?: AcceptorObserver;
}

export class BearerGuard {
  constructor(private readonly options: GuardOptions) {}

  protects(pattern: string): boolean {
    return pattern.startsWith('/v1/') || pattern.startsWith('/api/') || (this.options.protectMetrics && pattern === '/metrics');
  }

  /** null when the request carries an accepted token, else the error to answer. */
  check(authorization: string): GlustError | null {
    if (authorization === '') return new GlustError('GLUST_ERR_AUTH_MISSING_TOKEN');
    const m = BEARER.exec(authorization);
    if (!m) return new GlustError('GLUST_ERR_AUTH_INVALID_TOKEN', 'the Authorization header is not "Bearer <token>"');
    return this.options.tokens.accepts(m[1]!) ? null : new GlustError('GLUST_ERR_AUTH_INVALID_TOKEN');
  }

  wrap(pattern: string, handler: Handler): Handler {
    const signal = SIGNALS.find((s) => s.path === pattern) ?? null;
    return (res, req) => {
      const started = performance.now();
      const err = this.check(req.getHeader('authorization'));
      if (!err) return handler(res, req);
      // Ingest clients get the Status in their own encoding; everything else (and a request
      // whose Content-Type is not OTLP) gets JSON, as the other early refusals do.
      const format = (signal && parseContentType(req.getHeader('content-type'))) || 'json';
      const challenge = err.code === 'GLUST_ERR_AUTH_MISSING_TOKEN' ? 'Bearer realm="glust"' : 'Bearer realm="glust", error="invalid_token"';
      const method = req.getMethod();
      const reply = errorReply(err, format, [['WWW-Authenticate', challenge], ['Cache-Control', 'no-store']]);
      const state = { aborted: false };
      const answer = (close: boolean) => {
        send(res, state, reply, close);
        this.options.observer?.onReply?.(signal, 401, (performance.now() - started) / 1000, err.code);
      };
      if (method === 'get' || method === 'head') return answer(false);
      // A refused upload's body is drained (never stored, never buffered) before the 401, as for
      // the acceptor's own early refusals: closing under a client still sending makes it see a
      // reset, which an exporter retries forever, instead of a 401, which it does not.
      const body = new RefusedBody(refusedBodyBytes(0), REFUSED_BODY_MS, answer);
      res.onAborted(() => {
        state.aborted = true;
        body.cancel();
      });
      res.onData((ab, isLast) => body.chunk(ab.byteLength, isLast));
    };
  }
}

/** A view of `app` whose route methods put `guard` in front of the protected patterns. */
export function guardRoutes(app: TemplatedApp, guard: BearerGuard): TemplatedApp {
  return interceptRoutes(app, (_method, pattern, handler) => (guard.protects(pattern) ? guard.wrap(pattern, handler) : handler));
}
