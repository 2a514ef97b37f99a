#!/usr/bin/env node
// A/B of two builds on the same machine in one sitting, per transport: glust from --before-root
// (a built checkout of an older commit) and from this checkout, alternated (A B, then B A), each
// at the same fixed open-loop rates over OTLP/HTTP and OTLP/gRPC. Reports acked records/s, p99,
// refused share and server CPU per span; every run's acknowledged spans are read back.
//   node bench/ab-transports.mjs --before-root /work/wt-old --rates 45000,67500 --seconds 8 --rounds 2
import fs from 'node:fs';
import path from 'node:path';
import { cpuSeconds } from './lib/proc.mjs';
import { storedRows } from './lib/readback.mjs';
import { ROOT, runJson, startGlust, tempDir } from './lib/servers.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const beforeRoot = arg('before-root');
if (!beforeRoot) throw new Error('--before-root <built checkout> is required');
const rates = arg('rates', '45000').split(',').map(Number);
const seconds = Number(arg('seconds', '8'));
const rounds = Number(arg('rounds', '2'));

const rows = [];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? [['before', beforeRoot], ['after', ROOT]] : [['after', ROOT], ['before', beforeRoot]];
  for (const [variant, root] of order) {
    for (const transport of ['http', 'grpc']) {
      for (const rate of rates) {
        const server = await startGlust(['--quiet'], tempDir('glust-ab-'), [], root);
        const gen = transport === 'grpc' ? 'grpc-loadgen.mjs' : 'loadgen.mjs';
        const port = transport === 'grpc' ? server.grpcPort : server.port;
        const cpu0 = cpuSeconds(server.pid);
        const r = await runJson(path.join(ROOT, 'bench', 'lib', gen), [JSON.stringify({ port, rate: rate / 100, durationS: seconds, warmupS: 2, connections: 64 })]);
        const cpu = cpuSeconds(server.pid) - cpu0;
        await server.stop();
        const stored = await storedRows(server.dataDir, 'spans');
        const row = {
          round, variant, transport, offered: rate,
          acked: Math.round(r.ackedRecordsPerSecond), p99ms: r.latencyMs.p99, refused: r.refusedFraction,
          cpuUsPerSpan: Math.round((cpu / r.totalAckedRecordsIncludingWarmup) * 1e7) / 10,
          readBack: stored === r.totalAckedRecordsIncludingWarmup ? 'ok' : `LOST: ${stored} of ${r.totalAckedRecordsIncludingWarmup}`,
        };
        rows.push(row);
        console.error(JSON.stringify(row));
        fs.rmSync(server.dataDir, { recursive: true, force: true });
      }
    }
  }
}
console.log(JSON.stringify({ beforeRoot, rates, seconds, rounds, rows }));
