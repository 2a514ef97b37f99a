#!/usr/bin/env node
// tsc compiles the UI's TypeScript to dist/browser/ui/; its HTML, CSS and icon are copied beside it,
// and the libraries the UI imports into ui/vendor/: uPlot's ES module and stylesheet (charts), and
// dagre's self-contained ES module (the service map's graph layout).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const from = path.join(root, 'src', 'ui', 'static');
const to = path.join(root, 'dist', 'browser', 'ui');
fs.mkdirSync(to, { recursive: true });
for (const name of fs.readdirSync(from)) fs.copyFileSync(path.join(from, name), path.join(to, name));

const vendor = path.join(to, 'vendor');
fs.mkdirSync(vendor, { recursive: true });
const uplot = path.join(root, 'node_modules', 'uplot', 'dist');
fs.copyFileSync(path.join(uplot, 'uPlot.esm.js'), path.join(vendor, 'uplot.js'));
fs.copyFileSync(path.join(uplot, 'uPlot.min.css'), path.join(vendor, 'uplot.css'));
fs.copyFileSync(path.join(root, 'node_modules', '@dagrejs', 'dagre', 'dist', 'dagre.esm.js'), path.join(vendor, 'dagre.js'));
