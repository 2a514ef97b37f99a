/**
 * Every route the server registers, as (method, pattern), so that a request no route matches can
 * be told the nearest one (src/acceptor/unmatched.ts).
 *
 * uWS has no middleware and no list of its routes, and routes are registered by several modules
 * (the acceptor's OTLP paths, the read API, /metrics). `interceptRoutes` hands them a view of the
 * app whose route methods pass each (method, pattern, handler) through a function first; the
 * bearer-token guard (src/auth/guard.ts) wraps handlers that way, the route book records them.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from './uws.js';

export type Handler = (res: HttpResponse, req: HttpRequest) => void | Promise<void>;

/** TemplatedApp methods that register an HTTP route as (pattern, handler). */
const ROUTE_METHODS = new Set(['get', 'post', 'put', 'del', 'patch', 'head', 'options', 'connect', 'trace', 'any']);

/** A view of `app` whose route methods register `through(method, pattern, handler)` instead of `handler`. */
export function interceptRoutes(app: TemplatedApp, through: (method: string, pattern: string, handler: Handler) => Handler): TemplatedApp {
  const view: TemplatedApp = new Proxy(app, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (typeof prop === 'string' && ROUTE_METHODS.has(prop)) {
        return (pattern: string, handler: Handler) => {
          (value as (p: string, h: Handler) => unknown).call(target, pattern, through(prop, pattern, handler));
          return view;
        };
      }
      // Native methods need the real app as `this`.
      return (value as (...args: unknown[]) => unknown).bind(target);
    },
  });
  return view;
}

export interface Route {
  /** Upper case (`GET`, `POST`); `ANY` for a route of every method. */
  readonly method: string;
  readonly pattern: string;
}

export class RouteBook {
  private readonly list: Route[] = [];

  /** `app` as seen by route registrations that this book should know of. */
  record(app: TemplatedApp): TemplatedApp {
    return interceptRoutes(app, (method, pattern, handler) => {
      this.list.push({ method: method === 'del' ? 'DELETE' : method.toUpperCase(), pattern });
      return handler;
    });
  }

  get routes(): readonly Route[] {
    return this.list;
  }
}
