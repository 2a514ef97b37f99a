/**
 * A Server-Sent Events reader over fetch, because EventSource cannot send an Authorization
 * header. It parses the stream by the standard (src/view/event-stream.ts, shared with the CLI:
 * comments such as keep-alives, multi-line data, CR/LF line ends), and like EventSource reconnects after a lost connection — but not
 * after an error answer (401, 400, 503), which it reports instead.
 */
import { EventStreamDecoder } from '../view/event-stream.js';
import { authHeaders } from './token.js';

const RECONNECT_MS = 2000;

export interface EventStreamHandlers {
  onEvent(name: string, data: string): void;
  /** The connection broke; a new one follows in a moment. */
  onLost(): void;
  /** The server answered with an error status; no reconnection. */
  onRefused(status: number, message: string): void;
}

/** Open the stream; the returned function closes it for good. */
export function openEventStream(url: string, handlers: EventStreamHandlers): () => void {
  const controller = new AbortController();
  let closed = false;
  const connect = async (): Promise<void> => {
    try {
      const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...authHeaders() }, signal: controller.signal });
      if (!res.ok || !res.body) {
        const text = await res.text();
        let message = text;
        try {
          message = (JSON.parse(text) as { message: string }).message;
        } catch {
          // not a Status body: show the text
        }
        return handlers.onRefused(res.status, message || `HTTP ${res.status}`);
      }
      await readEvents(res.body, handlers.onEvent);
    } catch {
      // network error or abort: handled below
    }
    if (closed) return;
    handlers.onLost();
    setTimeout(() => void (closed || connect()), RECONNECT_MS);
  };
  void connect();
  return () => {
    closed = true;
    controller.abort();
  };
}

/** Read one stream to its end through the shared parser (src/view/event-stream.ts, the CLI's too). */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (name: string, data: string) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new EventStreamDecoder((e) => onEvent(e.type, e.data));
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return decoder.end();
    decoder.push(value);
  }
}
