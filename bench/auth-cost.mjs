#!/usr/bin/env node
// What authentication costs: `node bench/auth-cost.mjs [seconds per mode]` (after npm run build;
// about 50 s with the default 6). Not part of `npm run bench`: a focused A/B measurement.
//
// For each mode — plain HTTP, bearer token, TLS (uWS SSLApp), mutual TLS (node:tls front end
// relaying to uWS), mutual TLS + token — a fresh server takes testbed OTLP requests (100 spans,
// protobuf, ~14 KB) from a closed-loop client with keep-alive connections, then a burst of
// requests that each open a new connection (a full handshake each). Reported per mode:
// requests/s and spans/s with keep-alive, the server's CPU µs per request (all its threads, from
// /proc), and new connections per second. The client shares the machine's cores and pays for its
// own TLS too, so compare the modes with each other within one run, not with other benchmarks.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { cpuModel, cpuSeconds } from './lib/proc.mjs';
import { buildBodies, patchBody } from './lib/payloads.mjs';
import { startGlust, tempDir } from './lib/servers.mjs';

const SECONDS = Number(process.argv[2] ?? 6);
const HANDSHAKE_SECONDS = 1;
// --ack received: answers do not wait for fsync, whose latency on a shared disk would drown the
// transport's cost in noise.
const COMMON_ARGS = ['--ack', 'received'];
const CONNECTIONS = 16;
const TOKEN = 'bench-token-0123456789abcdef';

// ------------------------------------------------------------ a throwaway PKI
const pki = tempDir('glust-auth-cost-');
const ossl = (...args) => execFileSync('openssl', args, { cwd: pki, stdio: ['ignore', 'ignore', 'pipe'] });
const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
ossl('req', '-x509', ...KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=bench-ca', '-addext', 'basicConstraints=critical,CA:TRUE');
for (const [name, ext] of [['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'], ['client', 'extendedKeyUsage=clientAuth\n']]) {
  ossl('req', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  fs.writeFileSync(path.join(pki, `${name}.ext`), ext);
  ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
}
const file = (f) => path.join(pki, f);
const read = (f) => fs.readFileSync(file(f));
fs.writeFileSync(file('tokens'), `${TOKEN}\n`);
const tlsArgs = ['--tls-cert', file('server.crt'), '--tls-key', file('server.key')];
const tokenArgs = ['--auth-token-file', file('tokens')];
const mtlsArgs = [...tlsArgs, '--tls-client-ca', file('ca.crt')];
const MODES = [
  { name: 'plain HTTP', args: [], tls: null, token: false },
  { name: 'bearer token', args: tokenArgs, tls: null, token: true },
  { name: 'TLS (uWS)', args: tlsArgs, tls: { ca: read('ca.crt') }, token: false },
  { name: 'mutual TLS (node:tls front)', args: mtlsArgs, tls: { ca: read('ca.crt'), cert: read('client.crt'), key: read('client.key') }, token: false },
  { name: 'mutual TLS + token', args: [...mtlsArgs, ...tokenArgs], tls: { ca: read('ca.crt'), cert: read('client.crt'), key: read('client.key') }, token: true },
];

const bodies = buildBodies('testbed', 'traces', 64);

function send(mode, port, agent, body) {
  const lib = mode.tls ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request({
      host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', agent, ...(mode.tls ?? {}),
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.length, ...(mode.token ? { Authorization: `Bearer ${TOKEN}` } : {}) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Closed loop for `seconds`: `workers` loops, each sending its next request when answered; counts 200s. */
async function drive(mode, port, agentFor, workers, seconds) {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  let next = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (performance.now() < until) {
      const body = bodies[next++ % bodies.length];
      patchBody(body, BigInt(Date.now()) * 1_000_000n);
      const status = await send(mode, port, agentFor(), body.bytes);
      if (status === 200) done++;
      else if (status === 503) await new Promise((r) => setTimeout(r, 10)); // overloaded: back off a little
      else throw new Error(`${mode.name}: HTTP ${status}`);
    }
  }));
  return done;
}

const results = [];
for (const mode of MODES) {
  const server = await startGlust([...COMMON_ARGS, ...mode.args]);
  const Agent = mode.tls ? https.Agent : http.Agent;
  const keepAlive = new Agent({ keepAlive: true, maxSockets: CONNECTIONS, ...(mode.tls ?? {}) });
  await drive(mode, server.port, () => keepAlive, CONNECTIONS, 1); // warm-up
  const cpu0 = cpuSeconds(server.pid);
  const t0 = performance.now();
  const requests = await drive(mode, server.port, () => keepAlive, CONNECTIONS, SECONDS);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(server.pid) - cpu0;
  keepAlive.destroy();
  // New connection per request: the handshake's cost (client and server on the same cores).
  const handshakes = await drive(mode, server.port, () => false, 4, HANDSHAKE_SECONDS);
  await server.stop();
  const row = {
    mode: mode.name,
    requestsPerS: Math.round(requests / elapsed),
    spansPerS: Math.round((requests * 100) / elapsed),
    serverCpuUsPerRequest: Math.round((cpu / requests) * 1e6),
    newConnectionsPerS: Math.round(handshakes / HANDSHAKE_SECONDS),
  };
  results.push(row);
  console.error(JSON.stringify(row));
}
fs.rmSync(pki, { recursive: true, force: true });

const base = results[0];
console.log(`auth cost, ${new Date().toISOString().slice(0, 10)}, ${cpuModel()} × ${os.availableParallelism()}, Node ${process.version}, ` +
  `${CONNECTIONS} keep-alive connections, ${SECONDS} s per mode, --ack received, testbed bodies (100 spans, ~${Math.round(bodies[0].bytes.length / 1024)} KB)\n`);
console.log('| mode | requests/s | spans/s | vs plain | server CPU µs/request | new connections/s |');
console.log('|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.mode} | ${r.requestsPerS} | ${r.spansPerS} | ${Math.round((r.requestsPerS / base.requestsPerS) * 100)}% | ${r.serverCpuUsPerRequest} | ${r.newConnectionsPerS} |`);
}
