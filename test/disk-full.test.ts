/**
 * Disk full or a failing write, against live servers: a server whose files may not grow past
 * 256 KiB (`ulimit -f`, writes fail with EFBIG), and a server on a small tmpfs that is filled up
 * and freed (ENOSPC; needs root to mount). In both: ingest answers 503 with Retry-After while
 * storage fails, readiness turns false, no acknowledged record is lost or stored twice, no file is
 * left corrupt (also after kill -9 while the disk is full), and ingestion resumes by itself.
 * "Stored once" is counted in the raw Parquet files, not through the deduplicating views.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import t, { type Test } from 'tap';
import { PROTO, decodeStatus, hex, randomTraceId, spansRequest } from './helpers/otlp.js';
import { type Server, eventually, post, startServer, tempDataDir } from './helpers/server.js';
import { getJson } from './helpers/telemetry.js';
import { notStoredOnce, parquetFiles, plantDuplicate, walFiles } from './helpers/storage.js';

const SPANS_PER_REQUEST = 100;

/** One request of SPANS_PER_REQUEST spans of one new trace; `padding` makes WAL rows bigger. */
function traceRequest(padding: string): { traceId: string; body: Uint8Array } {
  const traceId = randomTraceId();
  return { traceId: hex(traceId), body: spansRequest(Array.from({ length: SPANS_PER_REQUEST }, () => ({ traceId, attributes: { padding } })), 'disk') };
}

/** Every Parquet file reads whole, every WAL segment holds only complete JSON rows, no staging file is left. */
async function assertNothingCorrupt(t: Test, dataDir: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const files = parquetFiles(dataDir);
    t.ok(files.length > 0, `${files.length} Parquet files to check`);
    const bad: string[] = [];
    for (const f of files) {
      try {
        await conn.run(`SELECT count(*) FROM read_parquet('${f.path}')`);
      } catch (err) {
        bad.push(`${f.path}: ${(err as Error).message}`);
      }
    }
    t.same(bad, [], 'every Parquet file reads');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  for (const segment of walFiles(dataDir)) {
    const text = fs.readFileSync(segment, 'utf8');
    t.ok(text === '' || text.endsWith('\n'), `${path.basename(segment)} ends with a whole row`);
    const broken = text.split('\n').slice(0, -1).filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    t.same(broken, [], `${path.basename(segment)}: every row is whole JSON`);
  }
  const staging = path.join(dataDir, '.staging');
  t.same(fs.existsSync(staging) ? fs.readdirSync(staging) : [], [], 'no staging file left');
}

/** Every acknowledged trace is stored with all its spans, once, in the raw Parquet files. */
async function assertAckedStored(t: Test, dataDir: string, acked: readonly string[]): Promise<void> {
  const wrong = await notStoredOnce(dataDir, 'spans', 'trace_id', acked, SPANS_PER_REQUEST);
  t.same(wrong, [], `all ${acked.length} acknowledged traces stored whole and once`);
}

async function assertRefusal(t: Test, res: { status: number; headers: Headers; body: Buffer }, cause: RegExp): Promise<void> {
  t.equal(res.status, 503);
  t.equal(res.headers.get('retry-after'), '1', 'Retry-After: 1');
  const status = decodeStatus(res.body);
  t.equal(status.code, 14, 'google.rpc.Code UNAVAILABLE');
  t.match(status.message, /^GLUST_ERR_WRITER_FAILED: storage failing, retry later: /);
  t.match(status.message, cause);
}

t.test('ulimit -f: a WAL write that fails (EFBIG) is refused with 503, nothing acknowledged is lost, ingest resumes by itself', async (t) => {
  const dataDir = tempDataDir();
  // No trap: the server itself handles SIGXFSZ (its default action would kill it at the limit).
  // Segments are sealed after about 3.5 s, so the failure lasts until the full one is sealed.
  const server = await startServer({ dataDir, shell: 'ulimit -f 256', args: ['--flush-ms', '4000', '--workers', '1'] });
  t.teardown(() => server.kill());
  const padding = 'x'.repeat(400); // about 56 KB of WAL rows per request
  const acked: string[] = [];
  let refused: Awaited<ReturnType<typeof post>> | null = null;
  for (let i = 0; i < 20 && !refused; i++) {
    const { traceId, body } = traceRequest(padding);
    const res = await post(`${server.url}/v1/traces`, body, PROTO);
    if (res.status === 200) acked.push(traceId);
    else refused = res;
  }
  t.ok(acked.length >= 3, `${acked.length} requests acknowledged before the segment reached 256 KiB`);
  t.ok(refused, 'then one was refused');
  await assertRefusal(t, refused!, /WAL write failed: .*(EFBIG|file too large)/i);

  const health = await getJson(`${server.url}/health`);
  t.equal(health.status, 503, 'not ready');
  t.equal(health.body.ready, false);
  t.match(health.body.reasons[0], /^storage failing: WAL write failed/);
  t.equal((await fetch(`${server.url}/health/live`)).status, 200, 'still live');
  await assertRefusal(t, await post(`${server.url}/v1/traces`, traceRequest(padding).body, PROTO), /WAL write failed/);

  // The full segment is sealed by age and converted; the next one has room: no restart needed.
  const healed = await eventually(async () => {
    const { traceId, body } = traceRequest(padding);
    return (await post(`${server.url}/v1/traces`, body, PROTO)).status === 200 ? traceId : null;
  }, 30_000, 250);
  acked.push(healed);
  t.equal((await getJson(`${server.url}/health`)).status, 200, 'ready again');
  t.match(server.output(), /glust: GLUST_ERR_WRITER_FAILED: storage failing, ingest answers 503 until it heals: WAL write failed/);
  t.match(server.output(), /glust: storage recovered, ingest resumed/);
  t.equal(await server.stop(), 0);
  await assertAckedStored(t, dataDir, acked);
  await assertNothingCorrupt(t, dataDir);
});

t.test('a crash in the middle of a conversion: the half-written staging Parquet file is dropped and the segment converted again', async (t) => {
  const dataDir = tempDataDir();
  const first = await startServer({ dataDir, args: ['--flush-ms', '3600000'] });
  t.teardown(() => first.kill());
  const acked: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { traceId, body } = traceRequest('y');
    t.equal((await post(`${first.url}/v1/traces`, body, PROTO)).status, 200);
    acked.push(traceId);
  }
  await first.kill();
  // What a crash while DuckDB wrote the segment's Parquet file leaves behind: the file's start.
  const segment = walFiles(dataDir).find((f) => f.includes(`${path.sep}spans${path.sep}`))!;
  const staging = path.join(dataDir, '.staging');
  fs.mkdirSync(staging, { recursive: true });
  fs.writeFileSync(path.join(staging, `spans-${path.basename(segment).slice(0, 20)}.parquet`), Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(3000, 7)]));

  const second = await startServer({ dataDir });
  t.teardown(() => second.kill());
  t.match(second.output(), new RegExp(`recovered ${3 * SPANS_PER_REQUEST} rows from 1 WAL segments`));
  t.equal(await second.stop(), 0);
  await assertAckedStored(t, dataDir, acked);
  await assertNothingCorrupt(t, dataDir);

  // The "stored once" check can fail: with a second copy of the file every trace counts twice.
  plantDuplicate(dataDir, 'spans');
  t.same(await notStoredOnce(dataDir, 'spans', 'trace_id', acked, SPANS_PER_REQUEST), acked.map((id) => `${id}: ${2 * SPANS_PER_REQUEST}`), 'a planted duplicate is seen');
});

/** Mount a tmpfs of `size` at a new directory; unmounted at teardown. */
function mountTmpfs(t: Test, size: string): string {
  const dir = tempDataDir('glust-tmpfs-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  t.teardown(() => execFileSync('umount', ['-l', dir]));
  return dir;
}

/** Fill the filesystem of `dir` to the last byte; returns the filler file. */
function fillUp(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let size = chunk.length; size >= 1; ) {
      try {
        fs.writeSync(fd, chunk, 0, size);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        size = Math.floor(size / 2);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

/** Senders that post continuously and keep what was acknowledged and how refusals looked. */
function startSenders(server: Server, count: number) {
  const state = { stop: false, acked: [] as string[], refusals: [] as Awaited<ReturnType<typeof post>>[], other: [] as number[] };
  const loops = Array.from({ length: count }, async () => {
    while (!state.stop) {
      const { traceId, body } = traceRequest(hex(randomTraceId()).repeat(4));
      try {
        const res = await post(`${server.url}/v1/traces`, body, PROTO);
        if (res.status === 200) state.acked.push(traceId);
        else if (res.status === 503) state.refusals.push(res);
        else state.other.push(res.status);
        if (res.status !== 200) await new Promise((r) => setTimeout(r, 50));
      } catch {
        // The server was killed: nothing acknowledged.
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
  return { state, done: () => ((state.stop = true), Promise.all(loops)) };
}

t.test('a full filesystem: 503 and not ready while full, kill -9 while full loses nothing, ingest resumes by itself when space returns', { skip: process.getuid?.() !== 0 && 'mounting a tmpfs needs root' }, async (t) => {
  const mount = mountTmpfs(t, '24m');
  const dataDir = path.join(mount, 'data');
  const acked: string[] = [];

  // Round 1: full while the server runs, then kill -9 while it is still full.
  const first = await startServer({ dataDir, args: ['--flush-ms', '300', '--max-bytes', '0'] });
  t.teardown(() => first.kill());
  const one = startSenders(first, 4);
  await eventually(() => one.state.acked.length >= 20);
  let filler = fillUp(mount);
  await eventually(async () => (await getJson(`${first.url}/health`)).status === 503, 15_000);
  const notReady = await getJson(`${first.url}/health`);
  t.match(notReady.body.reasons[0], /^storage failing: /, 'not ready: storage failing');
  const refusedBefore = one.state.refusals.length;
  await eventually(() => one.state.refusals.length >= refusedBefore + 5);
  await first.kill();
  await one.done();
  acked.push(...one.state.acked);
  t.same(one.state.other, [], 'every answer was 200 or 503');
  for (const res of one.state.refusals.slice(0, 3)) t.equal(res.headers.get('retry-after'), '1');
  t.ok(one.state.refusals.some((r) => /GLUST_ERR_WRITER_FAILED: storage failing, retry later: .*(ENOSPC|No space left)/i.test(decodeStatus(r.body).message)), 'refused as storage failing: no space');

  // Space returns; a restart recovers whatever the WAL holds.
  fs.rmSync(filler);
  const second = await startServer({ dataDir, args: ['--flush-ms', '300', '--max-bytes', '0'] });
  t.teardown(() => second.kill());
  await assertAckedStored(t, dataDir, acked);

  // Round 2: full and freed while the server runs: it heals without a restart.
  const two = startSenders(second, 4);
  await eventually(() => two.state.acked.length >= 20);
  filler = fillUp(mount);
  await eventually(async () => (await getJson(`${second.url}/health`)).status === 503, 15_000);
  const refusals = two.state.refusals.length;
  await eventually(() => two.state.refusals.length >= refusals + 5);
  const ackedWhileFull = two.state.acked.length;
  fs.rmSync(filler);
  await eventually(async () => (await getJson(`${second.url}/health`)).status === 200, 30_000);
  await eventually(() => two.state.acked.length >= ackedWhileFull + 20, 30_000);
  await two.done();
  acked.push(...two.state.acked);
  t.same(two.state.other, [], 'every answer was 200 or 503');
  t.equal(await second.stop(), 0, 'clean stop after healing');
  await assertAckedStored(t, dataDir, acked);
  await assertNothingCorrupt(t, dataDir);
});
