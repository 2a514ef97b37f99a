/**
 * The single executable's cache directory: the files that cannot run from inside the executable
 * (native addons, which the dynamic loader must find on disk, and the worker threads' scripts,
 * which `new Worker` and piscina load by file name) are written out once to
 * `<base>/<version>-<hash>/`, where `<hash>` is the digest of the manifest of every such file, so
 * two builds never share a directory and one build's directory is reused by every start.
 *
 * Before use, every file is checked against its SHA-256 in the manifest (about 8 MB, a few
 * milliseconds): a file that is missing, cut short by a crash or changed by someone is written
 * again. Each file is written to a name of its own (pid, thread, random) and renamed into place;
 * rename is atomic, so a process starting beside another one sees either no file or a whole one,
 * and two processes writing the same file both end with identical, complete content.
 *
 * Everything here is synchronous: it runs once, before the command line is read and before any
 * server listens, so nothing else waits on the event loop yet.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { GlustError } from '../errors.js';

/** One file written out to the cache directory, as the build recorded it. */
export interface ManifestFile {
  /** Relative to the cache directory, with `/` separators ("dist/threads/decode-worker.js"). */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  /** File mode bits (0o644, or 0o755 for native addons). */
  readonly mode: number;
}

/** What the build embeds as the asset `manifest.json`. */
export interface Manifest {
  readonly version: string;
  /** "<version>-<first 12 hex digits of the digest of the file list>": the directory name. */
  readonly id: string;
  readonly files: readonly ManifestFile[];
}

/** How the cache base directory was chosen, for the error that names it. */
export interface CacheBase {
  readonly dir: string;
  /** "--cache-dir", "GLUST_CACHE_DIR", "$XDG_CACHE_HOME/glust", "~/.cache/glust" */
  readonly source: string;
}

/**
 * The base directory: the setting when given, else `$XDG_CACHE_HOME/glust` (XDG Base
 * Directory specification: only an absolute XDG_CACHE_HOME counts), else `~/.cache/glust`.
 * `os.homedir()` falls back to the password database, so an empty environment (`env -i`) works.
 */
export function chooseCacheBase(setting: CacheBase | null, env: NodeJS.ProcessEnv): CacheBase {
  if (setting) return setting;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return { dir: path.join(xdg, 'glust'), source: '$XDG_CACHE_HOME/glust' };
  return { dir: path.join(os.homedir(), '.cache', 'glust'), source: '~/.cache/glust' };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The file at `target` is the manifest's: same size, same digest. */
function isIntact(target: string, file: ManifestFile): boolean {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(target);
  } catch {
    return false;
  }
  return bytes.length === file.size && sha256(bytes) === file.sha256;
}

/** Write `bytes` to `target` through a name of this writer's own, then rename it into place. */
function writeAtomically(target: string, bytes: Uint8Array, mode: number): void {
  const temp = `${target}.tmp-${process.pid}-${threadId}-${randomBytes(4).toString('hex')}`;
  try {
    fs.writeFileSync(temp, bytes, { mode });
    // The mode given to open is masked by the umask; the addon must stay readable by its owner.
    fs.chmodSync(temp, mode);
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
}

export interface PreparedCache {
  /** The directory the files are in. */
  readonly root: string;
  /** How many files had to be written (0 when every file was already there and intact). */
  readonly written: number;
}

/**
 * Make `<base>/<manifest.id>/` hold every manifest file intact, writing those that are missing or
 * differ from `readAsset(file.path)`. Throws GLUST_ERR_CACHE_DIR naming the directory and the
 * setting that moves it when the directory cannot be created or written, or when an embedded
 * asset does not match its own manifest (a damaged executable).
 */
export function prepareCache(base: CacheBase, manifest: Manifest, readAsset: (name: string) => Uint8Array): PreparedCache {
  const root = path.join(base.dir, manifest.id);
  let written = 0;
  try {
    for (const file of manifest.files) {
      const target = path.join(root, ...file.path.split('/'));
      if (isIntact(target, file)) continue;
      const bytes = readAsset(file.path);
      if (bytes.length !== file.size || sha256(bytes) !== file.sha256) {
        throw new GlustError('GLUST_ERR_CACHE_DIR', `the executable's embedded ${file.path} does not match its manifest: the glust file is damaged; copy it again`);
      }
      fs.mkdirSync(path.dirname(target), { recursive: true });
      writeAtomically(target, bytes, file.mode);
      written++;
    }
  } catch (err) {
    if (err instanceof GlustError) throw err;
    throw new GlustError(
      'GLUST_ERR_CACHE_DIR',
      `cache directory ${root} (from ${base.source}) is not usable: ${(err as Error).message}; ` +
        'the single executable writes its native addons and worker scripts there: ' +
        'point --cache-dir DIR (or GLUST_CACHE_DIR) at a writable directory',
      { cause: err },
    );
  }
  return { root, written };
}
