/**
 * Bytes of request bodies held while they arrive, over every connection of every transport
 * (OTLP/HTTP and OTLP/gRPC draw on one budget, `--receive-budget-bytes`): slow clients cannot make
 * the heap grow without bound by opening many uploads, whichever port they use.
 */
export class ReceiveBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  /** Take `bytes` if they fit; false (nothing taken) when they do not. */
  take(bytes: number): boolean {
    if (this.held + bytes > this.limit) return false;
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held -= bytes;
  }

  get used(): number {
    return this.held;
  }
}
