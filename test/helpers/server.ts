/**
 * Test harness: run the real built server (dist/main.js) as a child process on a free loopback
 * port with its own temporary data directory, and read its Parquet back with DuckDB.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, DuckDBListType, DuckDBMapType, DuckDBStructType, type DuckDBType } from '@duckdb/node-api';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MAIN = path.join(ROOT, 'dist', 'main.js');
/**
 * The OTLP project's own example requests (conformance fixtures), kept beside the checkout:
 * GLUST_OTLP_EXAMPLES, else ../shared/otlp-examples next to the repository, else
 * /work/shared/otlp-examples. A test that needs them fails when none exists; it does not skip.
 */
export const EXAMPLES = [
  process.env.GLUST_OTLP_EXAMPLES,
  path.resolve(ROOT, '..', 'shared', 'otlp-examples'),
  '/work/shared/otlp-examples',
].find((dir) => dir && fs.existsSync(path.join(dir, 'trace.json'))) ?? path.resolve(ROOT, '..', 'shared', 'otlp-examples');

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((f) => fs.existsSync(f));

/**
 * A command that dies with the test that started it: util-linux `setpriv --pdeathsig TERM` execs
 * it with the parent-death signal set, so a test killed by tap's timeout (SIGKILL leaves no
 * handler a chance) does not leave its servers running and holding ports and data directories.
 * Without setpriv the command runs as it is.
 */
export function tiedToTest(command: string, args: readonly string[]): [string, string[]] {
  return SETPRIV ? [SETPRIV, ['--pdeathsig', 'TERM', '--', command, ...args]] : [command, [...args]];
}

export interface Server {
  readonly url: string;
  readonly port: number;
  /** The OTLP/gRPC port, when started with `--grpc-listen` (the harness default is `off`). */
  readonly grpcPort: number | null;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Everything the server printed so far. */
  output(): string;
  /** SIGTERM and wait for exit; resolves to the exit code, or the signal's name. */
  stop(): Promise<number | string>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

const madeDirs: string[] = [];
process.on('exit', () => {
  for (const dir of madeDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh data directory, removed when the test process exits. */
export function tempDataDir(prefix = 'glust-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

/**
 * Start `glust serve` on 127.0.0.1 port 0 with extra flags; resolves once it listens. `shell`:
 * bash commands run before the server replaces the shell (e.g. `ulimit -f 256`).
 */
export async function startServer(opts: { dataDir?: string; args?: string[]; env?: NodeJS.ProcessEnv; shell?: string } = {}): Promise<Server> {
  const dataDir = opts.dataDir ?? tempDataDir();
  // gRPC is off unless a test asks for it (`--grpc-listen 127.0.0.1:0` in args, a later flag
  // wins): no test may take the default port 4317, which a developer's own server may hold.
  const argv = [MAIN, 'serve', '--listen', '127.0.0.1:0', '--grpc-listen', 'off', '--data', dataDir, ...(opts.args ?? [])];
  const [command, args] = opts.shell === undefined ? tiedToTest(process.execPath, argv) : tiedToTest('bash', ['-c', `${opts.shell}; exec "$0" "$@"`, process.execPath, ...argv]);
  const child = spawn(command, args, {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  // Killed by a signal, the exit is the signal's name: a failed `equal(await stop(), 0)` then says
  // which (SIGABRT is a native abort), and the server's last words go to this test's stderr.
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      if (code === null && signal !== 'SIGKILL') process.stderr.write(`server ${argv.join(' ')} ended by ${signal}; its output:\n${out.slice(-4000)}\n`);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  let scheme = 'http';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
    const check = () => {
      const m = /listening on (https?):\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        scheme = m[1]!;
        resolve(Number(m[2]));
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
  const grpcPort = /OTLP\/gRPC on 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    grpcPort: grpcPort === undefined ? null : Number(grpcPort),
    dataDir,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Run SQL over a data directory's Parquet files (views `spans` and `logs`), rows as JS values. */
export async function queryData(dataDir: string, sql: string): Promise<Record<string, unknown>[]> {
  const { createViews } = await import('../../dist/query/views.js');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await createViews(conn, dataDir);
    const reader = await conn.runAndReadAll(sql);
    const types = reader.columnTypes();
    const names = reader.columnNames();
    return reader.getRowObjectsJS().map((row) =>
      Object.fromEntries(names.map((n, i) => [n, plain(row[n], types[i]!)])),
    );
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** DuckDB's JS form of a MAP is a list of {key, value}; tests compare plain objects. */
function plain(value: unknown, type: DuckDBType): unknown {
  if (value === null || value === undefined) return null;
  if (type instanceof DuckDBMapType) {
    return Object.fromEntries((value as { key: string; value: unknown }[]).map((e) => [e.key, plain(e.value, type.valueType)]));
  }
  if (type instanceof DuckDBListType) return (value as unknown[]).map((v) => plain(v, type.valueType));
  if (type instanceof DuckDBStructType) {
    const v = value as Record<string, unknown>;
    return Object.fromEntries(type.entryNames.map((n, i) => [n, plain(v[n], type.entryTypes[i]!)]));
  }
  return value;
}

/** Poll until `fn` returns a truthy value (which it resolves to) or `ms` passes. */
export async function eventually<T>(fn: () => Promise<T> | T, ms = 15_000, stepMs = 100): Promise<Exclude<T, null | undefined | false | 0 | ''>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as Exclude<T, null | undefined | false | 0 | ''>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** A google.rpc.Status body in JSON, as Glust answers refusals. */
export interface StatusJson {
  code: number;
  message: string;
  details?: unknown[];
}

export interface PostResult {
  status: number;
  headers: Headers;
  body: Buffer;
}

export async function post(url: string, body: Uint8Array | string, headers: Record<string, string>): Promise<PostResult> {
  // Every body here lives in an ordinary ArrayBuffer; the DOM typing (tsconfig.browser-tests.json)
  // wants that said.
  const res = await fetch(url, { method: 'POST', body: body as Uint8Array<ArrayBuffer> | string, headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}
