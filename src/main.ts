#!/usr/bin/env node
/**
 * glust — entry point: wires the command line to the commands, nothing else.
 */
import { serve } from './cli/serve.js';
import { query } from './cli/query.js';
import { logs, trace, traces } from './cli/read.js';
import { tail } from './cli/tail.js';
import { serveHelp } from './config.js';
import { GlustError } from './errors.js';
import { VERSION } from './version.js';

const USAGE = `glust ${VERSION} — OpenTelemetry OTLP/HTTP ingestor to day-partitioned Parquet

usage:
  glust serve [flags]              run the OTLP/HTTP server (glust serve --help for flags)
  glust query "SQL" [--data DIR] [--format table|csv|json]
                                   run DuckDB SQL over the views spans and logs
  glust traces [--service S] [--since 1h] …    trace summaries, newest first
  glust trace TRACE_ID                          a trace as an indented waterfall
  glust logs [--service S] [--q TEXT] [--since 1h] …
                                   log records, newest first
  glust tail [--signal logs|spans] …            records as they are acknowledged
                                   (read commands take --data DIR or --server URL, and --help)
`;

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  if (command === 'serve') {
    if (rest.includes('--help') || rest.includes('-h')) return void process.stdout.write(serveHelp());
    return serve(rest);
  }
  if (command === 'query') return query(rest);
  if (command === 'traces') return traces(rest);
  if (command === 'trace') return trace(rest);
  if (command === 'logs') return logs(rest);
  if (command === 'tail') return tail(rest);
  if (command === '--version' || command === 'version') return void console.log(VERSION);
  if (command === '--help' || command === '-h' || command === 'help') return void process.stdout.write(USAGE);
  throw new GlustError('GLUST_ERR_CONFIG_INVALID', `unknown command '${command}'\n\n${USAGE}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof GlustError) {
    console.error(`glust: ${err.code}: ${err.message}`);
    process.exit(err.code === 'GLUST_ERR_CONFIG_INVALID' ? 2 : 1);
  }
  console.error('glust:', err);
  process.exit(1);
});
