/**
 * What the read side tells the metrics feature (src/metrics/feature.ts): each answer of the
 * query API and the live tail, the query thread's queue after each change, and the tail's
 * clients. Routes are reported by their pattern (`/api/traces/:traceId`), never by the URL, so
 * the label values stay few.
 */
export interface ReadObserver {
  /**
   * A read request answered; `code` is the error code of an error answer. The live tail counts
   * when its stream opens (200) or is refused. Requests whose client went away before the
   * answer are not counted.
   */
  onApiReply?(route: string, status: number, seconds: number, code: string | null): void;
  /** Queries waiting for or running on the query thread, after a change. */
  onQueryQueue?(depth: number): void;
  /** Live tail streams open, after a change. */
  onTailClients?(clients: number): void;
  /** A live tail client was disconnected for reading too slowly. */
  onTailDropped?(): void;
}
