/**
 * The service deploy files in deploy/: the systemd unit passes `systemd-analyze verify` (when
 * the tool is installed) with no warning at all, and the README shows both files as they are.
 * The container recipe is not built here: CI cannot pull a base image.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ROOT, tempDataDir } from './helpers/server.js';

const UNIT = path.join(ROOT, 'deploy', 'glust.service');
const CONTAINERFILE = path.join(ROOT, 'deploy', 'Containerfile');
const BINARY = path.join(ROOT, 'dist', 'glust');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

t.test('systemd-analyze verify accepts deploy/glust.service without a warning', { skip: hasSystemdAnalyze ? false : 'systemd-analyze is not installed on this machine' }, async (t) => {
  const unit = fs.readFileSync(UNIT, 'utf8');
  t.match(unit, /^ExecStart=\/usr\/local\/bin\/glust serve /m, 'it runs the installed executable');
  // verify checks that ExecStart's program exists: point it at the built executable, nothing else changed.
  const dir = tempDataDir('glust-unit-');
  const copy = path.join(dir, 'glust.service');
  fs.writeFileSync(copy, unit.replaceAll('/usr/local/bin/glust', BINARY));
  const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr.trim(), '', 'no warning (an unknown or misspelt directive is only a warning)');
});

t.test('the unit stops gracefully and waits longer than the shutdown timeout', async (t) => {
  const unit = fs.readFileSync(UNIT, 'utf8');
  const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(unit)?.[1];
  t.equal(value('KillSignal'), 'SIGTERM');
  t.equal(value('Restart'), 'on-failure');
  t.equal(value('StateDirectory'), 'glust');
  t.equal(value('DynamicUser'), 'yes', 'a user of its own');
  const shutdown = /--shutdown-timeout-s (\d+)s/.exec(value('ExecStart') ?? '');
  const stop = /^(\d+)s$/.exec(value('TimeoutStopSec') ?? '');
  t.ok(shutdown && stop && Number(stop[1]) > Number(shutdown[1]), `TimeoutStopSec (${stop?.[1]}) is longer than --shutdown-timeout-s (${shutdown?.[1]})`);
});

t.test('the README shows both deploy files as they are', async (t) => {
  for (const file of [UNIT, CONTAINERFILE]) {
    const text = fs.readFileSync(file, 'utf8');
    t.ok(README.includes(`\n\`\`\`\n${text}\`\`\`\n`), `README has a block equal to ${path.relative(ROOT, file)}`);
  }
  const recipe = fs.readFileSync(CONTAINERFILE, 'utf8');
  t.match(recipe, /^COPY dist\/glust \/usr\/local\/bin\/glust$/m, 'the container copies the executable');
  t.equal((recipe.match(/^COPY /gm) ?? []).length, 1, 'and nothing else');
});
