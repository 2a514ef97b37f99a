#!/usr/bin/env node
/**
 * glust — entry point: runs the command line (src/cli/commands.ts) and turns its errors into
 * exit codes: 2 for a bad command line, 1 for anything else.
 */
import { runCommandLine } from './cli/commands.js';
import { GlustError } from './errors.js';

runCommandLine(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof GlustError) {
    console.error(`glust: ${err.code}: ${err.message}`);
    process.exit(err.code === 'GLUST_ERR_CONFIG_INVALID' ? 2 : 1);
  }
  console.error('glust:', err);
  process.exit(1);
});
