/**
 * The test harness itself: a test process that dies (tap's timeout kills it with SIGKILL) takes
 * the servers it started with it, instead of leaving them holding ports and data directories.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ROOT, eventually, tempDataDir } from './helpers/server.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

t.test('a server started by a test that is SIGKILLed stops', async (t) => {
  const dir = tempDataDir('glust-harness-');
  const script = path.join(dir, 'starter.mts');
  fs.writeFileSync(script, [
    `import { startServer } from ${JSON.stringify(path.join(ROOT, 'test', 'helpers', 'server.ts'))};`,
    `const server = await startServer();`,
    `console.log('server pid', server.child.pid);`,
    `setInterval(() => {}, 1000);`,
  ].join('\n'));
  // The same TypeScript loader tap runs the tests with.
  const starter = spawn(process.execPath, ['--import', '@tapjs/typescript/import', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  starter.stdout!.on('data', (d) => (out += d));
  const pid = Number((await eventually(() => /server pid (\d+)/.exec(out), 60_000, 50))[1]);
  t.teardown(() => void (alive(pid) && process.kill(pid, 'SIGKILL')));
  t.ok(alive(pid), `the server runs (pid ${pid})`);
  starter.kill('SIGKILL');
  await eventually(() => !alive(pid) || /State:\s+Z/.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')), 30_000, 100);
  t.pass('and is gone once its test process is killed');
});
