/**
 * A Server-Sent Events parser, written from the WHATWG HTML standard's "Parsing an event stream"
 * and "Interpreting an event stream" (html.spec.whatwg.org/multipage/server-sent-events.html):
 *
 *   stream  = [ BOM ] *event
 *   event   = *( comment / field ) end-of-line
 *   comment = ":" any-text end-of-line                    ignored (Glust's `: keepalive`)
 *   field   = name [ ":" [ " " ] value ] end-of-line
 *   end-of-line = CRLF / LF / CR
 *
 * - `data` appends its value and a LF to the data buffer; `event` sets the type; `id` sets the
 *   id buffer (unless the value holds a NUL); `retry` sets the reconnection time when the value is
 *   all ASCII digits; other fields are ignored.
 * - A blank line dispatches: the id buffer becomes the last event id (it is not reset, so it stays
 *   until the server sets another); then nothing more when the data buffer is empty (so a block
 *   of comments is no event), else one event with the data minus its last LF, of type `message`
 *   unless `event` named one. An event cut off by the end of the stream is discarded.
 * - Lines may end in CR, LF or CRLF, and a CRLF may be split between two chunks.
 *
 * One parser serves a client across reconnections: `end()` closes one stream (its buffers start
 * empty again, as the standard's are per stream), while `lastEventId` (to send as
 * `Last-Event-ID`) and `retryMs` belong to the client and carry over.
 *
 * It holds no I/O, only strings, so the CLI (Node) and the web UI (browser) can both use it. Bytes
 * go through `EventStreamDecoder`, whose TextDecoder keeps the BOM for the parser to drop, as the
 * standard's UTF-8 decode does, exactly once.
 */

export interface ServerSentEvent {
  /** `message` unless the event named another type. */
  readonly type: string;
  readonly data: string;
  /** The last `id` the stream set, at this event ('' when none). */
  readonly lastEventId: string;
}

export class EventStreamParser {
  /** The last event id the server set, as of the last dispatch; a reconnecting client sends it as `Last-Event-ID`. */
  lastEventId = '';
  /** Milliseconds the stream asked a client to wait before reconnecting, or null if it did not. */
  retryMs: number | null = null;

  private pending = '';
  private atStart = true;
  /** The last chunk ended in CR: a LF opening the next one belongs to that line end. */
  private afterCr = false;
  private data = '';
  private type = '';
  private idBuffer = '';

  constructor(private readonly onEvent: (event: ServerSentEvent) => void) {}

  /** Feed decoded text; dispatches every event it completes. */
  push(text: string): void {
    if (text === '') return;
    if (this.atStart) {
      this.atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.afterCr && text.startsWith('\n')) text = text.slice(1);
    this.afterCr = false;
    const buffer = this.pending + text;
    let from = 0;
    // The next LF and CR at or after `from`, each searched again only once passed (a chunk of
    // many LF-ended lines is scanned once, not once per line).
    let lf = buffer.indexOf('\n');
    let cr = buffer.indexOf('\r');
    for (;;) {
      if (lf >= 0 && lf < from) lf = buffer.indexOf('\n', from);
      if (cr >= 0 && cr < from) cr = buffer.indexOf('\r', from);
      const end = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      if (end < 0) break;
      this.line(buffer.slice(from, end));
      from = end + 1;
      if (end === cr) {
        if (from === buffer.length) this.afterCr = true;
        else if (buffer[from] === '\n') from++;
      }
    }
    this.pending = buffer.slice(from);
  }

  /** The stream ended: an event not closed by a blank line is dropped, as the standard says. */
  end(): void {
    this.pending = '';
    this.atStart = true;
    this.afterCr = false;
    this.data = '';
    this.type = '';
    this.idBuffer = '';
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') this.data += `${value}\n`;
    else if (name === 'event') this.type = value;
    else if (name === 'id') {
      if (!value.includes('\u0000')) this.idBuffer = value;
    } else if (name === 'retry') {
      if (/^[0-9]+$/.test(value)) this.retryMs = Number(value);
    }
  }

  private dispatch(): void {
    const { data, type } = this;
    this.lastEventId = this.idBuffer;
    this.data = '';
    this.type = '';
    // Every data line added a LF, so an empty buffer means the block had none.
    if (data === '') return;
    this.onEvent({ type: type || 'message', data: data.slice(0, -1), lastEventId: this.lastEventId });
  }
}

/** Bytes of one event stream (chunks as they arrive) to events. */
export class EventStreamDecoder {
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  readonly parser: EventStreamParser;

  constructor(onEvent: (event: ServerSentEvent) => void) {
    this.parser = new EventStreamParser(onEvent);
  }

  push(chunk: Uint8Array): void {
    this.parser.push(this.decoder.decode(chunk, { stream: true }));
  }

  end(): void {
    this.parser.push(this.decoder.decode());
    this.parser.end();
  }
}
