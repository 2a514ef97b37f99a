/**
 * The one submission path of every transport (OTLP/HTTP in server.ts, OTLP/gRPC in grpc.ts):
 * hand a collected body to the pipeline and call `answer` exactly once with its Outcome — at once
 * for a refusal (ring full, writer behind, shutting down), later for an accepted body (after its
 * decode result and, in durable mode, its fsync). Nothing after this knows the transport.
 */
import { GlustError } from '../errors.js';
import type { Outcome, Pipeline, Submission } from '../pipeline.js';

export function submitBody(pipeline: Pipeline, sub: Submission, answer: (outcome: Outcome) => void): void {
  const outcome = pipeline.submit(sub);
  if (!(outcome instanceof Promise)) return answer(outcome);
  // The pipeline resolves every request with an Outcome; a rejection would be a bug in it.
  outcome.then(answer, (err: unknown) => answer({ ok: false, error: new GlustError('GLUST_ERR_INTERNAL', `pipeline failed: ${(err as Error).message}`) }));
}
