/**
 * `glust query "SQL"`: DuckDB SQL over the views `spans`, `logs` and `metrics` of a data directory,
 * printed as a table, CSV or JSON lines. Every format shows values the same way
 * (src/query/json.ts, style rfc3339): times in RFC 3339 UTC, maps as objects, 64-bit integers
 * as exact decimal strings in JSON.
 */
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBResultReader } from '@duckdb/node-api';
import { GlustError } from '../errors.js';
import { isVanishedFile } from '../query/files.js';
import { type Json, jsonRows } from '../query/json.js';
import { createViews } from '../query/views.js';
import { requireDataDir } from './data-dir.js';

type Format = 'table' | 'csv' | 'json';

export const QUERY_USAGE = `usage: glust query "SQL" [--data DIR] [--format table|csv|json]
  run DuckDB SQL over the views spans, logs and metrics of a data directory (default ./glust-data, or
  GLUST_DATA); the Parquet files are also readable directly with read_parquet()
`;

function invalid(message: string): never {
  throw new GlustError('GLUST_ERR_CONFIG_INVALID', `${message}\n\n${QUERY_USAGE}`);
}

function parseArgs(argv: readonly string[]): { sql: string; dataDir: string; format: Format } {
  let sql: string | undefined;
  let dataDir = process.env.GLUST_DATA || './glust-data';
  let format: Format = 'table';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      if (sql !== undefined) invalid('give the SQL as one argument (quote it)');
      sql = arg;
      continue;
    }
    const [flag, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (flag !== '--data' && flag !== '--format') invalid(`unknown flag ${flag}`);
    const value = inline ?? argv[++i];
    if (value === undefined) invalid(`${flag} needs a value`);
    if (flag === '--data') dataDir = value;
    else if (value === 'table' || value === 'csv' || value === 'json') format = value;
    else invalid(`--format must be table, csv or json, not '${value}'`);
  }
  if (!sql) invalid('give the SQL to run');
  return { sql, dataDir: path.resolve(dataDir), format };
}

/** A value as one line of text: strings as they are, anything else as its JSON. */
function text(v: Json): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function csvCell(v: Json): string {
  const s = v === null ? '' : text(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function tableCell(v: Json | undefined): string {
  return v === null || v === undefined ? 'NULL' : text(v);
}

export function formatTable(columns: readonly string[], rows: readonly (readonly (Json | undefined)[])[]): string {
  const cells = rows.map((r) => r.map(tableCell));
  // A loop, not Math.max(...cells): spreading a few hundred thousand rows overflows the stack.
  const widths = columns.map((c) => c.length);
  for (const r of cells) r.forEach((cell, i) => (widths[i] = Math.max(widths[i]!, cell.length)));
  for (let i = 0; i < widths.length; i++) widths[i] = Math.min(60, widths[i]!);
  const clip = (s: string, w: number) => (s.length > w ? s.slice(0, w - 1) + '…' : s.padEnd(w));
  const line = (vals: readonly string[]) => vals.map((v, i) => clip(v.replace(/\s+/g, ' '), widths[i]!)).join(' │ ');
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─');
  return [line(columns), rule, ...cells.map(line), `(${rows.length} row${rows.length === 1 ? '' : 's'})`].join('\n') + '\n';
}

/**
 * The views expand their globs when the query runs; retention (src/storage/retention.ts) may
 * delete a file between that and the read. Such a query runs again on a fresh expansion.
 */
async function runOnFreshViews(conn: DuckDBConnection, dataDir: string, sql: string): Promise<DuckDBResultReader> {
  for (let attempt = 1; ; attempt++) {
    await createViews(conn, dataDir);
    try {
      return await conn.runAndReadAll(sql);
    } catch (err) {
      if (attempt >= 3 || !isVanishedFile(err)) throw err;
    }
  }
}

export async function query(argv: readonly string[]): Promise<void> {
  const { sql, dataDir, format } = parseArgs(argv);
  requireDataDir(dataDir);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const reader = await runOnFreshViews(conn, dataDir, sql);
    const columns = reader.columnNames();
    const rows = jsonRows<Record<string, Json>>(reader, 'rfc3339');
    if (format === 'json') {
      for (const row of rows) process.stdout.write(JSON.stringify(row) + '\n');
    } else if (format === 'csv') {
      const lines = [columns.map(csvCell).join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c]!)).join(','))];
      process.stdout.write(lines.join('\n') + '\n');
    } else {
      process.stdout.write(formatTable(columns, rows.map((r) => columns.map((c) => r[c]))));
    }
  } catch (err) {
    if (err instanceof GlustError) throw err;
    throw new GlustError('GLUST_ERR_CONFIG_INVALID', `query failed: ${(err as Error).message}`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
