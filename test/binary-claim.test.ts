/**
 * The cache directory's build folders (src/binary/claim.ts), on real files with the real
 * open-file-description locks (fs-native-extensions, the addon the executable uses): a folder
 * some process holds is kept, one nobody holds is removed, one without a marker is left alone,
 * and a start whose folder is removed between its open and its lock finds out and says 'gone'.
 * The executable's own use of it is in test/binary.test.ts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import t, { type Test } from 'tap';
import { IN_USE, type TryLock, holdBuild, pruneBuilds } from '../dist/binary/claim.js';
import { tempDataDir } from './helpers/server.js';

const locks = createRequire(import.meta.url)('fs-native-extensions') as { tryLock(fd: number, opts: { shared?: boolean }): boolean };
const tryLock: TryLock = (fd, shared) => locks.tryLock(fd, { shared });

function folder(base: string, name: string, marker = true): string {
  const dir = path.join(base, name);
  fs.mkdirSync(path.join(dir, 'native'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'native', 'lib.so'), Buffer.alloc(4096, 1));
  if (marker) fs.writeFileSync(path.join(dir, IN_USE), '');
  return dir;
}

/** A process of its own holding the marker of `dir` (shared, as a running glust does) until killed. */
async function holder(t: Test, dir: string): Promise<ReturnType<typeof spawn>> {
  const script = `
    const fs = require('node:fs'); const locks = require('fs-native-extensions');
    const fd = fs.openSync(${JSON.stringify(path.join(dir, IN_USE))}, 'r+');
    if (!locks.tryLock(fd, { shared: true })) process.exit(3);
    process.stdout.write('locked\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
  });
  return child;
}

t.test('a held folder is kept, an unheld one removed, one without a marker left alone, trash finished', async (t) => {
  const base = tempDataDir('glust-claim-');
  const mine = folder(base, '0.2.0-aaaaaaaaaaaa');
  const inUse = folder(base, '0.1.0-bbbbbbbbbbbb');
  folder(base, '0.1.1-cccccccccccc');
  folder(base, '0.0.9-dddddddddddd', false);
  fs.mkdirSync(path.join(base, '.trash-0.0.1-eeeeeeeeeeee-1234'));
  fs.writeFileSync(path.join(base, 'notes.txt'), 'not a build folder');
  t.equal(holdBuild(mine, tryLock), 'held');
  const running = await holder(t, inUse);
  const pruned = pruneBuilds(base, '0.2.0-aaaaaaaaaaaa', tryLock);
  t.same(pruned.map((p) => p.name), ['0.1.1-cccccccccccc'], 'only the folder nobody holds');
  t.ok(pruned[0]!.bytes >= 4096, `its size is reported (${pruned[0]!.bytes} bytes)`);
  t.same(fs.readdirSync(base).sort(), ['0.0.9-dddddddddddd', '0.1.0-bbbbbbbbbbbb', '0.2.0-aaaaaaaaaaaa', 'notes.txt']);
  t.ok(fs.existsSync(path.join(inUse, 'native', 'lib.so')), 'the held folder is whole');
  running.kill('SIGKILL');
  await new Promise((resolve) => running.once('exit', resolve));
  t.same(pruneBuilds(base, '0.2.0-aaaaaaaaaaaa', tryLock).map((p) => p.name), ['0.1.0-bbbbbbbbbbbb'], 'once its process is gone (killed, not stopped), it goes too');
  // This process holds its own folder: another start of another build must keep it.
  t.same(pruneBuilds(base, '9.9.9-ffffffffffff', tryLock), [], 'the folder this process holds is kept for another build');
  t.ok(fs.existsSync(mine));
});

t.test("a folder removed between a start's open and its lock: holdBuild says 'gone'", async (t) => {
  const base = tempDataDir('glust-claim-race-');
  const dir = folder(base, '0.3.0-aaaaaaaaaaaa');
  // The remover: exclusive lock, then (after the start below has opened the marker and waits
  // for its lock) the rename, then let go.
  const script = `
    const fs = require('node:fs'); const locks = require('fs-native-extensions');
    const fd = fs.openSync(${JSON.stringify(path.join(dir, IN_USE))}, 'r+');
    if (!locks.tryLock(fd)) process.exit(3);
    process.stdout.write('locked\\n');
    setTimeout(() => { fs.renameSync(${JSON.stringify(dir)}, ${JSON.stringify(path.join(base, '.trash-x'))}); fs.closeSync(fd); process.exit(0); }, 300);`;
  const remover = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => remover.kill('SIGKILL'));
  await new Promise<void>((resolve) => remover.stdout!.once('data', () => resolve()));
  t.equal(holdBuild(dir, tryLock), 'gone', 'the lock it got is on the file in the trash, not at its path');
  t.notOk(fs.existsSync(dir));
});

t.test("where no marker can be made (a read-only cache), holdBuild says 'unheld' and the folder is used as it is", async (t) => {
  const base = tempDataDir('glust-claim-ro-');
  const notAFolder = path.join(base, 'file');
  fs.writeFileSync(notAFolder, '');
  t.equal(holdBuild(notAFolder, tryLock), 'unheld');
});
