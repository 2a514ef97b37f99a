/**
 * The log view's live tail: new records from GET /api/tail (Server-Sent Events read with fetch,
 * sse.ts, so the token header goes along), shown in time order with the newest on top, in a pane
 * the user can make taller by dragging its corner.
 *
 * Records arrive in batches per writer flush, from exporters whose batching and clocks differ, so
 * the order of arrival is not the order of time: each record is placed by its time. The status
 * line counts the records shown, says when old ones were let go, and adds up what the server
 * skipped by its rate limit (a count over every record, before this view's filters).
 */
import type { LogRecord, TailBatch, TailDropped } from '../view/records.js';
import { logRecord, logTime } from './log-table.js';
import { openEventStream } from './sse.js';
import { TOKEN_HINT } from './token.js';

/** Records kept in the pane; the oldest go first. */
const MAX_TAIL_ROWS = 500;
/** What the writer forwards at most (src/api/tail.ts), for the status line. */
const TAIL_RATE = 1000;

/** Close the live tail of the previous view when the view changes. */
let closeTail: (() => void) | null = null;

export function stopTail(): void {
  closeTail?.();
  closeTail = null;
}

/**
 * The view's filters that the tail endpoint does not apply (text, trace id, attributes), as a
 * test on records; service and severity go to the server.
 */
function clientFilter(view: URLSearchParams): (log: LogRecord) => boolean {
  const q = view.get('q')?.toLowerCase() ?? null;
  const traceId = view.get('traceId')?.toLowerCase() ?? null;
  const attrs = view.getAll('attr').map((a) => [a.slice(0, a.indexOf(':')), a.slice(a.indexOf(':') + 1)] as const);
  return (log) => (q === null || (log.body ?? '').toLowerCase().includes(q)) &&
    (traceId === null || log.trace_id === traceId) &&
    attrs.every(([k, v]) => (log.attributes[k] ?? log.resource_attributes[k]) === v);
}

/** Put a record's <tbody> where its time belongs: newest first, a newcomer above equal times. */
function place(table: HTMLTableElement, record: HTMLTableSectionElement, time: bigint): void {
  const rows = table.tBodies;
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (BigInt(rows[mid]!.dataset.time!) > time) lo = mid + 1;
    else hi = mid;
  }
  table.insertBefore(record, rows[lo] ?? null);
}

export function startTail(view: URLSearchParams, status: HTMLElement, table: HTMLTableElement): void {
  stopTail();
  const params = new URLSearchParams({ signal: 'logs' });
  for (const key of ['service', 'severity']) if (view.get(key)) params.set(key, view.get(key)!);
  const keep = clientFilter(view);
  let shown = 0;
  let skipped = 0;
  const report = () => {
    const kept = shown > MAX_TAIL_ROWS ? `, the newest ${MAX_TAIL_ROWS} kept` : '';
    status.textContent = `Live tail on: ${shown} new record${shown === 1 ? '' : 's'} (newest on top${kept}); ` +
      `${skipped} skipped by the server's rate limit of ${TAIL_RATE} records a second (counted before filters).`;
  };
  closeTail = openEventStream(`/api/tail?${params}`, {
    onEvent(name, data) {
      if (name === 'ready') {
        report();
      } else if (name === 'message') {
        const batch = JSON.parse(data) as TailBatch;
        for (const log of (batch.records as LogRecord[]).filter(keep)) {
          const time = logTime(log);
          place(table, logRecord(log), time);
          shown++;
        }
        while (table.tBodies.length > MAX_TAIL_ROWS) table.tBodies[table.tBodies.length - 1]!.remove();
        skipped += batch.skipped;
        report();
      } else if (name === 'dropped') {
        status.textContent = `Live tail stopped: ${(JSON.parse(data) as TailDropped).reason}`;
        stopTail();
      }
    },
    onLost: () => (status.textContent = 'Live tail: connection lost, reconnecting…'),
    onRefused: (code, message) => {
      status.textContent = `Live tail refused: ${message}${code === 401 ? ` (${TOKEN_HINT})` : ''}`;
      stopTail();
    },
  });
}
