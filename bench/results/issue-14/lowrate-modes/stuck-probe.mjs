#!/usr/bin/env node
// Issue 14, the two CPU "modes" at 10,000 spans/s: does every request the load generator sends get
// an answer? Runs glust and bench/lib/loadgen.mjs at 100 requests/s on 8 connections for 23 s,
// `runs` times, and prints per run what the generator sent and what stayed in flight after its
// 15 s drain; when something did, the server's own request and ring counters from /metrics.
//   node bench/results/issue-14/lowrate-modes/stuck-probe.mjs '{"runs":6}'
// ("loadgen": another generator script under the checkout, e.g. the one before the reconnect fix)
import path from 'node:path';
import { ROOT, runJson, startGlust } from '../../../lib/servers.mjs';

const opts = { runs: 6, loadgen: 'bench/lib/loadgen.mjs', ...JSON.parse(process.argv[2] ?? '{}') };
const SERIES = /^glust_(requests_in_flight|requests_total|ring_used_bytes|decode_queue_depth|writer_lag_records|records_received_total|wal_fsyncs_total)/;
for (let i = 0; i < opts.runs; i++) {
  const server = await startGlust([]);
  const t0 = performance.now();
  const load = await runJson(path.join(ROOT, opts.loadgen), [JSON.stringify({ port: server.port, rate: 100, warmupS: 3, durationS: 20, connections: 8, shape: 'testbed', signal: 'traces' })]);
  const out = { wallS: +((performance.now() - t0) / 1000).toFixed(1), sent: load.sent, answered: load.answered, stillInFlight: load.stillInFlight, connectionErrors: load.connectionErrors, reconnects: load.client?.reconnects };
  if (load.stillInFlight > 0) {
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    out.server = text.split('\n').filter((l) => SERIES.test(l));
  }
  console.log(JSON.stringify(out));
  await server.stop();
}
