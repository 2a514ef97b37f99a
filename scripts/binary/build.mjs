#!/usr/bin/env node
// `npm run build:binary`: dist/glust, one executable for this machine's platform (Node's single
// executable applications), after `npm run build`.
//
// 1. esbuild bundles the compiled modules of dist/ into CommonJS: the executable's main script
//    (a single CommonJS script is what Node's SEA runs) and one file per worker thread (the
//    writer, the query thread, piscina's own worker and our decoder), since a thread is started
//    from a file on disk. esbuild is used because it bundles ESM into CommonJS in one step,
//    resolves packages as Node does, lets a plugin rewrite the few location-dependent spots
//    (scripts/binary/plugin.mjs) and is maintained and fast (about a second here).
// 2. Those worker bundles, the native addons, the web UI files and a package.json become SEA
//    assets, listed with their SHA-256 in manifest.json; src/binary/cache.ts writes them out to
//    the cache directory and checks them at start.
// 3. `node --experimental-sea-config` makes the blob, postject puts it into a copy of the node
//    executable that runs this script (so the embedded runtime is the one the addons were
//    chosen for), and the result is run once (`glust --version`) as a smoke test.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { binaryPlugin } from './plugin.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'package.json'));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const work = path.join(root, 'dist', 'sea');
const files = path.join(work, 'files');
const output = path.join(root, 'dist', 'glust');
const runtime = path.join(root, 'dist', 'binary', 'runtime.js');
if (!fs.existsSync(runtime)) throw new Error('dist/binary/runtime.js is missing: run `npm run build` first');
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(files, { recursive: true });

// The uWebSockets.js binary src/acceptor/uws.ts asks for, for the Node that will be embedded.
const uwsSpecifier = `@trufflesuite/uws-js-unofficial/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
const addons = new Map([[path.basename(uwsSpecifier), require.resolve(uwsSpecifier)]]);

// A worker bundle is an ES module (the writer thread awaits at its top level, which CommonJS
// cannot); the CommonJS packages inside it need a require, __filename and __dirname of their own.
const ESM_BANNER = [
  "import { createRequire as __glustCreateRequire } from 'node:module';",
  "import { fileURLToPath as __glustFileURLToPath } from 'node:url';",
  'const require = __glustCreateRequire(import.meta.url);',
  'const __filename = __glustFileURLToPath(import.meta.url);',
  "const __dirname = __glustFileURLToPath(new URL('.', import.meta.url));",
].join('\n');

/**
 * Bundle `entry` to `out`; `bundleName` is the path the bundle has in the cache directory, or
 * 'sea-main' for the executable's main script, which SEA runs as one CommonJS script.
 */
async function bundle(entry, out, bundleName) {
  const main = bundleName === 'sea-main';
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: main ? 'cjs' : 'esm',
    banner: main ? {} : { js: ESM_BANNER },
    target: `node${process.versions.node.split('.')[0]}`,
    define: {
      GLUST_BUNDLE: JSON.stringify(bundleName),
      GLUST_ADDON_SPECIFIERS: JSON.stringify({ [uwsSpecifier]: path.basename(uwsSpecifier) }),
    },
    // Only piscina's worker asks for it, behind a catch, when a niceIncrement is set (never here).
    external: ['@napi-rs/nice'],
    alias: bundleName === 'dist/threads/decode-worker.js' ? { piscina: path.join(root, 'scripts/binary/piscina-task-side.mjs') } : {},
    plugins: [binaryPlugin({ root, runtime, addons, workers: new Set(bundles.map(([name]) => name)) })],
    logLevel: 'warning',
    logOverride: {
      // Left as written on purpose: other platforms' optional packages inside try/catch (napi-rs
      // loaders, DuckDB's switch), and piscina's require of the task file by name.
      'require-resolve-not-external': 'silent',
    },
    legalComments: 'none',
    metafile: true,
  });
  if (result.errors.length) throw new Error(`esbuild failed for ${entry}`);
  return result;
}

const bundles = [
  ['dist/threads/decode-worker.js', path.join(root, 'dist/threads/decode-worker.js')],
  ['dist/threads/writer-worker.js', path.join(root, 'dist/threads/writer-worker.js')],
  ['dist/query/worker.js', path.join(root, 'dist/query/worker.js')],
  // piscina's exports map hides its worker script; it sits beside the package's main file.
  ['dist/piscina/worker.js', path.join(path.dirname(require.resolve('piscina')), 'worker.js')],
];
const started = Date.now();
await bundle(path.join(root, 'dist/binary/main.js'), path.join(work, 'main.cjs'), 'sea-main');
for (const [name, entry] of bundles) await bundle(entry, path.join(files, ...name.split('/')), name);

// Assets: cache path → file on disk. The worker bundles are .js files under a package.json of
// type module, so they load as ES modules wherever the cache directory is.
const assets = new Map(bundles.map(([name]) => [name, path.join(files, ...name.split('/'))]));
fs.writeFileSync(path.join(files, 'package.json'), JSON.stringify({ name: 'glust-cache', version: pkg.version, type: 'module', private: true }) + '\n');
assets.set('package.json', path.join(files, 'package.json'));
for (const [name, file] of addons) assets.set(`native/${name}`, file);
// Shared libraries beside an addon, which it finds through its $ORIGIN run path (DuckDB's
// binding is a thin duckdb.node over a 70 MB libduckdb.so), go beside it in native/ too.
for (const file of new Set(addons.values())) {
  for (const lib of fs.readdirSync(path.dirname(file)).filter((n) => /\.so(\.\d+)*$|\.dylib$|\.dll$/.test(n))) {
    if (assets.has(`native/${lib}`)) throw new Error(`two shared libraries are both named ${lib}`);
    assets.set(`native/${lib}`, path.join(path.dirname(file), lib));
  }
}
const browser = path.join(root, 'dist', 'browser');
for (const entry of fs.readdirSync(browser, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const file = path.join(entry.parentPath, entry.name);
  assets.set(path.relative(root, file).split(path.sep).join('/'), file);
}
// A build-info file beside the compiled code (the commit `glust --version` prints) goes along.
for (const name of fs.readdirSync(path.join(root, 'dist'))) {
  if (name.endsWith('.json')) assets.set(`dist/${name}`, path.join(root, 'dist', name));
}

const manifestFiles = [...assets].sort(([a], [b]) => a.localeCompare(b)).map(([name, file]) => {
  const bytes = fs.readFileSync(file);
  return { path: name, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, mode: name.startsWith('native/') ? 0o755 : 0o644 };
});
const digest = createHash('sha256').update(JSON.stringify(manifestFiles)).digest('hex').slice(0, 12);
const manifest = { version: pkg.version, id: `${pkg.version}-${digest}`, files: manifestFiles };
fs.writeFileSync(path.join(work, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');

const seaConfig = {
  main: path.join(work, 'main.cjs'),
  output: path.join(work, 'sea.blob'),
  disableExperimentalSEAWarning: true,
  // V8's compiled code for the main script, made now: the start skips parsing about 2 MB of JS.
  useCodeCache: true,
  assets: Object.fromEntries([['manifest.json', path.join(work, 'manifest.json')], ...assets]),
};
fs.writeFileSync(path.join(work, 'sea-config.json'), JSON.stringify(seaConfig, null, 1) + '\n');
execFileSync(process.execPath, ['--experimental-sea-config', path.join(work, 'sea-config.json')], { stdio: ['ignore', 'ignore', 'inherit'] });

fs.rmSync(output, { force: true });
fs.copyFileSync(process.execPath, output);
fs.chmodSync(output, 0o755);
// The fuse is the sentinel string Node's own SEA support looks for (documented with SEA).
// postject's ELF library warns about note sections it does not know on every run; its output
// is shown only if it fails.
try {
  execFileSync(process.execPath, [require.resolve('postject/dist/cli.js'), output, 'NODE_SEA_BLOB', seaConfig.output, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { stdio: 'pipe' });
} catch (err) {
  process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
  throw err;
}

const version = execFileSync(output, ['--version'], { env: { ...process.env, GLUST_CACHE_DIR: path.join(work, 'cache') }, encoding: 'utf8' }).trim();
fs.rmSync(path.join(work, 'cache'), { recursive: true, force: true });
const size = fs.statSync(output).size;
console.log(`dist/glust: ${(size / 2 ** 20).toFixed(1)} MiB, ${manifest.files.length} files written out at start (${manifest.id}), says "${version}", built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
