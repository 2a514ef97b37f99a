/**
 * `glust query "SQL"`: DuckDB SQL over the views `spans` and `logs` of a data directory,
 * printed as a table, CSV or JSON lines.
 */
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBResultReader } from '@duckdb/node-api';
import { GlustError } from '../errors.js';
import { isVanishedFile } from '../query/files.js';
import { createViews } from '../query/views.js';

type Format = 'table' | 'csv' | 'json';

function parseArgs(argv: readonly string[]): { sql: string; dataDir: string; format: Format } {
  let sql: string | undefined;
  let dataDir = process.env.GLUST_DATA ?? './glust-data';
  let format: Format = 'table';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new GlustError('GLUST_ERR_CONFIG_INVALID', `${flag} needs a value`);
      return v;
    };
    if (flag === '--data') dataDir = value();
    else if (flag === '--format') {
      const f = value();
      if (f !== 'table' && f !== 'csv' && f !== 'json') throw new GlustError('GLUST_ERR_CONFIG_INVALID', `--format must be table, csv or json, not '${f}'`);
      format = f;
    } else if (flag!.startsWith('--')) throw new GlustError('GLUST_ERR_CONFIG_INVALID', `unknown flag ${flag}`);
    else if (sql === undefined) sql = arg;
    else throw new GlustError('GLUST_ERR_CONFIG_INVALID', 'give the SQL as one argument (quote it)');
  }
  if (!sql) throw new GlustError('GLUST_ERR_CONFIG_INVALID', 'usage: glust query "SQL" [--data DIR] [--format table|csv|json]');
  return { sql, dataDir: path.resolve(dataDir), format };
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function tableCell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function formatTable(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((r) => r.map(tableCell));
  const widths = columns.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((r) => r[i]!.length))));
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
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const reader = await runOnFreshViews(conn, dataDir, sql);
    const columns = reader.columnNames();
    const rows = reader.getRowsJson() as unknown[][];
    if (format === 'json') {
      for (const row of rows) process.stdout.write(JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, row[i]]))) + '\n');
    } else if (format === 'csv') {
      process.stdout.write([columns.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n');
    } else {
      process.stdout.write(formatTable(columns, rows));
    }
  } catch (err) {
    if (err instanceof GlustError) throw err;
    throw new GlustError('GLUST_ERR_CONFIG_INVALID', `query failed: ${(err as Error).message}`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
