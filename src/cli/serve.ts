/**
 * `glust serve`: start storage, decoders and the acceptor (in that order), stop them in reverse
 * on SIGTERM/SIGINT: stop accepting, answer what is in flight, drain the rings, flush to Parquet,
 * exit 0.
 */
import fs from 'node:fs';
import { Acceptor } from '../acceptor/server.js';
import { loadUws } from '../acceptor/uws.js';
import { createReadFeature } from '../api/feature.js';
import { type ServeConfig, parseServeConfig } from '../config.js';
import { GlustError } from '../errors.js';
import { type Feature, fanOut } from '../feature.js';
import { metricsFeature } from '../metrics/feature.js';
import { Pipeline } from '../pipeline.js';
import { VERSION } from '../version.js';

export interface RunningServer {
  readonly config: ServeConfig;
  readonly acceptor: Acceptor;
  readonly pipeline: Pipeline;
  stop(): Promise<void>;
}

/** The features `glust serve` runs beside ingest, in start order. */
function createFeatures(config: ServeConfig): Feature[] {
  return [metricsFeature(), createReadFeature(config)];
}

export async function startServer(config: ServeConfig): Promise<RunningServer> {
  try {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.accessSync(config.dataDir, fs.constants.W_OK);
  } catch (err) {
    throw new GlustError('GLUST_ERR_DATA_DIR', `data directory ${config.dataDir} is not writable: ${(err as Error).message}`);
  }
  const loaded = loadUws();
  const features = createFeatures(config);
  const pipeline = await Pipeline.start(config, fanOut(features.map((f) => f.pipelineObserver)));
  const app = loaded.uws.App();
  const acceptor = new Acceptor(loaded, app, pipeline, {
    host: config.host,
    port: config.port,
    maxBodyBytes: config.maxBodyBytes,
    receiveBudgetBytes: config.receiveBudgetBytes,
  }, fanOut(features.map((f) => f.acceptorObserver)));
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      acceptor.close();
      for (const f of [...features].reverse()) await f.close?.();
      await pipeline.close();
    })();
    return stopping;
  };
  try {
    for (const f of features) await f.attach?.({ config, pipeline, app });
    acceptor.finishRoutes();
    await acceptor.listen();
  } catch (err) {
    await stop();
    throw err;
  }
  const recovered = pipeline.recovered.rows > 0 ? `; recovered ${pipeline.recovered.rows} rows from ${pipeline.recovered.segments} WAL segments` : '';
  console.log(
    `glust ${VERSION} listening on ${acceptor.addresses.map((a) => `http://${a}`).join(', ')} ` +
      `(uWebSockets.js ${loaded.flavour}), writing ${config.dataDir}; ` +
      `${config.workers} decode workers, ack ${config.ack}, flush ${config.flushMs} ms${recovered}`,
  );
  return { config, acceptor, pipeline, stop };
}

export async function serve(argv: readonly string[]): Promise<void> {
  const server = await startServer(parseServeConfig(argv));
  let signals = 0;
  const onSignal = (name: string) => {
    if (++signals > 1) {
      console.error(`glust: ${name} again, exiting without finishing the flush (the WAL keeps acknowledged data)`);
      process.exit(1);
    }
    console.log(`glust: ${name}, draining and flushing to Parquet`);
    server.stop().then(
      () => {
        console.log('glust: stopped cleanly');
        process.exit(0);
      },
      (err: Error) => {
        console.error(`glust: shutdown failed: ${err.stack ?? err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  // Past a file size limit (ulimit -f) the kernel sends SIGXFSZ, whose default kills the process;
  // handled, the write fails with EFBIG instead and the writer answers 503 until it can write.
  process.on('SIGXFSZ', () => {});
}
