// esbuild plugin for the single executable: makes the compiled modules of dist/ and the native
// parts of their dependencies work from a bundle whose files live in the cache directory
// (src/binary/runtime.ts says how the two sides meet). Every rewrite is of a known, counted
// pattern: a dependency update that changes one fails the build instead of the executable.
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';

/**
 * @param {object} options
 * @param {string} options.root       the clone
 * @param {string} options.runtime    absolute path of dist/binary/runtime.js
 * @param {Map<string, string>} options.addons  filled: file name under native/ → source .node file
 * @param {ReadonlySet<string>} options.workers  the worker scripts built as bundles of their own
 */
export function binaryPlugin({ root, runtime, addons, workers }) {
  const dist = path.join(root, 'dist') + path.sep;
  const browser = path.join(root, 'dist', 'browser') + path.sep;
  const rel = (file) => path.relative(root, file).split(path.sep).join('/');
  const addAddon = (file) => {
    const name = path.basename(file);
    const known = addons.get(name);
    if (known && known !== file) throw new Error(`two native addons are both named ${name}: ${known}, ${file}`);
    addons.set(name, file);
    return name;
  };

  return {
    name: 'glust-binary',
    setup(build) {
      // Our modules: import.meta.url → the module's URL in the cache directory.
      build.onLoad({ filter: /\.js$/ }, (args) => {
        if (!args.path.startsWith(dist) || args.path.startsWith(browser) || args.path === runtime) return undefined;
        let text = fs.readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta')) return undefined;
        const me = JSON.stringify(rel(args.path));
        // A script named beside this module (a worker thread's entry) must be one of the
        // bundles written to the cache directory, or the executable would fail only when it
        // starts that thread.
        for (const [, target] of text.matchAll(/new URL\((['"][^'"]+\.js['"]), import\.meta\.url\)/g)) {
          const script = rel(path.resolve(path.dirname(args.path), JSON.parse(target.replaceAll("'", '"'))));
          if (!workers.has(script)) throw new Error(`${rel(args.path)} starts ${script}, which is not in the worker bundles of scripts/binary/build.mjs`);
        }
        // A literal require of a package or a JSON file is bundled like an import.
        text = text.replace(/createRequire\(import\.meta\.url\)\((['"][^'"]+['"])\)/g, 'require($1)');
        text = text.replace(/createRequire\(import\.meta\.url\)/g, `__glustRequireFrom(${me})`);
        text = text.replace(/import\.meta\.url/g, `__glustFileUrl(${me})`);
        if (text.includes('import.meta')) throw new Error(`${rel(args.path)}: a use of import.meta the binary build does not know`);
        const header = `import { fileUrl as __glustFileUrl, requireFrom as __glustRequireFrom } from ${JSON.stringify(runtime)};\n`;
        return { contents: header + text, loader: 'js', resolveDir: path.dirname(args.path) };
      });

      // A require that cannot be resolved here: another platform's addon (DuckDB's switch over
      // platforms, napi-rs loaders trying every name inside try/catch). It becomes a module that
      // throws "not found" when reached, as Node's require would, so nothing in the bundle asks
      // the executable's builtin-only require for a file (which warns on every start).
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.probing || args.kind !== 'require-call' || isBuiltin(args.path)) return undefined;
        const found = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { probing: true } });
        return found.errors.length ? { path: args.path, namespace: 'glust-absent' } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'glust-absent' }, (args) => ({
        contents: `throw Object.assign(new Error(${JSON.stringify(`Cannot find module '${args.path}' (not built into the glust executable)`)}), { code: 'MODULE_NOT_FOUND' });`,
        loader: 'js',
      }));

      // A native addon required by path (DuckDB's binding, napi-rs's xxhash loader): loaded from
      // <cache>/native/ at run time, written out there from the executable's assets.
      build.onLoad({ filter: /\.node$/ }, (args) => {
        const name = addAddon(args.path);
        return { contents: `module.exports = require(${JSON.stringify(runtime)}).loadAddon(${JSON.stringify(name)});`, loader: 'js', resolveDir: root };
      });

      // fs-native-extensions finds its prebuilt addon at run time by walking package.json files
      // (require-addon); the bundle names the one for this platform instead.
      build.onLoad({ filter: /[\\/]fs-native-extensions[\\/]binding\.js$/ }, (args) => {
        const prebuild = path.join(path.dirname(args.path), 'prebuilds', `${process.platform}-${process.arch}`, 'fs-native-extensions.node');
        if (!fs.existsSync(prebuild)) throw new Error(`fs-native-extensions has no prebuilt addon for ${process.platform}-${process.arch} (${prebuild})`);
        return { contents: `module.exports = require(${JSON.stringify(prebuild)});`, loader: 'js', resolveDir: root };
      });

      // piscina starts its own worker script from its own folder; in the executable that script
      // is a bundle in the cache directory.
      build.onLoad({ filter: /[\\/]piscina[\\/]dist[\\/]index\.js$/ }, (args) => {
        const text = fs.readFileSync(args.path, 'utf8');
        const pattern = "(0, node_path_1.resolve)(__dirname, 'worker.js')";
        const count = text.split(pattern).length - 1;
        if (count !== 1) throw new Error(`piscina's index.js names its worker script ${count} times, not once: update scripts/binary/plugin.mjs`);
        const replaced = text.replace(pattern, `require(${JSON.stringify(runtime)}).cachePath("dist/piscina/worker.js")`);
        return { contents: replaced, loader: 'js', resolveDir: path.dirname(args.path) };
      });
    },
  };
}
