/**
 * `glust tail --signal logs|spans [--service S] [--severity L]`: print records as they are
 * acknowledged, until interrupted.
 *
 * With `--server URL` it reads the server's live tail (src/cli/tail-server.ts). With a data
 * directory it follows the write-ahead log itself, like `tail -f`: every 250 ms it reads
 * what was appended to each segment since (segments that exist at start from their end, new ones
 * from their beginning). That needs no server, and sees what any server writing there appends.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GlustError } from '../errors.js';
import { formatDuration, formatTime } from '../view/display.js';
import { type TailFilter, matchesTail, parseTailFilter } from '../query/params.js';
import type { LogRecord, SpanRecord } from '../view/records.js';
import { logFromWal, spanFromWal } from '../query/wal-rows.js';
import { DataLayout, parseSegmentName } from '../storage/layout.js';
import { requireDataDir } from './data-dir.js';
import { SOURCE_FLAGS, parseReadArgs } from './read-args.js';
import { logLine } from './read.js';
import { tailServer } from './tail-server.js';

export const TAIL_USAGE = `usage: glust tail [--signal logs|spans] [--service S] [--severity LEVEL|1-24] ${SOURCE_FLAGS}
  print records as they are acknowledged, until interrupted; with --server it reconnects
  (with a growing pause, said on stderr) when the connection is lost or the server restarts
`;
const POLL_MS = 250;

function spanLine(s: SpanRecord): string {
  return `${formatTime(s.start_time)}  ${s.status_code.padEnd(5)}  ${s.service_name}  ${s.name}  ${formatDuration(s.duration_ns)}  trace=${s.trace_id}`;
}

export async function tail(argv: readonly string[]): Promise<void> {
  const args = parseReadArgs(argv, { signal: 'signal', service: 'service', severity: 'severity' }, TAIL_USAGE);
  if (args.positional.length > 0) throw new GlustError('GLUST_ERR_CONFIG_INVALID', `unexpected argument '${args.positional[0]}'\n\n${TAIL_USAGE}`);
  const filter = parseTailFilter(args.params);
  const print = (record: SpanRecord | LogRecord) => {
    const line = args.json ? JSON.stringify(record) : filter.signal === 'spans' ? spanLine(record as SpanRecord) : logLine(record as LogRecord);
    process.stdout.write(line + '\n');
  };
  const note = (line: string) => void process.stderr.write(`${line}\n`);
  if (args.server) await tailServer({ server: args.server, params: args.params, print, note });
  else {
    requireDataDir(args.dataDir);
    await followWal(args.dataDir, filter, print);
  }
}

/** Bytes of `file` from `offset` to its end, or null when it vanished (converted and deleted). */
function readFrom(file: string, offset: number): Buffer | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.max(0, size - offset));
    if (buf.length > 0) fs.readSync(fd, buf, 0, buf.length, offset);
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

async function followWal(dataDir: string, filter: TailFilter, print: (r: SpanRecord | LogRecord) => void): Promise<never> {
  const dir = new DataLayout(dataDir).walDir(filter.signal);
  const toRecord: (row: string) => SpanRecord | LogRecord = filter.signal === 'spans' ? spanFromWal : logFromWal;
  const list = () => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => parseSegmentName(n) !== null).sort() : []);
  const offsets = new Map<string, number>();
  for (const name of list()) {
    try {
      offsets.set(name, fs.statSync(path.join(dir, name)).size);
    } catch {
      // converted and deleted meanwhile
    }
  }
  for (;;) {
    const names = list();
    for (const name of names) {
      const offset = offsets.get(name) ?? 0;
      const data = readFrom(path.join(dir, name), offset);
      if (data === null) continue;
      const complete = data.lastIndexOf(0x0a) + 1; // a row still being written waits
      if (complete === 0) {
        offsets.set(name, offset);
        continue;
      }
      for (const row of data.toString('utf8', 0, complete).split('\n')) {
        if (!row) continue;
        const record = toRecord(row);
        if (matchesTail(filter, record)) print(record);
      }
      offsets.set(name, offset + complete);
    }
    for (const name of offsets.keys()) if (!names.includes(name)) offsets.delete(name);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
