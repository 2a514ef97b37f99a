/**
 * The command line explains itself: help in every form lists every flag of serve with its
 * environment name and default; a mistyped command, flag or key gets the nearest one; --version
 * names the commit the build came from (and "unknown" from a copy without git); exit codes are
 * 0 / 2 / 1 as the README says. (The live status line of serve: test/status-line.test.ts.)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { CONFIG_ENV, SETTING_ROWS } from '../dist/config.js';
import { defaultText } from '../dist/settings/setting.js';
import { editDistance, nearestName } from '../dist/nearest-name.js';
import { MAIN, ROOT, startServer, tempDataDir } from './helpers/server.js';

function glust(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
}

t.test('help lists every flag of serve with its environment name and default, in each form', async (t) => {
  const forms = [['serve', '--help'], ['help', 'serve'], ['serve', '-h'], ['serve', '--flush-ms', '5', '--help']];
  const texts = forms.map((f) => glust(f));
  for (const [i, r] of texts.entries()) {
    t.equal(r.status, 0, `glust ${forms[i]!.join(' ')}`);
    t.equal(r.stdout, texts[0]!.stdout, `glust ${forms[i]!.join(' ')} prints the same`);
  }
  const help = texts[0]!.stdout;
  for (const s of SETTING_ROWS) {
    // A default as written, `none`, or what it depends on and its value on this machine.
    const shown = typeof s.default === 'string' ? (s.default === '' ? 'none' : s.default) : `${s.default.describe} (${defaultText(s, os.availableParallelism())} here)`;
    t.match(help, new RegExp(`^  --${s.flag} .* env ${s.env}, default ${shown.replace(/[()]/g, '\\$&')}$`, 'm'), `--${s.flag}: env and default`);
  }
  t.match(help, new RegExp(`^  --config FILE +env ${CONFIG_ENV}, default none$`, 'm'), '--config and its environment name');
  const top = glust(['--help']);
  t.equal(top.status, 0);
  for (const command of ['serve', 'query', 'traces', 'trace', 'logs', 'tail', 'config']) t.match(top.stdout, new RegExp(`^  ${command} +\\S`, 'm'), `the overview lists ${command}`);
  t.match(top.stdout, /Exit status: 0 done; 2 bad command line or configuration/, 'the overview states the exit codes');
  for (const command of ['traces', 'trace', 'logs', 'tail', 'query']) {
    t.match(glust(['help', command]).stdout, /--data DIR +env GLUST_DATA, default \.\/glust-data/, `${command}: --data with its environment name and default`);
  }
  t.match(glust(['config', '--help']).stdout, /^usage: glust config check FILE/);
});

t.test('typos get the nearest name', async (t) => {
  t.equal(editDistance('flsuh', 'flush'), 1, 'a swap is one edit');
  t.equal(nearestName('flush_ms', ['flush-ms', 'max-links']), 'flush-ms', '_ is -');
  t.equal(nearestName('max-body', ['max-body-bytes', 'max-body-length']), 'max-body-bytes', 'a prefix');
  t.equal(nearestName('colour', ['listen', 'data']), null, 'nothing near');
  const cases: Array<[string[], RegExp]> = [
    [['serv'], /unknown command 'serv' \(did you mean serve\?\)/],
    [['trcaes'], /unknown command 'trcaes' \(did you mean traces\?\)/],
    [['--verison'], /unknown option '--verison' \(did you mean --version\?\)/],
    [['help', 'qurey'], /unknown command 'qurey' \(did you mean query\?\)/],
    [['serve', '--flsuh-ms', '1s'], /unknown flag --flsuh-ms \(did you mean --flush-ms\?\)/],
    [['serve', '--retention-day', '3'], /unknown flag --retention-day \(did you mean --retention-days\?\)/],
    [['serve', '--conifg', 'x.yaml'], /unknown flag --conifg \(did you mean --config\?\)/],
    [['logs', '--servce', 'x'], /unknown flag --servce \(did you mean --service\?\)/],
    [['query', 'SELECT 1', '--fromat', 'csv'], /unknown flag --fromat \(did you mean --format\?\)/],
  ];
  for (const [args, pattern] of cases) {
    const r = glust(args);
    t.equal(r.status, 2, `glust ${args.join(' ')}: exit 2`);
    t.match(r.stderr, pattern, `glust ${args.join(' ')}`);
  }
});

t.test('--version names the version and the commit of the build', async (t) => {
  const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  for (const form of ['--version', 'version', '-V']) {
    const r = glust([form]);
    t.equal(r.status, 0);
    t.match(r.stdout, new RegExp(`^glust ${version.replaceAll('.', '\\.')} \\(commit ${head}(-dirty)?\\)\\n$`), `glust ${form}: this checkout's commit (${head})`);
  }
  // A copy without git (a source tarball) builds with the commit unknown, not a failed build.
  const copy = tempDataDir('glust-no-git-');
  fs.mkdirSync(path.join(copy, 'scripts'));
  fs.copyFileSync(path.join(ROOT, 'scripts', 'build-info.mjs'), path.join(copy, 'scripts', 'build-info.mjs'));
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(copy, 'package.json'));
  const out = path.join(copy, 'dist', 'build-info.json');
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(copy) };
  delete env.GLUST_BUILD_COMMIT;
  execFileSync(process.execPath, [path.join(copy, 'scripts', 'build-info.mjs')], { cwd: copy, env });
  t.same(JSON.parse(fs.readFileSync(out, 'utf8')), { version, commit: 'unknown' }, 'no git: unknown');
  execFileSync(process.execPath, [path.join(copy, 'scripts', 'build-info.mjs'), out], { cwd: copy, env: { ...env, GLUST_BUILD_COMMIT: 'abc123' } });
  t.same(JSON.parse(fs.readFileSync(out, 'utf8')), { version, commit: 'abc123' }, 'GLUST_BUILD_COMMIT names it');
  // The compiled code next to a build-info without a commit says unknown too.
  const dist = path.join(copy, 'dist');
  fs.cpSync(path.join(ROOT, 'dist'), dist, { recursive: true, filter: (src) => !src.endsWith('build-info.json') });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  fs.rmSync(out);
  const bare = spawnSync(process.execPath, [path.join(dist, 'main.js'), '--version'], { encoding: 'utf8' });
  t.equal(bare.stdout, `glust ${version} (commit unknown)\n`, 'a build without build-info.json');
});

t.test('exit codes: 0 done, 2 usage or configuration, 1 runtime failure', async (t) => {
  t.equal(glust(['--help']).status, 0);
  t.equal(glust(['help', 'logs']).status, 0);
  t.equal(glust([]).status, 2, 'no command');
  t.equal(glust(['serve', '--ack', 'maybe']).status, 2, 'a bad setting');
  t.equal(glust(['serve', '--config', path.join(tempDataDir(), 'missing.yaml')]).status, 2, 'a missing configuration file');
  const missing = glust(['query', 'SELECT 1', '--data', path.join(tempDataDir(), 'none')]);
  t.equal(missing.status, 1, 'a failure while running (no data directory)');
  t.match(missing.stderr, /GLUST_ERR_CLI_NO_DATA/);
  const server = await startServer();
  t.teardown(() => server.kill());
  const inUse = glust(['serve', '--listen', `127.0.0.1:${server.port}`, '--data', tempDataDir()]);
  t.equal(inUse.status, 1, 'a server that cannot start (its port is taken)');
  t.match(inUse.stderr, /GLUST_ERR_LISTEN_FAILED/);
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('#### Exit codes');
  t.ok(at >= 0, 'the README has the exit codes');
  const section = readme.slice(at, readme.indexOf('\n#', at + 1));
  for (const code of ['0', '1', '2', '70']) t.match(section, new RegExp(`^\\| \`${code}\` \\|`, 'm'), `the README documents exit ${code}`);
});
