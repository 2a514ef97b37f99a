/**
 * Collects the one Length-Prefixed-Message of a unary gRPC call from the DATA chunks of its
 * stream, without copying them: the message is handed on as slices of the chunks, and the
 * pipeline copies it once, into the body ring.
 *
 * The length in the prefix is known after five bytes, so a message over the size limit is refused
 * before its bytes arrive (RESOURCE_EXHAUSTED), and the bytes it will hold are reserved once, from
 * the declared length, against the receive budget.
 */
import { GlustError } from '../errors.js';
import { PREFIX_BYTES } from './grpc-wire.js';

export interface Message {
  readonly compressed: boolean;
  readonly chunks: Uint8Array[];
  readonly length: number;
}

export class MessageReader {
  private prefix = Buffer.alloc(PREFIX_BYTES);
  private prefixFilled = 0;
  private compressed = false;
  /** The declared message length, -1 until the prefix is complete. */
  private declared = -1;
  private readonly chunks: Uint8Array[] = [];
  private received = 0;
  private complete = false;

  constructor(private readonly maxBytes: number) {}

  /** Bytes of the stream so far (prefix included), for the slow-body watchdog. */
  get bytes(): number {
    return this.prefixFilled + this.received;
  }

  /**
   * Take one DATA chunk. Returns the declared length the first time it becomes known (so the
   * caller can reserve it), else null. Throws a coded GlustError for an over-size message or a
   * second message.
   */
  push(chunk: Buffer): number | null {
    let offset = 0;
    let learned: number | null = null;
    if (this.complete && chunk.length > 0) throw protocol('a unary call carries one message; this one carries more');
    if (this.declared < 0) {
      const take = Math.min(PREFIX_BYTES - this.prefixFilled, chunk.length);
      chunk.copy(this.prefix, this.prefixFilled, 0, take);
      this.prefixFilled += take;
      offset = take;
      if (this.prefixFilled < PREFIX_BYTES) return null;
      const flag = this.prefix[0]!;
      if (flag > 1) throw protocol(`message flag ${flag} is neither 0 (plain) nor 1 (compressed)`);
      this.compressed = flag === 1;
      this.declared = this.prefix.readUInt32BE(1);
      if (this.declared > this.maxBytes) {
        throw new GlustError('GLUST_ERR_HTTP_BODY_TOO_LARGE', `gRPC message of ${this.declared} bytes exceeds the limit of ${this.maxBytes} bytes`);
      }
      learned = this.declared;
    }
    const rest = chunk.length - offset;
    if (rest > 0) {
      const want = this.declared - this.received;
      if (rest > want) throw protocol('a unary call carries one message; this one carries more');
      this.chunks.push(offset === 0 ? chunk : chunk.subarray(offset));
      this.received += rest;
    }
    if (this.received === this.declared) this.complete = true;
    return learned;
  }

  /** At the end of the stream: the message, or a coded error if it is cut short or missing. */
  finish(): Message {
    if (this.prefixFilled === 0) throw protocol('the call carried no message');
    if (!this.complete) throw protocol(`the stream ended inside a message (${this.bytes} of ${this.declared < 0 ? '?' : this.declared + PREFIX_BYTES} bytes)`);
    return { compressed: this.compressed, chunks: this.chunks, length: this.received };
  }
}

function protocol(message: string): GlustError {
  return new GlustError('GLUST_ERR_GRPC_PROTOCOL', message);
}
