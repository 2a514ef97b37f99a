/**
 * A Server-Sent Events reader over fetch, because EventSource cannot send an Authorization
 * header. It parses the `event:` / `data:` lines the server sends (src/api/tail.ts), ignores
 * comment lines (keep-alives), and like EventSource reconnects after a lost connection — but not
 * after an error answer (401, 400, 503), which it reports instead.
 */
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

async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (name: string, data: string) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) onEvent(name, data.join('\n'));
    }
  }
}
