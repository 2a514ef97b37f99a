/**
 * The read commands' check of `--data DIR` before they read it: a directory that does not exist,
 * or holds nothing a Glust server writes, is said to be so. Reading it would print zero rows,
 * which looks like "no data yet" when the real cause is running the command from another
 * directory than the server's (the default is ./glust-data, relative to the working directory).
 */
import fs from 'node:fs';
import { GlustError } from '../errors.js';
import { LOCK_FILE, WAL_DIR } from '../storage/layout.js';
import { TABLES } from '../storage/schema.js';

/**
 * What a server puts in its data directory at its first start (the lock and the WAL) or later
 * (the tables' partitions). One of them is enough: a server that has received nothing yet
 * still has a data directory worth reading (its answer is rightly empty).
 */
const MARKERS: readonly string[] = [LOCK_FILE, WAL_DIR, ...Object.keys(TABLES)];

const HOW = 'give the directory the server writes with --data DIR (or GLUST_DATA), or read a running server with --server URL';

/** Throws GLUST_ERR_CLI_NO_DATA unless `dataDir` looks like a Glust data directory. */
export function requireDataDir(dataDir: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(dataDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GlustError('GLUST_ERR_CLI_NO_DATA', `data directory ${dataDir} does not exist; ${HOW}`);
    if (code === 'ENOTDIR') throw new GlustError('GLUST_ERR_CLI_NO_DATA', `${dataDir} is not a directory; ${HOW}`);
    throw new GlustError('GLUST_ERR_CLI_NO_DATA', `data directory ${dataDir} cannot be read (${(err as Error).message}); ${HOW}`);
  }
  if (!MARKERS.some((name) => entries.includes(name))) {
    throw new GlustError('GLUST_ERR_CLI_NO_DATA', `${dataDir} holds no Glust data (none of ${MARKERS.join(', ')}); ${HOW}`);
  }
}
