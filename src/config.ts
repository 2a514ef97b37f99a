/**
 * Server configuration: embedded defaults, overridden by environment variables (GLUST_*),
 * overridden by command-line flags. One table lists every setting, so `glust serve --help`,
 * the README and the parser cannot drift apart.
 */
import os from 'node:os';
import path from 'node:path';
import { GlustError } from './errors.js';
import { DEFAULT_LIMITS, type Limits } from './otlp/limits.js';
import { assertPowerOfTwo } from './ring/layout.js';

export type AckMode = 'durable' | 'received';

/** Server TLS: certificate and key; with a client CA, clients must present a certificate it signed. */
export interface TlsConfig {
  readonly cert: string;
  readonly key: string;
  readonly clientCa: string | null;
}

export interface ServeConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly workers: number;
  readonly flushMs: number;
  readonly maxBodyBytes: number;
  readonly ack: AckMode;
  readonly bodyRingBytes: number;
  readonly batchRingBytes: number;
  readonly receiveBudgetBytes: number;
  readonly writerWaitMs: number;
  readonly maxQueuedRequests: number;
  readonly maxQueueMs: number;
  readonly minBodyBytesPerSecond: number;
  readonly bodyTimeoutS: number;
  readonly maxConnections: number;
  readonly segmentBytes: number;
  readonly maxPendingSegments: number;
  readonly duckdbThreads: number;
  readonly duckdbMemoryLimit: string;
  readonly compact: boolean;
  readonly compactAfterMs: number;
  readonly compactTargetBytes: number;
  readonly limits: Limits;
  /** Bearer tokens required on /v1/* and /api/* (and /metrics), or null: no token checks. */
  readonly authTokenFile: string | null;
  readonly metricsAuth: 'token' | 'none';
  readonly tls: TlsConfig | null;
  /** Retention (src/storage/retention.ts): whole days kept, Parquet + WAL bytes allowed (0: off), sweep period. */
  readonly retentionDays: number;
  readonly maxBytes: number;
  readonly retentionCheckMs: number;
  /** How long a graceful stop (SIGTERM/SIGINT) may take before the process gives up and exits 1. */
  readonly shutdownTimeoutS: number;
}

type Kind = 'int' | 'bytes' | 'string' | 'listen' | 'ack';

interface Setting {
  readonly flag: string;
  readonly env: string;
  readonly kind: Kind;
  readonly help: string;
  readonly def: (cores: number) => string;
}

const MiB = 1024 * 1024;

/** Every `glust serve` setting: flag, environment variable, default, meaning. */
export const SETTINGS: readonly Setting[] = [
  { flag: 'listen', env: 'GLUST_LISTEN', kind: 'listen', def: () => 'localhost:4318', help: 'HOST:PORT to serve OTLP/HTTP on (port 0 picks a free one)' },
  { flag: 'data', env: 'GLUST_DATA', kind: 'string', def: () => './glust-data', help: 'data directory (Parquet, WAL)' },
  { flag: 'workers', env: 'GLUST_WORKERS', kind: 'int', def: (c) => String(c), help: 'decode/validate worker threads' },
  { flag: 'flush-ms', env: 'GLUST_FLUSH_MS', kind: 'int', def: () => '2000', help: 'acknowledged data is in Parquet within this many ms' },
  { flag: 'max-body-bytes', env: 'GLUST_MAX_BODY_BYTES', kind: 'bytes', def: () => String(64 * MiB), help: 'largest request body, compressed and decompressed (413 past it)' },
  { flag: 'ack', env: 'GLUST_ACK', kind: 'ack', def: () => 'durable', help: "'durable': answer 200 after fsync; 'received': after validation (faster, loses the last moments on a crash)" },
  { flag: 'body-ring-bytes', env: 'GLUST_BODY_RING_BYTES', kind: 'bytes', def: () => String(128 * MiB), help: 'acceptor → decoder ring size (power of two, > max-body-bytes)' },
  { flag: 'batch-ring-bytes', env: 'GLUST_BATCH_RING_BYTES', kind: 'bytes', def: () => String(64 * MiB), help: 'decoder → writer ring size (power of two)' },
  { flag: 'receive-budget-bytes', env: 'GLUST_RECEIVE_BUDGET_BYTES', kind: 'bytes', def: () => String(256 * MiB), help: 'bytes of bodies being received at once before refusing with 503' },
  { flag: 'writer-wait-ms', env: 'GLUST_WRITER_WAIT_MS', kind: 'int', def: () => '200', help: 'how long a decoder waits for the writer before answering 503' },
  { flag: 'max-queued-requests', env: 'GLUST_MAX_QUEUED_REQUESTS', kind: 'int', def: () => '32', help: 'requests always allowed to wait for a decode worker (the floor of the queue bound)' },
  { flag: 'max-queue-ms', env: 'GLUST_MAX_QUEUE_MS', kind: 'int', def: () => '100', help: 'beyond the floor, requests may wait for a decode worker only as many as the workers finish in this many ms; past it 503' },
  { flag: 'min-body-bytes-per-second', env: 'GLUST_MIN_BODY_BYTES_PER_SECOND', kind: 'bytes', def: () => '4096', help: 'slowest average rate a request body may arrive at after --body-timeout-s (408 and disconnect below it; 0: no limit)' },
  { flag: 'body-timeout-s', env: 'GLUST_BODY_TIMEOUT_S', kind: 'int', def: () => '10', help: 'seconds a request body may take before --min-body-bytes-per-second applies' },
  { flag: 'max-connections', env: 'GLUST_MAX_CONNECTIONS', kind: 'int', def: () => '4096', help: 'open connections at which new ones are refused until some close (0: no limit; Linux)' },
  { flag: 'segment-bytes', env: 'GLUST_SEGMENT_BYTES', kind: 'bytes', def: () => String(64 * MiB), help: 'WAL segment size before it is sealed and converted' },
  { flag: 'max-pending-segments', env: 'GLUST_MAX_PENDING_SEGMENTS', kind: 'int', def: () => '8', help: 'sealed segments waiting for Parquet before ingest is refused' },
  { flag: 'duckdb-threads', env: 'GLUST_DUCKDB_THREADS', kind: 'int', def: () => '1', help: 'DuckDB threads of the writer (one converts with the least CPU per row)' },
  { flag: 'duckdb-memory-limit', env: 'GLUST_DUCKDB_MEMORY_LIMIT', kind: 'string', def: () => '1GB', help: 'DuckDB memory limit of the writer' },
  { flag: 'compact', env: 'GLUST_COMPACT', kind: 'string', def: () => 'on', help: "'on': merge each closed day's files into few large sorted files without duplicates; 'off'" },
  { flag: 'compact-after-ms', env: 'GLUST_COMPACT_AFTER_MS', kind: 'int', def: () => '3600000', help: 'a UTC day is compacted once it ended this many ms ago' },
  { flag: 'compact-target-bytes', env: 'GLUST_COMPACT_TARGET_BYTES', kind: 'bytes', def: () => String(64 * MiB), help: 'Parquet bytes merged into one file by one compaction step' },
  { flag: 'max-attributes', env: 'GLUST_MAX_ATTRIBUTES', kind: 'int', def: () => String(DEFAULT_LIMITS.maxAttributes), help: 'attributes kept per record, event, link, resource' },
  { flag: 'max-value-length', env: 'GLUST_MAX_VALUE_LENGTH', kind: 'int', def: () => String(DEFAULT_LIMITS.maxValueLength), help: 'characters kept per attribute value or name' },
  { flag: 'max-body-length', env: 'GLUST_MAX_LOG_BODY_LENGTH', kind: 'int', def: () => String(DEFAULT_LIMITS.maxBodyLength), help: 'characters kept per log body' },
  { flag: 'max-events', env: 'GLUST_MAX_EVENTS', kind: 'int', def: () => String(DEFAULT_LIMITS.maxEvents), help: 'events kept per span' },
  { flag: 'max-links', env: 'GLUST_MAX_LINKS', kind: 'int', def: () => String(DEFAULT_LIMITS.maxLinks), help: 'links kept per span' },
  { flag: 'auth-token-file', env: 'GLUST_AUTH_TOKEN_FILE', kind: 'string', def: () => '', help: 'file of bearer tokens, one per line, required on /v1/* and /api/* (re-read on SIGHUP); empty: no tokens' },
  { flag: 'metrics-auth', env: 'GLUST_METRICS_AUTH', kind: 'string', def: () => 'token', help: "with a token file: 'token' requires a token on /metrics too, 'none' leaves it open" },
  { flag: 'tls-cert', env: 'GLUST_TLS_CERT', kind: 'string', def: () => '', help: 'PEM certificate (chain) to serve HTTPS with; needs --tls-key' },
  { flag: 'tls-key', env: 'GLUST_TLS_KEY', kind: 'string', def: () => '', help: 'PEM private key of --tls-cert' },
  { flag: 'tls-client-ca', env: 'GLUST_TLS_CLIENT_CA', kind: 'string', def: () => '', help: 'PEM CA bundle: clients must present a valid certificate it signed (mutual TLS)' },
  { flag: 'retention-days', env: 'GLUST_RETENTION_DAYS', kind: 'int', def: () => '7', help: 'delete day partitions whose records are all older than this many days (0: keep forever)' },
  { flag: 'max-bytes', env: 'GLUST_MAX_BYTES', kind: 'bytes', def: () => String(500 * MiB), help: 'Parquet + WAL bytes kept; past it the oldest Parquet files are deleted (0: no limit)' },
  { flag: 'retention-check-ms', env: 'GLUST_RETENTION_CHECK_MS', kind: 'int', def: () => '60000', help: 'how often retention is enforced (also at start, and as soon as max-bytes is passed)' },
  { flag: 'shutdown-timeout-s', env: 'GLUST_SHUTDOWN_TIMEOUT_S', kind: 'int', def: () => '60', help: 'seconds SIGTERM/SIGINT may take to answer, drain and flush before glust exits 1 (the WAL keeps the rest)' },
];

function invalid(message: string): never {
  throw new GlustError('GLUST_ERR_CONFIG_INVALID', message);
}

/** "64MiB", "64m", "1g", "65536" → bytes. */
export function parseBytes(text: string, what: string): number {
  const m = /^(\d+)\s*([kmg]?)(i?b)?$/i.exec(text.trim());
  if (!m) invalid(`${what}: '${text}' is not a size (e.g. 65536, 64MiB, 1g)`);
  const unit = { '': 1, k: 1024, m: MiB, g: 1024 * MiB }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

function parseInteger(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) invalid(`${what}: '${text}' is not a non-negative integer`);
  return Number(text);
}

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text.trim());
  if (!m) invalid(`listen: '${text}' is not HOST:PORT`);
  const port = Number(m[3]);
  if (port > 65535) invalid(`listen: port ${port} is out of range`);
  return { host: m[1] ?? (m[2] || 'localhost'), port };
}

/**
 * Parse `glust serve` arguments. Flags take `--name value` or `--name=value`.
 * Throws GlustError(GLUST_ERR_CONFIG_INVALID) with a message naming the bad setting.
 */
export function parseServeConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()): ServeConfig {
  const values = new Map<string, string>();
  for (const s of SETTINGS) values.set(s.flag, env[s.env] ?? s.def(cores));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) invalid(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!SETTINGS.some((s) => s.flag === name)) invalid(`unknown flag --${name} (see glust serve --help)`);
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) invalid(`--${name} needs a value`);
    values.set(name, value);
  }
  const get = (flag: string) => values.get(flag)!;
  const int = (flag: string) => parseInteger(get(flag), flag);
  const bytes = (flag: string) => parseBytes(get(flag), flag);

  const { host, port } = parseListen(get('listen'));
  const ack = get('ack');
  const metricsAuth = get('metrics-auth');
  if (metricsAuth !== 'token' && metricsAuth !== 'none') invalid(`metrics-auth: '${metricsAuth}' is not 'token' or 'none'`);
  const optionalPath = (flag: string) => (get(flag).trim() === '' ? null : path.resolve(get(flag).trim()));
  const tlsCert = optionalPath('tls-cert');
  const tlsKey = optionalPath('tls-key');
  const tlsClientCa = optionalPath('tls-client-ca');
  if ((tlsCert === null) !== (tlsKey === null)) invalid('tls-cert and tls-key go together: give both or neither');
  if (tlsClientCa !== null && tlsCert === null) invalid('tls-client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first');
  if (ack !== 'durable' && ack !== 'received') invalid(`ack: '${ack}' is not 'durable' or 'received'`);
  const config: ServeConfig = {
    host,
    port,
    dataDir: path.resolve(get('data')),
    workers: int('workers'),
    flushMs: int('flush-ms'),
    maxBodyBytes: bytes('max-body-bytes'),
    ack,
    bodyRingBytes: bytes('body-ring-bytes'),
    batchRingBytes: bytes('batch-ring-bytes'),
    receiveBudgetBytes: bytes('receive-budget-bytes'),
    writerWaitMs: int('writer-wait-ms'),
    maxQueuedRequests: int('max-queued-requests'),
    maxQueueMs: int('max-queue-ms'),
    minBodyBytesPerSecond: bytes('min-body-bytes-per-second'),
    bodyTimeoutS: int('body-timeout-s'),
    maxConnections: int('max-connections'),
    segmentBytes: bytes('segment-bytes'),
    maxPendingSegments: int('max-pending-segments'),
    duckdbThreads: int('duckdb-threads'),
    duckdbMemoryLimit: get('duckdb-memory-limit'),
    compact: get('compact') === 'on',
    compactAfterMs: int('compact-after-ms'),
    compactTargetBytes: bytes('compact-target-bytes'),
    limits: {
      maxAttributes: int('max-attributes'),
      maxValueLength: int('max-value-length'),
      maxBodyLength: int('max-body-length'),
      maxEvents: int('max-events'),
      maxLinks: int('max-links'),
    },
    authTokenFile: optionalPath('auth-token-file'),
    metricsAuth,
    tls: tlsCert && tlsKey ? { cert: tlsCert, key: tlsKey, clientCa: tlsClientCa } : null,
    retentionDays: int('retention-days'),
    maxBytes: bytes('max-bytes'),
    retentionCheckMs: int('retention-check-ms'),
    shutdownTimeoutS: int('shutdown-timeout-s'),
  };
  if (config.workers < 1) invalid('workers must be at least 1');
  if (config.flushMs < 10) invalid('flush-ms must be at least 10');
  if (config.maxBodyBytes < 1) invalid('max-body-bytes must be at least 1');
  if (config.bodyRingBytes < config.maxBodyBytes + 64) {
    invalid(`body-ring-bytes (${config.bodyRingBytes}) must exceed max-body-bytes (${config.maxBodyBytes})`);
  }
  if (config.duckdbThreads < 1) invalid('duckdb-threads must be at least 1');
  if (config.shutdownTimeoutS < 1) invalid('shutdown-timeout-s must be at least 1');
  if (config.retentionCheckMs < 10) invalid('retention-check-ms must be at least 10');
  if (get('compact') !== 'on' && get('compact') !== 'off') invalid(`compact: '${get('compact')}' is not 'on' or 'off'`);
  if (config.compactTargetBytes < 1) invalid('compact-target-bytes must be at least 1');
  for (const flag of ['body-ring-bytes', 'batch-ring-bytes']) {
    try {
      assertPowerOfTwo(bytes(flag), flag);
    } catch (err) {
      invalid((err as Error).message);
    }
  }
  return config;
}

export function serveHelp(): string {
  const lines = SETTINGS.map((s) => `  --${s.flag.padEnd(22)} ${s.help}\n  ${' '.repeat(24)} env ${s.env}, default ${s.def(os.availableParallelism()) || 'none'}`);
  return `glust serve [flags]\n\n${lines.join('\n')}\n`;
}
