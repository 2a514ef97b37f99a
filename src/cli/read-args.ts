/**
 * Flags of the read commands turned into the read API's query parameters, so that the CLI, the
 * HTTP API and the web UI share one set of rules (src/query/params.ts). Each command names its
 * flags and the parameter each fills; `--since 1h` becomes `start` = now − 1 h.
 */
import path from 'node:path';
import { GlustError } from '../errors.js';
import { didYouMean } from '../nearest-name.js';
import { nowNs, parseDuration } from '../query/time.js';

export interface ReadArgs {
  readonly params: URLSearchParams;
  readonly positional: readonly string[];
  readonly dataDir: string;
  /** Base URL of a running server, or null to read the data directory. */
  readonly server: string | null;
  readonly json: boolean;
}

function invalid(message: string): never {
  throw new GlustError('GLUST_ERR_CONFIG_INVALID', message);
}

/**
 * `flags`: CLI flag (without --) → API parameter. `attr` may repeat. `--help` is answered before
 * this runs (src/cli/commands.ts). An argument starting with `-` is a flag; the positional
 * arguments (a trace id) never do.
 */
export function parseReadArgs(argv: readonly string[], flags: Readonly<Record<string, string>>, usage: string): ReadArgs {
  const params = new URLSearchParams();
  const positional: string[] = [];
  let dataDir = process.env.GLUST_DATA || './glust-data';
  let server: string | null = null;
  let json = false;
  let since: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) invalid(`unknown flag ${arg}\n\n${usage}`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const known = name === 'json' || name === 'data' || name === 'server' || name === 'since' || Object.hasOwn(flags, name);
    // Named unknown before anything else: `--bogus` is a typo, not a flag missing its value.
    if (!known) invalid(`unknown flag --${name}${didYouMean(name, ['json', 'data', 'server', 'since', ...Object.keys(flags)], '--')}\n\n${usage}`);
    if (name === 'json') {
      if (eq >= 0) invalid(`--json takes no value`);
      json = true;
      continue;
    }
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) invalid(`--${name} needs a value\n\n${usage}`);
    if (name === 'data') dataDir = value;
    else if (name === 'server') server = value;
    else if (name === 'since') since = value;
    else {
      if (params.has(flags[name]!) && name !== 'attr') invalid(`--${name} given twice`);
      params.append(flags[name]!, value);
    }
  }
  if (since !== null) {
    if (params.has('start')) invalid('give --since or --start, not both');
    const ns = parseDuration(since);
    if (ns === null) invalid(`--since: '${since}' is not a duration such as 90s, 15m, 1h or 3d`);
    params.set('start', String(nowNs() - ns));
  }
  if (server !== null && !/^https?:\/\//.test(server)) server = `http://${server}`;
  return { params, positional, dataDir: path.resolve(dataDir), server, json };
}

/** Flags shared by every read command, for usage texts. */
export const SOURCE_FLAGS = '[--data DIR | --server URL] [--json]';

/** What the shared flags of the read commands mean, their environment name and default. */
export const SOURCE_HELP = `
  --data DIR      env GLUST_DATA, default ./glust-data: the data directory, read in-process
  --server URL    default none: read a running server instead (http://host:4318)
  --json          default off: JSON lines, the records as the HTTP API answers them
`;
