/**
 * Server configuration. SETTINGS is the one list of `glust serve` settings: each row gives the
 * flag (and configuration file key), the environment variable, the kind of value, the default as
 * written, the allowed range and what it does. Parsing, the environment names, `glust serve
 * --help` and the README's configuration table (kept in step by test/settings.test.ts) all come
 * from it, and ServeConfig is derived from it.
 *
 * Precedence: defaults, overridden by a configuration file (`--config FILE` or GLUST_CONFIG,
 * src/settings/file.ts: every flag is a key), overridden by the environment (GLUST_*),
 * overridden by flags. Each source is a layer of raw texts (setting.ts).
 */
import os from 'node:os';
import { DEFAULT_LIMITS, type Limits } from './otlp/limits.js';
import { didYouMean } from './nearest-name.js';
import { assertPowerOfTwo } from './ring/layout.js';
import { readConfigFile } from './settings/file.js';
import { settingsHelp } from './settings/help.js';
import { COUNT, DIRECTORY, LISTEN, LISTEN_OR_OFF, OPTIONAL_DIRECTORY, OPTIONAL_FILE, SIZE, SWITCH, TEXT, choice, duration } from './settings/kinds.js';
import { type RawValue, type Setting, type ValueOf, configInvalid, defaultText, readSetting } from './settings/setting.js';

const MS = duration('ms');
const SECONDS = duration('s');

/** Identity with inference: a row's value type comes from its kind. */
const row = <T>(setting: Setting<T>): Setting<T> => setting;

/** The rings' own rule (src/ring/layout.ts), checked when the setting is read. */
function ringSize(bytes: number): string | null {
  try {
    assertPowerOfTwo(bytes, 'ring');
    return null;
  } catch {
    return 'must be a power of two between 1 KiB and 1 GiB';
  }
}

/** Every `glust serve` setting, in the order --help and the README list them. */
export const SETTINGS = {
  listen: row({ flag: 'listen', env: 'GLUST_LISTEN', kind: LISTEN, default: 'localhost:4318', help: 'where OTLP/HTTP, the API and the web UI are served (port 0 picks a free one; `localhost` binds every loopback address it resolves to)' }),
  grpcListen: row({ flag: 'grpc-listen', env: 'GLUST_GRPC_LISTEN', kind: LISTEN_OR_OFF, default: 'localhost:4317', help: 'where OTLP/gRPC is served (port 0 picks a free one; `off`: not at all); TLS, tokens and limits as for `--listen`' }),
  grpcMaxStreams: row({ flag: 'grpc-max-streams', env: 'GLUST_GRPC_MAX_STREAMS', kind: COUNT, min: 1, default: '100', help: 'concurrent gRPC calls per connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS); clients queue beyond it' }),
  grpcMaxConnections: row({ flag: 'grpc-max-connections', env: 'GLUST_GRPC_MAX_CONNECTIONS', kind: COUNT, default: '1024', help: 'open gRPC connections past which new ones are closed at once (0: no limit)' }),
  grpcIdleTimeoutS: row({ flag: 'grpc-idle-timeout-s', env: 'GLUST_GRPC_IDLE_TIMEOUT_S', kind: SECONDS, min: 1, default: '5m', help: 'a gRPC connection with no frames for this long is closed (GOAWAY); exporters reconnect' }),
  dataDir: row({ flag: 'data', env: 'GLUST_DATA', kind: DIRECTORY, default: './glust-data', help: 'data directory' }),
  workers: row({ flag: 'workers', env: 'GLUST_WORKERS', kind: COUNT, min: 1, default: { describe: 'cores', compute: (cores) => String(cores) }, help: 'decode/validate threads at most (one per core measured 57% faster than cores − 1 on 2 cores: the writer mostly waits on fsync); one always runs, the others start when a request finds every decoder busy and end after a minute without work' }),
  flushMs: row({ flag: 'flush-ms', env: 'GLUST_FLUSH_MS', kind: MS, min: 10, default: '2s', help: 'acknowledged data is in Parquet within about this long' }),
  maxBodyBytes: row({ flag: 'max-body-bytes', env: 'GLUST_MAX_BODY_BYTES', kind: SIZE, min: 1, default: '64MiB', help: 'largest body, compressed and decompressed' }),
  ack: row({ flag: 'ack', env: 'GLUST_ACK', kind: choice('durable', 'received'), default: 'durable', help: '`durable` (after fsync) or `received` (after validation)' }),
  bodyRingBytes: row({ flag: 'body-ring-bytes', env: 'GLUST_BODY_RING_BYTES', kind: SIZE, check: ringSize, default: '128MiB', help: 'acceptor → decoders ring (power of two, above max body); only what is in use at once becomes resident memory, the rest is address space' }),
  batchRingBytes: row({ flag: 'batch-ring-bytes', env: 'GLUST_BATCH_RING_BYTES', kind: SIZE, check: ringSize, default: '16MiB', help: 'decoders → writer ring (power of two); it absorbs writer pauses, which decoders wait out for at most --writer-wait-ms, so a few times what arrives in that wait is enough (16 MiB: 0.7 s at 70,000 spans/s)' }),
  receiveBudgetBytes: row({ flag: 'receive-budget-bytes', env: 'GLUST_RECEIVE_BUDGET_BYTES', kind: SIZE, default: '256MiB', help: 'bytes of bodies still arriving, all connections together' }),
  writerWaitMs: row({ flag: 'writer-wait-ms', env: 'GLUST_WRITER_WAIT_MS', kind: MS, default: '200ms', help: 'how long a decoder waits for the writer before `503`' }),
  maxQueuedRequests: row({ flag: 'max-queued-requests', env: 'GLUST_MAX_QUEUED_REQUESTS', kind: COUNT, default: '32', help: 'requests always allowed to wait for a decode worker (floor of the queue bound)' }),
  maxQueueMs: row({ flag: 'max-queue-ms', env: 'GLUST_MAX_QUEUE_MS', kind: MS, default: '100ms', help: 'beyond that floor, only as many requests may wait as the decoders finish in this time, and none once the oldest has waited this long; past it `503`' }),
  minBodyBytesPerSecond: row({ flag: 'min-body-bytes-per-second', env: 'GLUST_MIN_BODY_BYTES_PER_SECOND', kind: SIZE, default: '4KiB', help: 'slowest average rate of a request body after `--body-timeout-s`; slower ones get `408` and are disconnected (0: off)' }),
  bodyTimeoutS: row({ flag: 'body-timeout-s', env: 'GLUST_BODY_TIMEOUT_S', kind: SECONDS, default: '10s', help: 'how long a request body may take before the rate above applies' }),
  maxConnections: row({ flag: 'max-connections', env: 'GLUST_MAX_CONNECTIONS', kind: COUNT, default: '4096', help: 'open connections at which new ones are refused until some close (0: off; Linux)' }),
  segmentBytes: row({ flag: 'segment-bytes', env: 'GLUST_SEGMENT_BYTES', kind: SIZE, min: 1, default: '64MiB', help: 'WAL segment size that forces sealing' }),
  maxPendingSegments: row({ flag: 'max-pending-segments', env: 'GLUST_MAX_PENDING_SEGMENTS', kind: COUNT, default: '8', help: 'sealed segments waiting for Parquet before ingest is refused' }),
  duckdbThreads: row({ flag: 'duckdb-threads', env: 'GLUST_DUCKDB_THREADS', kind: COUNT, min: 1, default: '1', help: 'DuckDB threads of the writer (one converts with the least CPU per row)' }),
  duckdbMemoryLimit: row({ flag: 'duckdb-memory-limit', env: 'GLUST_DUCKDB_MEMORY_LIMIT', kind: TEXT, default: '1GB', help: "DuckDB memory limit of the writer, in DuckDB's syntax" }),
  compact: row({ flag: 'compact', env: 'GLUST_COMPACT', kind: SWITCH, default: 'on', help: "`on`: merge each closed day's files into few large sorted files without duplicates; `off`" }),
  compactAfterMs: row({ flag: 'compact-after-ms', env: 'GLUST_COMPACT_AFTER_MS', kind: MS, default: '1h', help: 'a UTC day is compacted once it ended this long ago' }),
  compactTargetBytes: row({ flag: 'compact-target-bytes', env: 'GLUST_COMPACT_TARGET_BYTES', kind: SIZE, min: 1, default: '64MiB', help: 'Parquet bytes merged into one file by one compaction step' }),
  maxAttributes: row({ flag: 'max-attributes', env: 'GLUST_MAX_ATTRIBUTES', kind: COUNT, default: String(DEFAULT_LIMITS.maxAttributes), help: 'attributes kept per record, event, link, resource' }),
  maxValueLength: row({ flag: 'max-value-length', env: 'GLUST_MAX_VALUE_LENGTH', kind: COUNT, default: String(DEFAULT_LIMITS.maxValueLength), help: 'characters kept per attribute value or name' }),
  maxBodyLength: row({ flag: 'max-body-length', env: 'GLUST_MAX_LOG_BODY_LENGTH', kind: COUNT, default: String(DEFAULT_LIMITS.maxBodyLength), help: 'characters kept per log body' }),
  maxEvents: row({ flag: 'max-events', env: 'GLUST_MAX_EVENTS', kind: COUNT, default: String(DEFAULT_LIMITS.maxEvents), help: 'events kept per span' }),
  maxLinks: row({ flag: 'max-links', env: 'GLUST_MAX_LINKS', kind: COUNT, default: String(DEFAULT_LIMITS.maxLinks), help: 'links kept per span' }),
  authTokenFile: row({ flag: 'auth-token-file', env: 'GLUST_AUTH_TOKEN_FILE', kind: OPTIONAL_FILE, default: '', help: 'bearer tokens, one per line, required on `/v1/*` and `/api/*` (re-read on SIGHUP)' }),
  metricsAuth: row({ flag: 'metrics-auth', env: 'GLUST_METRICS_AUTH', kind: choice('token', 'none'), default: 'token', help: 'with a token file: `token` guards `/metrics` too, `none` leaves it open' }),
  tlsCert: row({ flag: 'tls-cert', env: 'GLUST_TLS_CERT', kind: OPTIONAL_FILE, default: '', help: 'PEM certificate (chain): serve HTTPS; needs `--tls-key`' }),
  tlsKey: row({ flag: 'tls-key', env: 'GLUST_TLS_KEY', kind: OPTIONAL_FILE, default: '', help: 'PEM private key of `--tls-cert`' }),
  tlsClientCa: row({ flag: 'tls-client-ca', env: 'GLUST_TLS_CLIENT_CA', kind: OPTIONAL_FILE, default: '', help: 'PEM CA: clients must present a valid certificate it signed (mutual TLS)' }),
  retentionDays: row({ flag: 'retention-days', env: 'GLUST_RETENTION_DAYS', kind: COUNT, default: '7', help: 'delete day partitions whose records are all older than this many days (0: keep forever)' }),
  maxBytes: row({ flag: 'max-bytes', env: 'GLUST_MAX_BYTES', kind: SIZE, default: '500MiB', help: 'Parquet bytes kept; past it the oldest Parquet files go (0: no limit); the WAL comes on top, bounded by `--segment-bytes` and `--max-pending-segments`' }),
  retentionCheckMs: row({ flag: 'retention-check-ms', env: 'GLUST_RETENTION_CHECK_MS', kind: MS, min: 10, default: '1m', help: 'how often retention runs (also at start, and as soon as `--max-bytes` is passed)' }),
  shutdownTimeoutS: row({ flag: 'shutdown-timeout-s', env: 'GLUST_SHUTDOWN_TIMEOUT_S', kind: SECONDS, min: 1, default: '1m', help: 'how long SIGTERM/SIGINT may take to answer, drain and flush before Glust exits 1 (the WAL keeps what is left)' }),
  quiet: row({ flag: 'quiet', env: 'GLUST_QUIET', kind: SWITCH, default: 'off', help: '`on` (or a bare `--quiet`): no live status line on a terminal and no note of the first flush' }),
  statusIntervalS: row({ flag: 'status-interval-s', env: 'GLUST_STATUS_INTERVAL_S', kind: SECONDS, min: 1, default: '5s', help: 'how often the live status line is printed when stderr is a terminal' }),
  cacheDir: row({ flag: 'cache-dir', env: 'GLUST_CACHE_DIR', kind: OPTIONAL_DIRECTORY, default: '', notInFile: 'the single executable reads it before any configuration file, to find its own files; give it as --cache-dir or GLUST_CACHE_DIR', help: 'single executable only, on every command: where it writes its native addons and worker scripts, in a folder per build (empty: `$XDG_CACHE_HOME/glust`, else `~/.cache/glust`)' }),
} as const;

type Settings = typeof SETTINGS;
type SettingValues = { readonly [K in keyof Settings]: ValueOf<Settings[K]> };

/** Every row, for code that goes over all of them (help, docs, tests). */
export const SETTING_ROWS: readonly Setting<unknown>[] = Object.values(SETTINGS);

/** Server TLS: certificate and key; with a client CA, clients must present a certificate it signed. */
export interface TlsConfig {
  readonly cert: string;
  readonly key: string;
  readonly clientCa: string | null;
}

/** Settings that ServeConfig carries grouped rather than one by one. */
type Grouped = 'listen' | keyof Limits | 'tlsCert' | 'tlsKey' | 'tlsClientCa';

/** Every setting's value, with `listen`, the limits and TLS grouped as their users take them. */
export type ServeConfig = Omit<SettingValues, Grouped> & {
  readonly host: string;
  readonly port: number;
  readonly limits: Limits;
  /** null: plain HTTP. */
  readonly tls: TlsConfig | null;
};

/** Raw texts of one source, by flag name. */
export type SettingLayer = ReadonlyMap<string, RawValue>;

const ROW_BY_FLAG = new Map<string, Setting<unknown>>(SETTING_ROWS.map((s) => [s.flag, s]));

/** The flag (and environment variable) naming the configuration file; not a key of the file. */
export const CONFIG_FLAG = 'config';
export const CONFIG_ENV = 'GLUST_CONFIG';

/**
 * The layer of `--name value` / `--name=value` flags (`--config` is taken out before). An on/off
 * setting given alone (`--quiet`, followed by nothing or by another flag) means `on`.
 */
function flagLayer(argv: readonly string[]): SettingLayer {
  const layer = new Map<string, RawValue>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) configInvalid(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const s = ROW_BY_FLAG.get(name);
    if (!s) configInvalid(`unknown flag --${name}${didYouMean(name, [...ROW_BY_FLAG.keys(), CONFIG_FLAG], '--')} (see glust serve --help)`);
    const next = argv[i + 1];
    if (eq < 0 && s.kind === SWITCH && (next === undefined || next.startsWith('--'))) {
      layer.set(name, { text: 'on', source: `--${name}` });
      continue;
    }
    const text = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (text === undefined) configInvalid(`--${name} needs a value`);
    layer.set(name, { text, source: `--${name}` });
  }
  return layer;
}

/** The layer of GLUST_* environment variables that are set. */
function envLayer(env: NodeJS.ProcessEnv): SettingLayer {
  const layer = new Map<string, RawValue>();
  for (const s of SETTING_ROWS) {
    const text = env[s.env];
    if (text !== undefined) layer.set(s.flag, { text, source: s.env });
  }
  return layer;
}

/**
 * The configuration from layers in rising precedence (a later layer wins); what no layer gives
 * is the default. Throws GLUST_ERR_CONFIG_INVALID naming the setting and the source.
 */
export function serveConfigFrom(layers: readonly SettingLayer[], cores = os.availableParallelism()): ServeConfig {
  const read = <T>(s: Setting<T>): T => readSetting(s, rawFrom(s, layers, cores));
  const values = Object.fromEntries(Object.entries(SETTINGS).map(([key, s]) => [key, read(s as Setting<unknown>)])) as unknown as SettingValues;
  const { listen, maxAttributes, maxValueLength, maxBodyLength, maxEvents, maxLinks, tlsCert, tlsKey, tlsClientCa, ...single } = values;

  // Rules between settings; each setting's own range is checked by its row. The message ends
  // with where the settings involved came from, so a rule broken in a file names its lines.
  const from = (...rows: Setting<unknown>[]) => ` (${rows.map((r) => `${r.flag} from ${rawFrom(r, layers, cores).source}`).join(', ')})`;
  if (single.bodyRingBytes < single.maxBodyBytes + 64) {
    configInvalid(`body-ring-bytes (${SIZE.format(single.bodyRingBytes)}) must exceed max-body-bytes (${SIZE.format(single.maxBodyBytes)}) by 64 bytes at least${from(SETTINGS.bodyRingBytes, SETTINGS.maxBodyBytes)}`);
  }
  if ((tlsCert === null) !== (tlsKey === null)) configInvalid(`tls-cert and tls-key go together: give both or neither${from(SETTINGS.tlsCert, SETTINGS.tlsKey)}`);
  if (tlsClientCa !== null && tlsCert === null) configInvalid(`tls-client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first${from(SETTINGS.tlsClientCa)}`);
  return {
    ...single,
    host: listen.host,
    port: listen.port,
    limits: { maxAttributes, maxValueLength, maxBodyLength, maxEvents, maxLinks },
    tls: tlsCert !== null && tlsKey !== null ? { cert: tlsCert, key: tlsKey, clientCa: tlsClientCa } : null,
  };
}

/** The text that wins for `s`: the last layer that has it, else the default. */
function rawFrom(s: Setting<unknown>, layers: readonly SettingLayer[], cores: number): RawValue {
  let raw: RawValue = { text: defaultText(s, cores), source: 'the default' };
  for (const layer of layers) raw = layer.get(s.flag) ?? raw;
  return raw;
}

/** The layers of `glust serve` arguments, in rising precedence, and the configuration file read. */
export interface ServeSources {
  readonly layers: readonly SettingLayer[];
  /** As given by --config or GLUST_CONFIG; null: no file. */
  readonly configFile: string | null;
}

/** `--config FILE` / `--config=FILE` out of `argv`: the file and the other arguments. */
function takeConfigFlag(argv: readonly string[]): { file: string | null; rest: string[] } {
  let file: string | null = null;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg !== `--${CONFIG_FLAG}` && !arg.startsWith(`--${CONFIG_FLAG}=`)) {
      rest.push(arg);
      continue;
    }
    if (file !== null) configInvalid(`--${CONFIG_FLAG} given twice`);
    const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
    if (value === undefined || value === '') configInvalid(`--${CONFIG_FLAG} needs a file`);
    file = value;
  }
  return { file, rest };
}

/** Every source of `glust serve` settings: file (from --config, else GLUST_CONFIG), environment, flags. */
export function serveSources(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServeSources {
  const { file, rest } = takeConfigFlag(argv);
  const flags = flagLayer(rest);
  const configFile = file ?? (env[CONFIG_ENV] || null);
  const fileLayer = configFile === null ? new Map<string, RawValue>() : readConfigFile(configFile, SETTING_ROWS);
  return { layers: [fileLayer, envLayer(env), flags], configFile };
}

/** Parse `glust serve` arguments over the environment and the configuration file they name. */
export function parseServeConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()): ServeConfig {
  return serveConfigFrom(serveSources(argv, env).layers, cores);
}

/** One setting as in force: its row, the winning text and where it came from, and its value. */
export interface EffectiveSetting {
  readonly setting: Setting<unknown>;
  readonly raw: RawValue;
  readonly value: unknown;
}

/**
 * Every setting as `layers` make it, for `glust config print`; throws, as serveConfigFrom does,
 * when the whole would not start (rules between settings included).
 */
export function effectiveSettings(layers: readonly SettingLayer[], cores = os.availableParallelism()): EffectiveSetting[] {
  serveConfigFrom(layers, cores);
  return SETTING_ROWS.map((setting) => {
    const raw = rawFrom(setting, layers, cores);
    return { setting, raw, value: readSetting(setting, raw) };
  });
}

/** The opening comment of glust.example.yaml (scripts/example-config.mjs writes the file). */
export const EXAMPLE_HEADER = ` glust serve --config glust.yaml: every setting, with its default. Keys are the flags of
 glust serve --help; relative paths are taken from this file's directory. Precedence: flags, then
 the environment (GLUST_*), then this file, then the defaults. Check a file with
 glust config check FILE; see what is in force with glust config print --config FILE.`;

export function serveHelp(cores = os.availableParallelism()): string {
  const config = `  ${`--${CONFIG_FLAG} FILE`.padEnd(38)} env ${CONFIG_ENV}, default none\n` +
    '      a YAML file of settings keyed by the flag names below (glust.example.yaml lists them all;\n' +
    '      glust config check FILE validates one); flags win over the environment, which wins over it\n';
  return `glust serve [flags]\n\n${config}${settingsHelp(SETTING_ROWS, cores)}`;
}
