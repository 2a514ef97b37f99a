/**
 * Bearer tokens from `--auth-token-file`: one token per line (blank lines and lines starting
 * with `#` are skipped), several allowed so a token can be rotated without downtime — add the
 * new one, reload, move the senders, remove the old one, reload.
 *
 * Only SHA-256 digests of the tokens are kept. A presented token is digested too and compared
 * with every digest by crypto.timingSafeEqual, without stopping at the first match: the time
 * an answer takes depends neither on how much of a token matched nor on its length (digests
 * are always 32 bytes) nor on which line of the file it is on.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { GlustError } from '../errors.js';

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Parse the file's text; throws GLUST_ERR_AUTH_TOKEN_FILE naming the problem. */
export function parseTokenFile(text: string, file: string): Buffer[] {
  const tokens = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (tokens.length === 0) throw new GlustError('GLUST_ERR_AUTH_TOKEN_FILE', `auth token file ${file} holds no token (one per line)`);
  for (const [i, token] of tokens.entries()) {
    // Header values cannot carry spaces inside a bearer token (RFC 6750 b64token) or control
    // characters; a token that could never be sent is a mistake in the file, say so now.
    if (!/^[\x21-\x7e]+$/.test(token)) {
      throw new GlustError('GLUST_ERR_AUTH_TOKEN_FILE', `auth token file ${file}: token ${i + 1} contains spaces or characters outside printable ASCII`);
    }
  }
  return tokens.map(digest);
}

export class TokenSet {
  private digests: Buffer[];

  private constructor(readonly file: string, digests: Buffer[]) {
    this.digests = digests;
  }

  /** Load the file at start; a missing, unreadable or empty file stops the server. */
  static load(file: string): TokenSet {
    return new TokenSet(file, readTokens(file));
  }

  get size(): number {
    return this.digests.length;
  }

  /**
   * Read the file again. On failure the tokens in force stay in force (a half-written file must
   * not lock every sender out) and the error is thrown for the caller to report.
   */
  reload(): number {
    this.digests = readTokens(this.file);
    return this.digests.length;
  }

  /** Whether `token` is one of the file's tokens, in time independent of which or how close. */
  accepts(token: string): boolean {
    const presented = digest(token);
    let match = false;
    for (const d of this.digests) match = timingSafeEqual(presented, d) || match;
    return match;
  }
}

function readTokens(file: string): Buffer[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new GlustError('GLUST_ERR_AUTH_TOKEN_FILE', `auth token file ${file} could not be read: ${(err as Error).message}`);
  }
  return parseTokenFile(text, file);
}
