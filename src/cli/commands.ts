/**
 * The commands of `glust`, each with its usage text: one table drives dispatch, `glust --help`,
 * `glust help <command>` and every `glust <command> --help`, so a command cannot exist without
 * its help, and a mistyped command is answered with the nearest one.
 *
 * Exit status (src/main.ts, README "Exit codes"): 0 done; 2 the command line or the
 * configuration is wrong (GLUST_ERR_CONFIG_INVALID, nothing was started); 1 a failure while
 * running; 70 the writer thread died under `glust serve`.
 */
import { BUILD_INFO, versionLine } from '../build-info.js';
import { serveHelp } from '../config.js';
import { GlustError } from '../errors.js';
import { didYouMean } from '../nearest-name.js';
import { endQuietlyWhenStdoutCloses, keepServingWhenOutputCloses } from './closed-stdout.js';
import { CONFIG_USAGE, configCommand } from './config-command.js';
import { QUERY_USAGE, query } from './query.js';
import { SOURCE_HELP } from './read-args.js';
import { LOGS_USAGE, TRACES_USAGE, TRACE_USAGE, logs, trace, traces } from './read.js';
import { METRICS_USAGE, METRIC_USAGE, metric, metrics } from './metrics.js';
import { serve } from './serve.js';
import { MAP_USAGE, SERVICES_USAGE, map, services } from './services.js';
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
  traces: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: 'trace summaries, newest first', usage: () => TRACES_USAGE + SOURCE_HELP, run: traces },
  trace: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: 'one trace as an indented text waterfall', usage: () => TRACE_USAGE + SOURCE_HELP, run: trace },
  logs: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: 'log records, newest first', usage: () => LOGS_USAGE + SOURCE_HELP, run: logs },
  tail: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: 'records as they are acknowledged, until interrupted', usage: () => TAIL_USAGE + SOURCE_HELP, run: tail },
  metrics: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: 'metric names with type, unit, services and point counts', usage: () => METRICS_USAGE + SOURCE_HELP, run: metrics },
  metric: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: "a metric's points, or its aggregates (--aggregate)", usage: () => METRIC_USAGE + SOURCE_HELP, run: metric },
  services: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: 'per service: requests, rate, errors and duration percentiles', usage: () => SERVICES_USAGE + SOURCE_HELP, run: services },
  map: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: 'the calls between services (the service map) as a table', usage: () => MAP_USAGE + SOURCE_HELP, run: map },
  config: { onClosedOutput: endQuietlyWhenStdoutCloses, summary: 'check a configuration file, or print the configuration in force', usage: () => CONFIG_USAGE, run: configCommand },
};

/** Names `glust` answers besides the commands, for suggestions. */
const OTHER_NAMES = ['help', 'version', '--help', '--version'];

export const USAGE = `glust ${BUILD_INFO.version}: OpenTelemetry OTLP/HTTP ingestor to day-partitioned Parquet

usage: glust <command> [flags]

${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)}${c.summary}`).join('\n')}

  glust <command> --help    that command's flags, their environment names and defaults
  glust help <command>      the same
  glust --version           the version and the commit it was built from

The read commands (query, traces, trace, logs, tail, metrics, metric, services, map) read --data DIR (default
./glust-data, or GLUST_DATA); all but query read a running server instead with --server URL.
glust serve reads a YAML configuration file with --config FILE (or GLUST_CONFIG).

Exit status: 0 done; 2 bad command line or configuration (nothing started); 1 failure while
running; 70 the writer thread died.
`;

const isHelp = (arg: string) => arg === '--help' || arg === '-h';

/** The command called `name`; an unknown one is refused with the nearest name and the usage. */
function commandNamed(name: string): Command {
  if (Object.hasOwn(COMMANDS, name)) return COMMANDS[name]!;
  const what = name.startsWith('-') ? 'option' : 'command';
  throw new GlustError('GLUST_ERR_CONFIG_INVALID', `unknown ${what} '${name}'${didYouMean(name, [...Object.keys(COMMANDS), ...OTHER_NAMES])}\n\n${USAGE}`);
}

/**
 * Run the command line. A bare `glust` prints the usage on stderr and fails (exit 2): it used to
 * start a server, so a script still calling it that way stops loudly instead of doing nothing.
 */
export async function runCommandLine(argv: readonly string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined) throw new GlustError('GLUST_ERR_CONFIG_INVALID', `no command given (to run the server: glust serve)\n\n${USAGE}`);
  if (isHelp(name) || name === 'help') {
    const topic = rest.find((a) => !isHelp(a));
    if (topic === undefined || OTHER_NAMES.includes(topic)) return void process.stdout.write(USAGE);
    return void process.stdout.write(commandNamed(topic).usage());
  }
  if (name === '--version' || name === 'version' || name === '-V') return void process.stdout.write(versionLine());
  const command = commandNamed(name);
  // --help wherever it stands, as most tools do (a search for the text "--help" needs --q=--help).
  command.onClosedOutput();
  if (rest.some(isHelp)) return void process.stdout.write(command.usage());
  return command.run(rest);
}
