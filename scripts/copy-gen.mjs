#!/usr/bin/env node
// tsc compiles src/**/*.ts only; the generated protobuf module is JavaScript with its own
// declarations: copy both to dist/ (tests and benchmarks import the build, never src/).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
fs.mkdirSync(path.join(root, 'dist', 'gen'), { recursive: true });
for (const name of ['otlp.js', 'otlp.d.ts']) fs.copyFileSync(path.join(root, 'src', 'gen', name), path.join(root, 'dist', 'gen', name));
fs.chmodSync(path.join(root, 'dist', 'main.js'), 0o755);
