/**
 * The commands of `glust`, each with its usage text: one table drives dispatch, `glust --help`
 * and every `glust <command> --help`, so a command cannot exist without its help.
 */
import { serveHelp } from '../config.js';
import { GlustError } from '../errors.js';
import { VERSION } from '../version.js';
import { endQuietlyWhenStdoutCloses, keepServingWhenOutputCloses } from './closed-stdout.js';
import { QUERY_USAGE, query } from './query.js';
import { LOGS_USAGE, TRACES_USAGE, TRACE_USAGE, logs, trace, traces } from './read.js';
import { METRICS_USAGE, METRIC_USAGE, metric, metrics } from './metrics.js';
import { serve } from './serve.js';
import { TAIL_USAGE, tail } from './tail.js';

interface Command {
  /** One line for the overview. */
  readonly summary: string;
  /** What a closed stdout does to it (src/cli/closed-stdout.ts). */
  readonly onClosedOutput: () => void;
  readonly usage: () => string;
  readonly run: (argv: readonly string[]) => Promise<void>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  serve: { onClosedOutput: keepServingWhenOutputCloses, summary: 'run the OTLP/HTTP server, its query API and web UI', usage: serveHelp, run: serve },
  query: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: 'DuckDB SQL over the views spans, logs and metrics of a data directory', usage: () => QUERY_USAGE, run: query },
  traces: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: 'trace summaries, newest first', usage: () => TRACES_USAGE, run: traces },
  trace: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: 'one trace as an indented text waterfall', usage: () => TRACE_USAGE, run: trace },
  logs: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: 'log records, newest first', usage: () => LOGS_USAGE, run: logs },
  tail: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: 'records as they are acknowledged, until interrupted', usage: () => TAIL_USAGE, run: tail },
  metrics: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: 'metric names with type, unit, services and point counts', usage: () => METRICS_USAGE, run: metrics },
  metric: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: "a metric's points, or its aggregates (--aggregate)", usage: () => METRIC_USAGE, run: metric },
};

export const USAGE = `glust ${VERSION}: OpenTelemetry OTLP/HTTP ingestor to day-partitioned Parquet

usage: glust <command> [flags]

${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)}${c.summary}`).join('\n')}

  glust <command> --help    that command's flags
  glust --version           the version

The read commands (query, traces, trace, logs, tail, metrics, metric) read --data DIR (default
./glust-data, or GLUST_DATA); all but query read a running server instead with --server URL.
`;

const isHelp = (arg: string) => arg === '--help' || arg === '-h';

/**
 * Run the command line. A bare `glust` prints the usage on stderr and fails (exit 2): it used to
 * start a server, so a script still calling it that way stops loudly instead of doing nothing.
 */
export async function runCommandLine(argv: readonly string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined) throw new GlustError('GLUST_ERR_CONFIG_INVALID', `no command given (to run the server: glust serve)\n\n${USAGE}`);
  if (isHelp(name) || name === 'help') return void process.stdout.write(rest[0] && COMMANDS[rest[0]] ? COMMANDS[rest[0]]!.usage() : USAGE);
  if (name === '--version' || name === 'version') return void process.stdout.write(`${VERSION}\n`);
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name]! : null;
  if (!command) throw new GlustError('GLUST_ERR_CONFIG_INVALID', `unknown command '${name}'\n\n${USAGE}`);
  // --help wherever it stands, as most tools do (a search for the text "--help" needs --q=--help).
  command.onClosedOutput();
  if (rest.some(isHelp)) return void process.stdout.write(command.usage());
  return command.run(rest);
}
