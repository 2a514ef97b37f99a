#!/usr/bin/env node
// Writes dist/build-info.json (or the path given): the version and the git commit the build was
// made from, which `glust --version` prints. GLUST_BUILD_COMMIT overrides the commit (a CI that
// builds from an export); without it and without a git checkout (a tarball), the commit is
// "unknown" rather than a failed build. A tree with changes not committed says so ("-dirty").
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.resolve(process.argv[2] ?? path.join(root, 'dist', 'build-info.json'));
const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();

function commit() {
  if (process.env.GLUST_BUILD_COMMIT) return process.env.GLUST_BUILD_COMMIT;
  try {
    // --show-toplevel: only a checkout of this repository counts, not one that merely contains it.
    if (path.resolve(git('rev-parse', '--show-toplevel')) !== root) return 'unknown';
    const head = git('rev-parse', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? head : `${head}-dirty`;
  } catch {
    return 'unknown';
  }
}

let version = 'unknown';
try {
  version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
} catch {
  // A copy without package.json builds nothing else either; the version stays unknown.
}
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify({ version, commit: commit() }, null, 2) + '\n');
