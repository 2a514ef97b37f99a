/**
 * What the code inside the single executable uses instead of its own location on disk.
 *
 * The clone's modules find their neighbours through `import.meta.url` (worker scripts, the web
 * UI's folder, package.json) and their native addons through `createRequire`. In the executable
 * the code is bundled (scripts/binary/bundle.mjs), and the bundler rewrites each such use in a
 * module `dist/<path>` into a call here with that path: `fileUrl('dist/pipeline.js')` is the URL
 * the module would have in the cache directory, whose layout is the clone's (dist/threads/...,
 * dist/browser/...), so `new URL('./threads/decode-worker.js', ...)` lands on the worker script
 * written out there. Native addons are loaded from `<cache>/native/` with `process.dlopen`.
 *
 *   executable (blob: main bundle + assets)
 *     │ start: prepareCache (cache.ts) writes/verifies <cache>/<version>-<hash>/
 *     ▼
 *   main bundle ──new Worker──▶ <cache>/dist/threads/writer-worker.js (a bundle of its own)
 *               ──piscina────▶ <cache>/dist/piscina/worker.js ─▶ dist/threads/decode-worker.js
 *               ──dlopen─────▶ <cache>/native/*.node
 *
 * Which bundle this is comes from GLUST_BUNDLE, set by the bundler: the main bundle prepares the
 * cache directory (it is the only one that can read the executable's assets, and it runs before
 * any worker exists); a worker bundle is itself a file in that directory and finds it from its
 * own file name. This module is evaluated before any other of the bundle (the entry,
 * src/binary/main.ts, imports it first).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as sea from 'node:sea';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { SETTINGS } from '../config.js';
import { GlustError } from '../errors.js';
import { readSetting } from '../settings/setting.js';
import { type CacheBase, type Manifest, chooseCacheBase, prepareCache } from './cache.js';
import { type TryLock, holdBuild, pruneBuilds } from './claim.js';

/** 'sea-main' in the executable's main script, else this bundle's path in the cache directory. */
declare const GLUST_BUNDLE: string;
/** Addon specifiers our modules pass to require (uws.ts) → file name under native/. */
declare const GLUST_ADDON_SPECIFIERS: Readonly<Record<string, string>>;

export const MAIN_BUNDLE = 'sea-main';

/**
 * `--cache-dir DIR` (or `--cache-dir=DIR`) anywhere on the command line, taken out of `argv` so
 * that no command's own parser sees it, else GLUST_CACHE_DIR; read through the settings row.
 */
export function takeCacheSetting(argv: string[], env: NodeJS.ProcessEnv): CacheBase | null {
  const row = SETTINGS.cacheDir;
  const flag = `--${row.flag}`;
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg !== flag && !arg.startsWith(`${flag}=`)) continue;
    const inline = arg === flag ? undefined : arg.slice(flag.length + 1);
    const text = inline ?? argv[i + 1];
    if (text === undefined) throw new GlustError('GLUST_ERR_CONFIG_INVALID', `${flag} needs a value`);
    argv.splice(i, inline === undefined ? 2 : 1);
    const dir = readSetting(row, { text, source: flag });
    return dir === null ? null : { dir, source: flag };
  }
  const text = env[row.env];
  if (text === undefined) return null;
  const dir = readSetting(row, { text, source: row.env });
  return dir === null ? null : { dir, source: row.env };
}

/** Print a coded error the way src/main.ts does and stop: nothing else can run without the cache. */
function fail(err: unknown): never {
  if (err instanceof GlustError) {
    console.error(`glust: ${err.code}: ${err.message}`);
    process.exit(err.code === 'GLUST_ERR_CONFIG_INVALID' ? 2 : 1);
  }
  console.error('glust:', err);
  process.exit(1);
}

/** fs-native-extensions' addon under native/: the locks of claim.ts (and of the data directory, src/storage/owner-lock.ts). */
const LOCK_ADDON = 'fs-native-extensions.node';

/** claim.ts's lock, from the addon in `root` (loaded once: loadAddon later returns the same). */
function lockIn(root: string): TryLock {
  const binding = loadAddonFrom(root, LOCK_ADDON) as { tryLock(fd: number, offset: number, length: number, exclusive: boolean): void };
  return (fd, shared) => {
    try {
      binding.tryLock(fd, 0, 0, !shared);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return false;
      throw err;
    }
  };
}

function prepareFromExecutable(): string {
  if (!sea.isSea()) throw new Error('the single-executable main bundle must run as the glust executable');
  const manifest = JSON.parse(sea.getAsset('manifest.json', 'utf8')) as Manifest;
  const base = chooseCacheBase(takeCacheSetting(process.argv, process.env), process.env);
  // Hold this build's folder for the life of the process, then remove the folders no process
  // holds (claim.ts). A folder removed between its check and its lock is prepared again.
  for (let attempt = 1; ; attempt++) {
    const { root, written } = prepareCache(base, manifest, (name) => new Uint8Array(sea.getAsset(name)));
    if (written > 0) console.error(`glust: wrote ${written} files of this build to ${root} (once per build)`);
    const tryLock = lockIn(root);
    const held = holdBuild(root, tryLock);
    if (held === 'gone' && attempt < 3) continue;
    if (held === 'held') {
      const pruned = pruneBuilds(base.dir, manifest.id, tryLock);
      const mib = pruned.reduce((n, p) => n + p.bytes, 0) / 2 ** 20;
      const what = pruned.length === 1 ? "another build's folder" : `${pruned.length} other builds' folders`;
      if (pruned.length > 0) console.error(`glust: removed ${what} that no process uses from ${base.dir} (${pruned.map((p) => p.name).join(', ')}; ${mib.toFixed(0)} MiB)`);
    }
    return root;
  }
}

function findRoot(): string {
  if (GLUST_BUNDLE !== MAIN_BUNDLE) {
    // This bundle is <root>/<GLUST_BUNDLE>: climb back up its folders.
    const up = path.relative(path.dirname(GLUST_BUNDLE), '.');
    return path.resolve(path.dirname(__filename), up);
  }
  if (!isMainThread) throw new Error('the main bundle runs on the main thread only');
  try {
    return prepareFromExecutable();
  } catch (err) {
    return fail(err);
  }
}

/** Native addons loaded in this thread, by file name (the cache is prepared with one of them). */
const addons = new Map<string, unknown>();

const ROOT = findRoot();

/** The file:// URL that module `rel` ("dist/pipeline.js") has in the cache directory. */
export function fileUrl(rel: string): string {
  return pathToFileURL(path.join(ROOT, ...rel.split('/'))).href;
}

/** The absolute path of `rel` in the cache directory. */
export function cachePath(rel: string): string {
  return path.join(ROOT, ...rel.split('/'));
}


/**
 * The native addon `<cache>/native/<name>`. Loaded once per thread: a second dlopen of a
 * non-N-API addon (uWebSockets.js) in the same thread would register it twice.
 */
export function loadAddon(name: string): unknown {
  return loadAddonFrom(ROOT, name);
}

function loadAddonFrom(root: string, name: string): unknown {
  if (!addons.has(name)) {
    const module = { exports: {} as unknown };
    process.dlopen(module, path.join(root, 'native', name));
    addons.set(name, module.exports);
  }
  return addons.get(name);
}

/**
 * What `createRequire(import.meta.url)` gives module `rel` in the clone: a require that loads
 * the addons the build listed from native/, and anything else relative to the module's place in
 * the cache directory (where only the written-out files exist: a package the bundle left out is
 * not found, as it should not be).
 */
export function requireFrom(rel: string): (specifier: string) => unknown {
  const fallback = createRequire(cachePath(rel));
  return (specifier) => {
    const addon = GLUST_ADDON_SPECIFIERS[specifier];
    return addon === undefined ? fallback(specifier) : loadAddon(addon);
  };
}
