/**
 * A feature is an optional part of the server beside ingest — metrics and health, the query API
 * and web UI — plugged into `glust serve` without the acceptor or the pipeline knowing it:
 * it may observe the pipeline and the acceptor, register routes, and has its own close().
 */
import type { AcceptorObserver } from './acceptor/server.js';
import type { TemplatedApp } from './acceptor/uws.js';
import type { ReadObserver } from './api/observer.js';
import type { ServeConfig } from './config.js';
import type { Pipeline, PipelineObserver } from './pipeline.js';

export interface FeatureContext {
  readonly config: ServeConfig;
  readonly pipeline: Pipeline;
  readonly app: TemplatedApp;
  /** Every feature's read observer, fanned out: where the read side reports. */
  readonly readObserver: ReadObserver;
}

export interface Feature {
  readonly name: string;
  /** Hooked in before the pipeline starts. */
  readonly pipelineObserver?: PipelineObserver;
  readonly acceptorObserver?: AcceptorObserver;
  readonly readObserver?: ReadObserver;
  /** Called once the pipeline runs, before the server listens: register routes here. */
  attach?(ctx: FeatureContext): void | Promise<void>;
  /** Called when the server stops, after the acceptor stopped listening. */
  close?(): void | Promise<void>;
}

type Callback = (...args: never[]) => void;

/** One observer that calls every feature's observer of the same kind, in order. */
export function fanOut<T extends object>(observers: ReadonlyArray<T | undefined>): T {
  const present = observers.filter((o): o is T => o !== undefined);
  const merged: Record<string, Callback> = {};
  for (const o of present) {
    for (const [key, fn] of Object.entries(o)) {
      if (typeof fn !== 'function' || merged[key]) continue;
      const fns = present.map((p) => (p as Record<string, Callback | undefined>)[key]).filter((f): f is Callback => !!f);
      merged[key] = (...args: never[]) => {
        for (const f of fns) f(...args);
      };
    }
  }
  return merged as T;
}
