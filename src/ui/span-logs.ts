/**
 * The log records of one trace, for the waterfall's side panel: all of the trace's (one search by
 * trace id, up to the API's limit, for the "logs of this trace" tab and the toolbar's count) and
 * each span's own (a search by trace id and span id, asked when the span is first shown, so a span
 * still shows all its records when the trace has more than one search returns). Answers are
 * kept for the life of the view.
 */
import { LOG_LIMIT } from '../view/limits.js';
import type { LogRecord } from '../view/records.js';
import { api } from './api.js';
import { logTime } from './log-table.js';

export interface LogList {
  /** Oldest first. */
  readonly logs: readonly LogRecord[];
  /** The search stopped at its limit: there may be more. */
  readonly capped: boolean;
}

const oldestFirst = (logs: readonly LogRecord[]) => [...logs].sort((x, y) => (logTime(x) < logTime(y) ? -1 : logTime(x) > logTime(y) ? 1 : 0));

export class TraceLogs {
  private readonly bySpan = new Map<string, Promise<LogList>>();
  private trace: Promise<LogList> | null = null;

  constructor(
    private readonly traceId: string,
    private readonly window: { readonly start: string; readonly end: string },
  ) {}

  private async search(extra: Record<string, string>): Promise<LogList> {
    const limit = LOG_LIMIT.max;
    const { logs } = await api.logs(new URLSearchParams({ traceId: this.traceId, ...this.window, ...extra, limit: String(limit) }));
    return { logs: oldestFirst(logs), capped: logs.length >= limit };
  }

  /** Every record of the trace (up to the limit). */
  all(): Promise<LogList> {
    this.trace ??= this.search({});
    return this.trace;
  }

  /** The records written in span `spanId`. */
  ofSpan(spanId: string): Promise<LogList> {
    let found = this.bySpan.get(spanId);
    if (!found) {
      found = this.search({ spanId });
      this.bySpan.set(spanId, found);
    }
    return found;
  }
}
