#!/usr/bin/env node
// Generate protobufjs static code (and its TypeScript declarations) from proto/ into src/gen/.
//
// Two patches to the generated decoders, each checked so a protobufjs upgrade cannot skip one:
// - protobufjs 8 verifies UTF-8 in proto3 strings and throws on invalid bytes, which would turn
//   one bad attribute into a rejected request. OTLP receivers should keep the data, so the
//   readers use the replacing reader (invalid sequences become U+FFFD).
// - decoding an AnyValue sets the oneof's virtual `value` property, whose setter `delete`s the
//   six other members from the object: about 8% of decode time for spans with attributes, and
//   it leaves every AnyValue in slow dictionary mode. Glust never reads `value` (it tests the
//   members themselves), so the assignment is dropped.
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
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'google/rpc/status.proto',
  'google/rpc/error_details.proto',
].map((p) => path.join(root, 'proto', p));

fs.mkdirSync(out, { recursive: true });
const js = path.join(out, 'otlp.js');
execFileSync(bin('pbjs'), [
  '-t', 'static-module', '-w', 'es6', '-p', path.join(root, 'proto'),
  '--no-create', '--no-verify', '--no-convert', '--no-delimited', '--no-service',
  '-o', js, ...protos,
], { stdio: 'inherit' });
let code = fs.readFileSync(js, 'utf8');
function patch(pattern, replacement, what) {
  const next = code.replace(pattern, replacement);
  if (next === code) throw new Error(`gen-proto: nothing to patch for ${what}; protobufjs output changed`);
  code = next;
}
patch(/reader\.stringVerify\(\)/g, 'reader.string()', 'UTF-8 replacement');
patch(/\n\s*message\.value = "(stringValue|boolValue|intValue|doubleValue|arrayValue|kvlistValue|bytesValue)";/g, '', 'AnyValue oneof setter');
fs.writeFileSync(js, code);
execFileSync(bin('pbts'), ['-o', path.join(out, 'otlp.d.ts'), js], { stdio: 'inherit' });
