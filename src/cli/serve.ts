/**
 * `glust serve`: start storage, decoders and the acceptor (in that order), stop them in reverse
 * on SIGTERM/SIGINT: stop accepting, answer what is in flight, drain the rings, flush to Parquet,
 * exit 0.
 */
import os from 'node:os';
import path from 'node:path';
import { resolveListenHosts } from '../acceptor/listener.js';
import { GrpcAcceptor } from '../acceptor/grpc.js';
import { ReceiveBudget } from '../acceptor/receive-budget.js';
import { Acceptor } from '../acceptor/server.js';
import { createTransport, readPem } from '../acceptor/transport.js';
import { loadUws } from '../acceptor/uws.js';
import { createReadFeature } from '../api/feature.js';
import { BearerGuard, guardRoutes } from '../auth/guard.js';
import { TokenSet } from '../auth/tokens.js';
import { type ServeConfig, serveConfigFrom, serveSources } from '../config.js';
import { GlustError } from '../errors.js';
import { type Feature, fanOut } from '../feature.js';
import { metricsFeature } from '../metrics/feature.js';
import { Pipeline } from '../pipeline.js';
import { DataDirLock } from '../storage/owner-lock.js';
import { VERSION } from '../version.js';
import { statusFeature, statusOptions } from './status-line.js';

export interface RunningServer {
  readonly config: ServeConfig;
  readonly acceptor: Acceptor;
  /** The OTLP/gRPC acceptor, or null with --grpc-listen off. */
  readonly grpc: GrpcAcceptor | null;
  readonly pipeline: Pipeline;
  /** The bearer tokens in force, when --auth-token-file is set (reloaded on SIGHUP). */
  readonly tokens: TokenSet | null;
  stop(): Promise<void>;
  /** Give up a stop that takes too long: DuckDB work is interrupted, the WAL keeps the rest. */
  abort(): Promise<void>;
}

/** The features `glust serve` runs beside ingest, in start order. */
function createFeatures(config: ServeConfig): Feature[] {
  return [metricsFeature(), createReadFeature(config), statusFeature(statusOptions(config))];
}

/** `onWriterFatal`: the writer thread died (GLUST_ERR_WRITER_CRASHED); nothing can be acknowledged any more. */
export async function startServer(config: ServeConfig, onWriterFatal: (error: GlustError) => void): Promise<RunningServer> {
  const loaded = loadUws();
  // Token file and certificates are checked before anything starts: a typo stops the server now.
  const tokens = config.authTokenFile === null ? null : TokenSet.load(config.authTokenFile);
  const transport = createTransport(loaded, config.tls);
  // The data directory is ours before anything in it is read or changed (storage recovery
  // converts and deletes WAL segments): a second server on it refuses here and touches nothing.
  const lock = DataDirLock.acquire(config.dataDir);
  const features = createFeatures(config);
  let pipeline: Pipeline;
  try {
    pipeline = await Pipeline.start(config, fanOut(features.map((f) => f.pipelineObserver)), onWriterFatal);
  } catch (err) {
    lock.release();
    throw err;
  }
  const observer = fanOut(features.map((f) => f.acceptorObserver));
  const guard = tokens ? new BearerGuard({ tokens, protectMetrics: config.metricsAuth === 'token', observer }) : null;
  const app = guard ? guardRoutes(transport.app, guard) : transport.app;
  // One receive budget for both transports: slow uploads are bounded whichever port they use.
  const receiveBudget = new ReceiveBudget(config.receiveBudgetBytes);
  const { front } = transport;
  if (front) front.onRefused = () => observer.onTlsRefused?.();
  const acceptor = new Acceptor(loaded, app, pipeline, {
    host: config.host,
    port: config.port,
    maxBodyBytes: config.maxBodyBytes,
    receiveBudgetBytes: config.receiveBudgetBytes,
    receiveBudget,
    minBodyBytesPerSecond: config.minBodyBytesPerSecond,
    bodyTimeoutMs: config.bodyTimeoutS * 1000,
    maxConnections: config.maxConnections,
    unixPath: front?.backendPath,
  }, observer);
  const grpc = config.grpcListen === null ? null : new GrpcAcceptor(pipeline, {
    host: config.grpcListen.host,
    port: config.grpcListen.port,
    maxBodyBytes: config.maxBodyBytes,
    receiveBudget,
    minBodyBytesPerSecond: config.minBodyBytesPerSecond,
    bodyTimeoutMs: config.bodyTimeoutS * 1000,
    maxStreams: config.grpcMaxStreams,
    maxConnections: config.grpcMaxConnections,
    idleTimeoutMs: config.grpcIdleTimeoutS * 1000,
    // The HTTP TLS settings, read again (createTransport checked them above).
    tls: config.tls && {
      cert: readPem(config.tls.cert, '--tls-cert'),
      key: readPem(config.tls.key, '--tls-key'),
      ca: config.tls.clientCa === null ? undefined : readPem(config.tls.clientCa, '--tls-client-ca'),
    },
    guard,
  }, observer);
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      front?.close();
      acceptor.close();
      grpc?.close();
      for (const f of [...features].reverse()) await f.close?.();
      await pipeline.close();
      lock.release();
    })();
    return stopping;
  };
  const abort = async () => {
    front?.close();
    acceptor.close();
    grpc?.close();
    await Promise.allSettled(features.map(async (f) => f.close?.()));
    await pipeline.abort();
  };
  try {
    const readObserver = fanOut(features.map((f) => f.readObserver));
    for (const f of features) await f.attach?.({ config, pipeline, app: acceptor.app, readObserver });
    acceptor.finishRoutes();
    await acceptor.listen();
    await front?.listen(await resolveListenHosts(config.host), config.port);
    await grpc?.listen();
  } catch (err) {
    await stop();
    throw err;
  }
  const recovered = pipeline.recovered.rows > 0 ? `; recovered ${pipeline.recovered.rows} rows from ${pipeline.recovered.segments} WAL segments` : '';
  const addresses = front ? front.addresses : acceptor.addresses;
  lock.writeNote({ listen: addresses.map((a) => `${transport.scheme}://${a}`).join(', ') });
  const grpcLine = grpc ? `; OTLP/gRPC on ${grpc.addresses.join(', ')} (${grpc.scheme})` : '; OTLP/gRPC off';
  const security = [
    transport.mode === 'mutual' ? 'TLS with client certificates' : transport.mode === 'tls' ? 'TLS' : '',
    tokens ? `${tokens.size} bearer token${tokens.size === 1 ? '' : 's'}` : '',
  ].filter(Boolean).join(', ');
  console.log(
    `glust ${VERSION} listening on ${addresses.map((a) => `${transport.scheme}://${a}`).join(', ')} ` +
      `(uWebSockets.js ${loaded.flavour}${security ? `; ${security}` : ''})${grpcLine}, writing ${config.dataDir}; ` +
      `${config.workers} decode workers, ack ${config.ack}, flush ${config.flushMs} ms${recovered}; ` +
      `web UI ${webUiUrl(transport.scheme, config.host, addresses[0] ?? '')}`,
  );
  return { config, acceptor, grpc, pipeline, tokens, stop, abort };
}

/** Exit status when the writer thread died: EX_SOFTWARE (sysexits.h), an internal failure. */
const EXIT_WRITER_CRASHED = 70;
/**
 * The address to open in a browser: the host as configured (`localhost` stays `localhost`, which
 * the startup line's list of bound addresses spells out), this machine's name for a wildcard
 * address, and the port actually bound (for --listen host:0).
 */
function webUiUrl(scheme: string, host: string, bound: string): string {
  const name = host === '' || host === '0.0.0.0' || host === '::' ? os.hostname() : host;
  const port = /:(\d+)$/.exec(bound)?.[1] ?? '';
  return `${scheme}://${name.includes(':') ? `[${name}]` : name}:${port}/`;
}

export async function serve(argv: readonly string[]): Promise<void> {
  // Every source is read and the whole configuration checked before anything starts.
  const { layers, configFile } = serveSources(argv);
  const config = serveConfigFrom(layers);
  if (configFile !== null) {
    const keys = layers[0]!.size;
    console.log(`glust: configuration file ${path.resolve(configFile)} (${keys} setting${keys === 1 ? '' : 's'}; flags and GLUST_* override it)`);
  }
  // Everything acknowledged is in the WAL, which the next start recovers: fail fast.
  const server = await startServer(config, (error) => {
    console.error(`glust: ${error.code}: ${error.message}`);
    process.exit(EXIT_WRITER_CRASHED);
  });
  let signals = 0;
  let giving = false;
  // Exiting while a DuckDB query runs on a worker thread aborts the process natively, so a stop
  // that is given up first has the writer and the query thread interrupt and close DuckDB.
  const giveUp = (why: string) => {
    if (giving) return;
    giving = true;
    console.error(`glust: ${why}; exiting without finishing the flush (the WAL keeps acknowledged data, the next start converts it)`);
    void server.abort().finally(() => process.exit(1));
  };
  const onSignal = (name: string) => {
    if (++signals > 1) return giveUp(`${name} again`);
    console.log(`glust: ${name}, draining and flushing to Parquet`);
    const { shutdownTimeoutS } = server.config;
    setTimeout(() => giveUp(`GLUST_ERR_SHUTDOWN_TIMEOUT: the stop took longer than --shutdown-timeout-s ${shutdownTimeoutS}`), shutdownTimeoutS * 1000).unref();
    server.stop().then(
      () => {
        if (giving) return; // giveUp exits, with 1
        console.log('glust: stopped cleanly');
        process.exit(0);
      },
      (err: Error) => giveUp(`shutdown failed: ${err.stack ?? err.message}`),
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const { tokens } = server;
  if (tokens) {
    // SIGHUP re-reads the token file; a file that fails to load leaves the old tokens in force.
    process.on('SIGHUP', () => {
      try {
        const n = tokens.reload();
        console.log(`glust: SIGHUP, reloaded ${n} bearer token${n === 1 ? '' : 's'} from ${tokens.file}`);
      } catch (err) {
        const e = err as GlustError;
        console.error(`glust: SIGHUP: ${e.code}: ${e.message}; keeping the previous ${tokens.size} token${tokens.size === 1 ? '' : 's'}`);
      }
    });
  }
  process.on('SIGINT', () => onSignal('SIGINT'));
  // Past a file size limit (ulimit -f) the kernel sends SIGXFSZ, whose default kills the process;
  // handled, the write fails with EFBIG instead and the writer answers 503 until it can write.
  process.on('SIGXFSZ', () => {});
}
