/**
 * The data directory: the disk's counterpart of src/ring/layout.ts. Every name Glust gives a file
 * or directory under `<data>` is made here, next to the function that parses it back, so the
 * modules that write (the writer thread) and the ones that only read (queries, `glust tail`)
 * agree on the same names. Nothing else builds a storage path by hand.
 *
 *   <data>/
 *   ├── glust.lock                      the owner's lock (owner-lock.ts); its content is only a note
 *   ├── wal/<table>/                    write-ahead log (wal.ts), one directory per table
 *   │   ├── 00000000000000000041-2026-11-22.ndjson           sealed segment: <seq>-<day>
 *   │   ├── 00000000000000000042-2026-11-22.ndjson           active segment
 *   │   ├── 00000000000000000042-2026-11-22.ndjson.restore   a segment being written back
 *   │   └── 00000000000000000040-2026-11-22.ndjson.retired   hides the segment beside it from
 *   │                                                        readers until its deletion
 *   ├── spans/ logs/ metrics/           a table's Parquet files (schema.ts names the tables)
 *   │   └── day=2026-11-22/             UTC day of the table's day time (schema.ts `dayTime`)
 *   │       ├── 00000000000000000041.parquet                 flush file: one segment (parquet.ts)
 *   │       ├── 00000000000000000004-00000000000000000039.parquet
 *   │       │                           compacted file: the day's files 4 to 39 merged (compact.ts)
 *   │       ├── 00000000000000000042-00000000000000000073.run.parquet
 *   │       │                           run file: files 42 to 73 of a day still open, appended
 *   │       │                           in arrival order (compact.ts)
 *   │       └── 00000000000000000003.parquet.retired
 *   │                                   hides the file beside it from readers until its deletion
 *   │                                   (retention; reclaim.ts)
 *   ├── trace-index/day=2026-11-22/     for each span file, its traces, under the same name
 *   ├── .staging/                       files being written, outside every reader's tree;
 *   │   │                               emptied at every start (a crash left them half-written)
 *   │   ├── spans-<file>                a conversion's output before its rename
 *   │   ├── trace-index-<file>          a trace index before its rename
 *   │   ├── compact-spans-<file>        a compaction step's output before its rename
 *   │   └── duckdb-tmp/                 DuckDB's spill files (large sorts)
 *   └── quarantine/                     kept for a human: never read, never deleted by Glust
 *       ├── spans-<segment>             a segment with rows DuckDB could not read
 *       └── spans-<segment>.error.txt   DuckDB's reason
 *
 * Sequence numbers are 20 decimal digits, so names sort as numbers do. Each table numbers its
 * segments upwards, never reusing a number (wal.ts), and a Parquet file carries the number of
 * the segment it was made from, or the range it merges. Days are UTC, YYYY-MM-DD, so they compare
 * as strings. A parse function answers null for a name that is not one of Glust's (a file left
 * by hand, an editor's backup): every reader skips such names.
 */
import path from 'node:path';
import { TABLES, type TableName } from './schema.js';

export const LOCK_FILE = 'glust.lock';
export const WAL_DIR = 'wal';
export const TRACE_INDEX_AREA = 'trace-index';
export const STAGING_DIR = '.staging';
export const QUARANTINE_DIR = 'quarantine';
const DUCKDB_TEMP_DIR = 'duckdb-tmp';

/** A directory of day partitions: a table's files, or the trace index. */
export type Area = TableName | typeof TRACE_INDEX_AREA;

// ---------------------------------------------------------------- sequence numbers and days

const SEQ_DIGITS = 20;
const SEQ = `\\d{${SEQ_DIGITS}}`;
const DAY = '\\d{4}-\\d{2}-\\d{2}';
const DAY_RE = new RegExp(`^${DAY}$`);

export function seqString(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`sequence number ${seq} is not a non-negative integer`);
  return String(seq).padStart(SEQ_DIGITS, '0');
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 → YYYY-MM-DD (UTC). */
export function dayString(daysSinceEpoch: number): string {
  return new Date(daysSinceEpoch * DAY_MS).toISOString().slice(0, 10);
}

function isDay(text: string): boolean {
  return DAY_RE.test(text);
}

// ---------------------------------------------------------------- WAL segments

export interface SegmentName {
  readonly seq: number;
  /** UTC day of every row in the segment. */
  readonly day: string;
}

const SEGMENT_RE = new RegExp(`^(${SEQ})-(${DAY})\\.ndjson$`);
const RESTORE_SUFFIX = '.restore';

export function segmentName(seq: number, day: string): string {
  if (!isDay(day)) throw new RangeError(`'${day}' is not a day (YYYY-MM-DD)`);
  return `${seqString(seq)}-${day}.ndjson`;
}

/** A WAL segment's sequence number and day, or null when `name` is not a segment. */
export function parseSegmentName(name: string): SegmentName | null {
  const m = SEGMENT_RE.exec(name);
  return m ? { seq: Number(m[1]), day: m[2]! } : null;
}

/** The copy a segment is written back through (wal.ts), beside it: of its name, or of its path. */
export function restoreName(segment: string): string {
  return `${segment}${RESTORE_SUFFIX}`;
}

/** The segment name a restore copy is for, or null when `name` is not one. */
export function parseRestoreName(name: string): string | null {
  if (!name.endsWith(RESTORE_SUFFIX)) return null;
  const segment = name.slice(0, -RESTORE_SUFFIX.length);
  return parseSegmentName(segment) ? segment : null;
}

// ---------------------------------------------------------------- retired files

const RETIRED_SUFFIX = '.retired';

/**
 * The marker that hides a file (a name or a path) from every reader until the file is deleted
 * (reclaim.ts): readers skip a file whose marker is beside it.
 */
export function retiredMarker(file: string): string {
  return `${file}${RETIRED_SUFFIX}`;
}

/** The name a retired marker hides, or null when `name` is not a marker. */
export function parseRetiredMarker(name: string): string | null {
  return name.endsWith(RETIRED_SUFFIX) && name.length > RETIRED_SUFFIX.length ? name.slice(0, -RETIRED_SUFFIX.length) : null;
}

/** The names of `names` a retired marker among them hides. */
export function retiredNames(names: readonly string[]): Set<string> {
  const hidden = new Set<string>();
  for (const name of names) {
    const file = parseRetiredMarker(name);
    if (file !== null) hidden.add(file);
  }
  return hidden;
}

// ---------------------------------------------------------------- Parquet data files

/**
 * What a data file holds, by how much work went into it; a file of a higher kind with the same
 * range replaces one of a lower kind (src/storage/data-files.ts):
 *   flush      one WAL segment's rows, in arrival order
 *   run        a run of consecutive files of a day still open, appended in arrival order; may
 *              hold a retried record twice, like the files it replaces
 *   compacted  files of a closed day merged: no record twice in the day's compacted files, sorted
 */
export type FileKind = 'flush' | 'run' | 'compacted';

export const FILE_KIND_RANK: Readonly<Record<FileKind, number>> = { flush: 0, run: 1, compacted: 2 };

export interface FileRange {
  /** First and last sequence number the file holds rows of. */
  readonly lo: number;
  readonly hi: number;
  readonly kind: FileKind;
}

const DATA_FILE_RE = new RegExp(`^(${SEQ})(?:-(${SEQ})(\\.run)?)?\\.parquet$`);

/** The file one segment becomes (and its trace index file). */
export function flushFileName(seq: number): string {
  return `${seqString(seq)}.parquet`;
}

/** The file a compaction step makes of the day's files `lo` to `hi`: a run file or a compacted one. */
export function compactedFileName(lo: number, hi: number, kind: 'run' | 'compacted' = 'compacted'): string {
  if (lo > hi) throw new RangeError(`compacted range ${lo}-${hi} is empty`);
  return `${seqString(lo)}-${seqString(hi)}${kind === 'run' ? '.run' : ''}.parquet`;
}

/** The range of a Parquet file name, or null when it is not one of Glust's data files. */
export function parseDataFileName(name: string): FileRange | null {
  const m = DATA_FILE_RE.exec(name);
  if (!m) return null;
  const lo = Number(m[1]);
  if (m[2] === undefined) return { lo, hi: lo, kind: 'flush' };
  const hi = Number(m[2]);
  return lo <= hi ? { lo, hi, kind: m[3] ? 'run' : 'compacted' } : null;
}

// ---------------------------------------------------------------- day partitions

const DAY_DIR_PREFIX = 'day=';

/** Hive-style partition directory: readers get `day` as a column from it. */
export function dayDirName(day: string): string {
  if (!isDay(day)) throw new RangeError(`'${day}' is not a day (YYYY-MM-DD)`);
  return `${DAY_DIR_PREFIX}${day}`;
}

/** The day of a partition directory name, or null when `name` is not one. */
export function parseDayDirName(name: string): string | null {
  if (!name.startsWith(DAY_DIR_PREFIX)) return null;
  const day = name.slice(DAY_DIR_PREFIX.length);
  return isDay(day) ? day : null;
}

// ---------------------------------------------------------------- staging and quarantine

/** Why a file is in .staging: the step whose rename will publish it. */
export type StagingPurpose = 'convert' | 'index' | 'compact';

export interface StagingName {
  readonly purpose: StagingPurpose;
  readonly area: Area;
  /** The name the file gets when published. */
  readonly file: string;
}

const COMPACT_PREFIX = 'compact-';

function isTable(name: string): name is TableName {
  return Object.hasOwn(TABLES, name);
}

function stagingName(purpose: StagingPurpose, area: Area, file: string): string {
  if ((purpose === 'index') !== (area === TRACE_INDEX_AREA)) throw new RangeError(`no ${purpose} staging file for ${area}`);
  if (!parseDataFileName(file)) throw new RangeError(`'${file}' is not a data file name`);
  return `${purpose === 'compact' ? COMPACT_PREFIX : ''}${area}-${file}`;
}

export function parseStagingName(name: string): StagingName | null {
  const compact = name.startsWith(COMPACT_PREFIX);
  const rest = compact ? name.slice(COMPACT_PREFIX.length) : name;
  let area: Area;
  let file: string;
  if (rest.startsWith(`${TRACE_INDEX_AREA}-`)) {
    if (compact) return null;
    area = TRACE_INDEX_AREA;
    file = rest.slice(TRACE_INDEX_AREA.length + 1);
  } else {
    const dash = rest.indexOf('-');
    const table = rest.slice(0, dash);
    if (dash < 0 || !isTable(table)) return null;
    area = table;
    file = rest.slice(dash + 1);
  }
  if (!parseDataFileName(file)) return null;
  return { purpose: compact ? 'compact' : area === TRACE_INDEX_AREA ? 'index' : 'convert', area, file };
}

export interface QuarantineName {
  readonly table: TableName;
  readonly segment: string;
  /** The text file with DuckDB's reason, beside the segment's copy. */
  readonly error: boolean;
}

const ERROR_SUFFIX = '.error.txt';

export function quarantineName(table: TableName, segment: string, error = false): string {
  if (!parseSegmentName(segment)) throw new RangeError(`'${segment}' is not a WAL segment name`);
  return `${table}-${segment}${error ? ERROR_SUFFIX : ''}`;
}

export function parseQuarantineName(name: string): QuarantineName | null {
  const dash = name.indexOf('-');
  const table = name.slice(0, dash);
  if (dash < 0 || !isTable(table)) return null;
  const error = name.endsWith(ERROR_SUFFIX);
  const segment = name.slice(dash + 1, error ? -ERROR_SUFFIX.length : undefined);
  return parseSegmentName(segment) ? { table, segment, error } : null;
}

// ---------------------------------------------------------------- paths

/** Every path under one data directory. */
export class DataLayout {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = dataDir;
  }

  get lockFile(): string {
    return path.join(this.root, LOCK_FILE);
  }

  /** Every table's WAL directory is in here. */
  get walRoot(): string {
    return path.join(this.root, WAL_DIR);
  }

  walDir(table: TableName): string {
    return path.join(this.walRoot, table);
  }

  segmentPath(table: TableName, seq: number, day: string): string {
    return path.join(this.walDir(table), segmentName(seq, day));
  }

  /** `<data>/<area>`: the parent of an area's day partitions. */
  areaDir(area: Area): string {
    return path.join(this.root, area);
  }

  dayDir(area: Area, day: string): string {
    return path.join(this.areaDir(area), dayDirName(day));
  }

  dataFile(area: Area, day: string, file: string): string {
    return path.join(this.dayDir(area, day), file);
  }

  /**
   * The glob an outside reader gives read_parquet for an area (README, "Storage schema"): every
   * file, the covered files of a compaction in progress and retired files not yet deleted
   * (reclaim.ts) included, with no deduplication.
   */
  parquetGlob(area: Area): string {
    return path.join(this.areaDir(area), '**', '*.parquet');
  }

  get stagingDir(): string {
    return path.join(this.root, STAGING_DIR);
  }

  stagingFile(purpose: StagingPurpose, area: Area, file: string): string {
    return path.join(this.stagingDir, stagingName(purpose, area, file));
  }

  /** Where DuckDB spills: inside the data directory (its disk), emptied with the staging area. */
  get duckdbTempDir(): string {
    return path.join(this.stagingDir, DUCKDB_TEMP_DIR);
  }

  get quarantineDir(): string {
    return path.join(this.root, QUARANTINE_DIR);
  }

  quarantineFile(table: TableName, segment: string, error = false): string {
    return path.join(this.quarantineDir, quarantineName(table, segment, error));
  }
}
