#!/usr/bin/env node
// tsc compiles the UI's TypeScript to dist/browser/ui/; its HTML, CSS and icon are copied beside it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const from = path.join(root, 'src', 'ui', 'static');
const to = path.join(root, 'dist', 'browser', 'ui');
fs.mkdirSync(to, { recursive: true });
for (const name of fs.readdirSync(from)) fs.copyFileSync(path.join(from, name), path.join(to, name));
