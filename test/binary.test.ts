/**
 * The single executable (dist/glust, `npm run build:binary`, which `npm test` runs first) copied
 * alone into an empty directory and started with an empty environment: no PATH (so no node), no
 * node_modules above the directory, nothing but the one file. The official OpenTelemetry
 * exporters send to it; its web UI, API and read commands answer; SIGTERM flushes; the Parquet it
 * wrote is read back raw. Then its cache directory: written once, checked by hash and repaired,
 * safe under concurrent first starts, and an unusable one refused with a coded error.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import t from 'tap';
import { ROOT, eventually, tempDataDir, tiedToTest } from './helpers/server.js';
import { notStoredOnce } from './helpers/storage.js';
import { sendCheckout } from './helpers/telemetry.js';

const BUILT = path.join(ROOT, 'dist', 'glust');
const MANIFEST = path.join(ROOT, 'dist', 'sea', 'manifest.json');

interface ManifestFile {
  path: string;
  sha256: string;
  size: number;
}
interface Manifest {
  version: string;
  id: string;
  files: ManifestFile[];
}

if (!fs.existsSync(BUILT) || !fs.existsSync(MANIFEST)) {
  t.fail('dist/glust is missing: run `npm run build:binary` (npm test does) before this test');
  t.end();
  process.exit();
}
const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Manifest;

// An empty directory with nothing but the executable, and no node_modules anywhere above it.
const dir = tempDataDir('glust-binary-');
const glust = path.join(dir, 'glust');
fs.copyFileSync(BUILT, glust);
fs.chmodSync(glust, 0o755);
for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
  if (fs.existsSync(path.join(d, 'node_modules'))) throw new Error(`${d}/node_modules exists: the test directory must have none above it`);
}
t.same(fs.readdirSync(dir), ['glust'], 'the directory holds the executable alone');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the copied executable in `dir` with exactly `env` (empty unless given). */
function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(glust, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function digest(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Files of the manifest that `root` does not hold intact, and any temporary file left there. */
function damaged(root: string): string[] {
  const bad = manifest.files.filter((f) => !fs.existsSync(path.join(root, f.path)) || digest(path.join(root, f.path)) !== f.sha256).map((f) => f.path);
  const leftovers = fs.existsSync(root) ? (fs.readdirSync(root, { recursive: true }) as string[]).filter((n) => n.includes('.tmp-')) : [];
  return [...bad, ...leftovers];
}

/** Whether no process holds `<root>/.in-use` (this process can take its exclusive lock, and lets go at once). */
function markerFree(root: string): boolean {
  const locks = createRequire(import.meta.url)('fs-native-extensions') as { tryLock(fd: number): boolean };
  const fd = fs.openSync(path.join(root, '.in-use'), 'r+');
  try {
    return locks.tryLock(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const cache = path.join(dir, 'cache');
const cacheRoot = path.join(cache, manifest.id);

t.test('serve, ingest with the official exporters, UI, read commands, SIGTERM flush', async (t) => {
  const child: ChildProcess = spawn(...tiedToTest(glust, ['serve', '--listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0', '--data', './data', '--flush-ms', '300', '--cache-dir', cache]), {
    cwd: dir,
    env: {},
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const url = await eventually(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], 30_000);
  t.match(out, /OTLP\/gRPC on 127\.0\.0\.1:\d+ \(plaintext\)/, 'the gRPC acceptor listens too');
  t.match(out, /\(uWebSockets\.js native\)/, 'the startup line says the native uWS acceptor runs');
  t.match(out, `wrote ${manifest.files.length} files of this build to ${cacheRoot}`, 'the first start wrote the cache directory');
  t.same(damaged(cacheRoot), [], 'every written-out file matches the manifest');
  t.notOk(markerFree(cacheRoot), 'the running server holds its build folder (src/binary/claim.ts): no other start may remove it');

  const sent = await sendCheckout(url, 'binary-shop');

  const page = await fetch(`${url}/`);
  t.equal(page.status, 200, 'the web UI page is served');
  t.match(await page.text(), /<script[^>]+src="\/ui\/app\.js"/, 'the page loads the UI script');
  for (const asset of ['/ui/app.js', '/view/trace-tree.js']) {
    const res = await fetch(`${url}${asset}`);
    t.equal(res.status, 200, `${asset} is served`);
    t.ok((await res.text()).length > 100, `${asset} has content`);
  }

  // The read commands against the running server (its API), from the executable too.
  const listed = await eventually(async () => {
    const r = await run(['traces', '--server', url, '--service', 'binary-shop', '--json']);
    return r.code === 0 && r.stdout.includes(sent.traceId) ? r : null;
  });
  t.ok(listed, 'glust traces --server lists the trace');
  const waterfall = await run(['trace', sent.traceId, '--server', url]);
  t.equal(waterfall.code, 0, waterfall.stderr);
  for (const name of Object.keys(sent.ids)) t.match(waterfall.stdout, name, `the waterfall shows ${name}`);
  const logs = await run(['logs', '--server', url, '--q', 'timeout']);
  t.equal(logs.code, 0, logs.stderr);
  t.match(logs.stdout, 'Payment TIMEOUT for order 42', 'glust logs --server finds the log record');

  // The live tail from the executable: started first, it prints a record sent after it.
  const tail = spawn(glust, ['tail', '--server', url, '--signal', 'logs', '--service', 'tail-shop'], { cwd: dir, env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
  let tailed = '';
  tail.stdout.on('data', (d) => (tailed += d));
  tail.stderr.on('data', (d) => (tailed += d));
  const tailExit = new Promise((resolve) => tail.on('exit', resolve));
  await eventually(async () => {
    await sendCheckout(url, 'tail-shop');
    return tailed.includes('checkout started');
  }, 20_000, 500);
  tail.kill('SIGINT');
  await tailExit;
  t.match(tailed, 'checkout started', 'glust tail --server printed a record acknowledged after it started');

  child.kill('SIGTERM');
  t.equal(await exited, 0, `SIGTERM stops it cleanly:\n${out}`);
  t.match(out, 'stopped cleanly');
  t.ok(markerFree(cacheRoot), 'once it has exited, nothing holds the folder');

  // Read back raw: every span of the trace is in the Parquet files exactly once.
  t.same(await notStoredOnce(path.join(dir, 'data'), 'spans', 'span_id', Object.values(sent.ids)), [], 'each span is stored once in Parquet');
  const counted = await run(['query', '--data', './data', '--cache-dir', cache, '--format', 'json', `SELECT count(*)::INT AS n FROM spans WHERE trace_id = '${sent.traceId}'`]);
  t.equal(counted.code, 0, counted.stderr);
  t.match(counted.stdout, /"n":\s*5/, 'glust query over the data directory counts the 5 spans');
  t.notMatch(counted.stderr, 'wrote', 'a second start writes nothing: the cache is reused');
  const offline = await run(['trace', sent.traceId, '--data', './data', '--cache-dir', cache]);
  t.equal(offline.code, 0, offline.stderr);
  t.match(offline.stdout, 'card-network call', 'glust trace --data reads the files');
  const offlineLogs = await run(['logs', '--data', './data', '--cache-dir', cache, '--since', '1d']);
  t.equal(offlineLogs.code, 0, offlineLogs.stderr);
  t.match(offlineLogs.stdout, 'discount 100%', 'glust logs --data reads the files');
});

t.test("--version says what the clone's build says (the build info is carried inside)", async (t) => {
  const fromClone = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'main.js'), '--version'], { encoding: 'utf8' });
  const fromBinary = await run(['--version', '--cache-dir', cache]);
  t.equal(fromBinary.code, 0, fromBinary.stderr);
  t.equal(fromBinary.stdout, fromClone.stdout);
  t.match(fromBinary.stdout, manifest.version);
});

t.test('a damaged cache file is found by its hash and written again', async (t) => {
  const native = manifest.files.filter((f) => f.path.startsWith('native/'));
  t.ok(native.length >= 5, `native addons and libraries are in the manifest: ${native.map((f) => f.path).join(', ')}`);
  const victim = path.join(cacheRoot, 'native', 'duckdb.node');
  const size = fs.statSync(victim).size;
  fs.writeFileSync(victim, Buffer.alloc(size, 0x41)); // same size, wrong content
  fs.rmSync(path.join(cacheRoot, 'dist', 'threads', 'writer-worker.js'));
  const r = await run(['query', '--data', './data', '--cache-dir', cache, 'SELECT 42 AS answer']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, '42');
  t.match(r.stderr, `wrote 2 files of this build to ${cacheRoot}`, 'exactly the two bad files were written again');
  t.same(damaged(cacheRoot), [], 'the cache is intact again');
});

t.test("a start removes other builds' folders that no process holds, and keeps the rest", async (t) => {
  const fake = (name: string, marker: boolean) => {
    fs.mkdirSync(path.join(cache, name, 'native'), { recursive: true });
    fs.writeFileSync(path.join(cache, name, 'native', 'lib.so'), Buffer.alloc(2 << 20, 1));
    if (marker) fs.writeFileSync(path.join(cache, name, '.in-use'), '');
  };
  fake('0.0.1-aaaaaaaaaaaa', true); // an older build, stopped
  fake('0.0.2-bbbbbbbbbbbb', false); // a build from before the marker, or one still writing its files
  const r = await run(['--version', '--cache-dir', cache]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, `glust: removed another build's folder that no process uses from ${cache} (0.0.1-aaaaaaaaaaaa; 2 MiB)`);
  t.same(fs.readdirSync(cache).sort(), ['0.0.2-bbbbbbbbbbbb', manifest.id].sort(), 'the unmarked folder and this build stay');
  t.same(damaged(cacheRoot), [], "this build's files are untouched");
  const again = await run(['--version', '--cache-dir', cache]);
  t.equal(again.stderr, '', 'nothing more to remove: the next start says nothing');
  fs.rmSync(path.join(cache, '0.0.2-bbbbbbbbbbbb'), { recursive: true });
});

t.test('concurrent first starts on an empty cache all succeed and leave it intact', async (t) => {
  const fresh = path.join(dir, 'fresh-cache');
  const runs = await Promise.all(Array.from({ length: 4 }, () => run(['--version'], { GLUST_CACHE_DIR: fresh })));
  for (const r of runs) {
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, manifest.version);
  }
  t.same(damaged(path.join(fresh, manifest.id)), [], 'every file intact, no temporary file left');
  fs.rmSync(fresh, { recursive: true, force: true });
});

t.test('XDG_CACHE_HOME chooses the cache base when no setting does', async (t) => {
  const xdg = path.join(dir, 'xdg');
  const r = await run(['--version'], { XDG_CACHE_HOME: xdg });
  t.equal(r.code, 0, r.stderr);
  t.same(damaged(path.join(xdg, 'glust', manifest.id)), [], `written to $XDG_CACHE_HOME/glust/${manifest.id}/`);
  fs.rmSync(xdg, { recursive: true, force: true });
});

t.test('an unusable cache directory is refused with a coded error naming it and the setting', async (t) => {
  const file = path.join(dir, 'not-a-dir');
  fs.writeFileSync(file, 'x');
  const target = path.join(file, 'cache');
  for (const [args, env, source] of [
    [['--cache-dir', target, 'query', 'SELECT 1'], {}, '--cache-dir'],
    [['query', 'SELECT 1'], { GLUST_CACHE_DIR: target }, 'GLUST_CACHE_DIR'],
  ] as const) {
    const r = await run([...args], env);
    t.equal(r.code, 1, `exit code 1 (${source})`);
    t.match(r.stderr, `glust: GLUST_ERR_CACHE_DIR: cache directory ${path.join(target, manifest.id)} (from ${source}) is not usable`);
    t.match(r.stderr, 'ENOTDIR');
    t.match(r.stderr, '--cache-dir DIR (or GLUST_CACHE_DIR)', 'it names the setting that moves it');
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const bad = await run(['--cache-dir'], {});
  t.equal(bad.code, 2, 'a --cache-dir without a value is a usage error');
  t.match(bad.stderr, 'GLUST_ERR_CONFIG_INVALID: --cache-dir needs a value');
});
