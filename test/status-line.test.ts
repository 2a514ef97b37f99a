/**
 * The live status line of `glust serve` (src/cli/status-line.ts): on a terminal, a real
 * pseudo-terminal made by util-linux `script`, it prints records/s per signal, ack p99, writer
 * lag and disk used every --status-interval-s, and notes where the first flush went; in a pipe
 * there is no status line (the note stays); with --quiet neither.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { SIGNALS } from '../dist/otlp/signals.js';
import { MAIN, eventually, startServer, tempDataDir } from './helpers/server.js';
import { sendCheckout } from './helpers/telemetry.js';

/** `glust serve` inside a pseudo-terminal (util-linux `script`): everything it printed, and a stop. */
function serveOnTerminal(args: string[]): { out: () => string; stop: () => Promise<void>; child: ChildProcess } {
  const dataDir = tempDataDir();
  const command = [process.execPath, MAIN, 'serve', '--listen', '127.0.0.1:0', '--grpc-listen', 'off', '--data', dataDir, ...args].map((a) => `'${a}'`).join(' ');
  // -e: script's own status is glust's; -q: no "Script started" lines; detached: its own group.
  const child = spawn('script', ['-q', '-e', '-c', `exec ${command}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    child,
    out: () => out.replaceAll('\r', ''),
    async stop() {
      // SIGTERM to glust alone (script's child): script itself would end the session on it, and
      // the closing terminal would hang up glust before its flush.
      if (child.exitCode === null) {
        const glustPid = Number(fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
        if (glustPid > 0) process.kill(glustPid, 'SIGTERM');
        else process.kill(-child.pid!, 'SIGKILL');
      }
      await exited;
    },
  };
}

// One rate per row of the signal table, in its order (traces first).
const STATUS = new RegExp(`^glust: traces (\\d+)/s${SIGNALS.slice(1).map((s) => `, ${s.name} \\d+/s`).join('')} · ack p99 ([^·]+) · writer lag \\d+ rows · disk \\S+$`, 'm');

t.test('on a terminal, serve shows a live status line and says where the first flush went', async (t) => {
  const server = serveOnTerminal(['--status-interval-s', '1', '--flush-ms', '300']);
  t.teardown(() => server.stop());
  await eventually(() => /listening on/.test(server.out()), 30_000, 50);
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.out())![1]!;
  await eventually(() => STATUS.test(server.out()), 10_000, 100);
  t.pass('a status line while idle');
  const idle = server.out().match(new RegExp(STATUS.source, 'gm'))!.length;
  await new Promise((r) => setTimeout(r, 2500));
  t.equal(server.out().match(new RegExp(STATUS.source, 'gm'))!.length, idle, 'an idle server does not repeat the same line');
  await sendCheckout(url, 'tty-svc');
  const busy = await eventually(() => [...server.out().matchAll(new RegExp(STATUS.source, 'gm'))].find((m) => Number(m[1]) > 0), 10_000, 100);
  t.match(busy[2], /^\d+(\.\d)? (ms|s)\s*$/, `the ack p99 of the interval: ${busy[0]}`);
  const flush = await eventually(() => /^glust: first flush: (\d+) rows? of (spans|logs) in Parquet under (\S+)\/ /m.exec(server.out()), 15_000, 100);
  t.ok(fs.existsSync(flush[3]!), `the path it names exists: ${flush[3]}`);
  t.ok(fs.readdirSync(flush[3]!).some((d) => d.startsWith('day=')), 'and holds day partitions');
  await server.stop();
  t.match(server.out(), /glust: stopped cleanly/);
});

t.test('--quiet on a terminal: no status line, no first-flush note', async (t) => {
  const server = serveOnTerminal(['--status-interval-s', '1', '--flush-ms', '300', '--quiet']);
  t.teardown(() => server.stop());
  await eventually(() => /listening on/.test(server.out()), 30_000, 50);
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.out())![1]!;
  await sendCheckout(url, 'quiet-svc');
  // Several intervals and flush periods; the same wait shows lines without --quiet (above).
  await new Promise((r) => setTimeout(r, 3000));
  await server.stop();
  t.notMatch(server.out(), /· ack p99/, 'no status line');
  t.notMatch(server.out(), /first flush/, 'no first-flush note');
  t.match(server.out(), /stopped cleanly/);
});

t.test('not on a terminal: no status line, but the first flush is noted', async (t) => {
  const server = await startServer({ args: ['--status-interval-s', '1', '--flush-ms', '300'] });
  t.teardown(() => server.kill());
  await sendCheckout(server.url, 'pipe-svc');
  // The checkout sends spans and logs; whichever table converts first is the one noted (a CI
  // run once had logs first, which a spans-only pattern never matched).
  const flush = await eventually(() => /first flush: \d+ rows? of (spans|logs) in Parquet under /.exec(server.output()), 15_000, 100);
  t.match(server.output(), `under ${path.join(server.dataDir, flush[1]!)}/`, 'names the path');
  await new Promise((r) => setTimeout(r, 2500));
  t.equal(await server.stop(), 0);
  t.notMatch(server.output(), /· ack p99/, 'no status line into a pipe');
});
