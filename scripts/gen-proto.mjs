#!/usr/bin/env node
// Generate protobufjs static code (and its TypeScript declarations) from proto/ into src/gen/.
//
// protobufjs 8 verifies UTF-8 in proto3 strings and throws on invalid bytes, which would turn
// one bad attribute into a rejected request. OTLP receivers should keep the data, so the
// generated readers are switched to the replacing reader (invalid sequences become U+FFFD).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'src', 'gen');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const protos = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'google/rpc/status.proto',
].map((p) => path.join(root, 'proto', p));

fs.mkdirSync(out, { recursive: true });
const js = path.join(out, 'otlp.js');
execFileSync(bin('pbjs'), [
  '-t', 'static-module', '-w', 'es6', '-p', path.join(root, 'proto'),
  '--no-create', '--no-verify', '--no-convert', '--no-delimited', '--no-service',
  '-o', js, ...protos,
], { stdio: 'inherit' });
const code = fs.readFileSync(js, 'utf8');
const patched = code.replaceAll('reader.stringVerify()', 'reader.string()');
if (patched === code) throw new Error('gen-proto: expected stringVerify() calls to patch; protobufjs output changed');
fs.writeFileSync(js, patched);
execFileSync(bin('pbts'), ['-o', path.join(out, 'otlp.d.ts'), js], { stdio: 'inherit' });
