// Start and stop the servers under test as child processes, each on a free loopback port.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function launch(args, readyPattern, env = {}) {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within 60 s:\n${out}`)), 60_000);
    child.stdout.on('data', () => {
      const m = readyPattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          pid: child.pid,
          port: Number(m[1]),
          output: () => out,
          exited,
          async stop() {
            if (child.exitCode === null) child.kill('SIGTERM');
            const timeout = setTimeout(() => child.kill('SIGKILL'), 120_000);
            const code = await exited;
            clearTimeout(timeout);
            return code;
          },
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before it was ready:\n${out}`));
    });
  });
}

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * glust serve on a free port with its own data directory. `root`: the checkout whose dist/ runs
 * (an A/B run starts an older build beside this one); `env`: added to the server's environment.
 */
export async function startGlust(extraArgs = [], dataDir = tempDir('glust-bench-'), nodeArgs = [], root = ROOT, env = {}) {
  const server = await launch(
    [...nodeArgs, path.join(root, 'dist', 'main.js'), 'serve', '--listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0', '--data', dataDir, ...extraArgs],
    /listening on https?:\/\/127\.0\.0\.1:(\d+)/,
    env,
  );
  // OTLP/gRPC on a free port too, named on the same startup line.
  const grpcPort = Number(/OTLP\/gRPC on 127\.0\.0\.1:(\d+)/.exec(server.output())?.[1] ?? 0);
  return { ...server, grpcPort, dataDir, name: 'glust' };
}

/** The naive baseline server (bench/baseline/server.mjs). */
export async function startBaseline(dataDir = tempDir('glust-baseline-')) {
  const server = await launch([path.join(ROOT, 'bench', 'baseline', 'server.mjs'), '0', dataDir], /baseline listening on (\d+)/);
  return { ...server, dataDir, name: 'baseline' };
}

/** uWS drain-only stage server (bench/stages/uws-drain.mjs). */
export async function startDrain() {
  const server = await launch([path.join(ROOT, 'bench', 'stages', 'uws-drain.mjs')], /drain listening on (\d+)/);
  return { ...server, name: 'uws-drain' };
}

/** Run a node script to completion and parse the JSON line it prints last. */
export function runJson(script, args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${path.basename(script)} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)));
      } catch (err) {
        reject(new Error(`${path.basename(script)} printed no JSON: ${out.slice(-500)}`));
      }
    });
  });
}
