#!/usr/bin/env node
// tsc compiles src/**/*.ts only; the generated protobuf module is JavaScript: copy it to dist/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
fs.mkdirSync(path.join(root, 'dist', 'gen'), { recursive: true });
fs.copyFileSync(path.join(root, 'src', 'gen', 'otlp.js'), path.join(root, 'dist', 'gen', 'otlp.js'));
fs.chmodSync(path.join(root, 'dist', 'main.js'), 0o755);
