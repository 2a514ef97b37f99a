/**
 * `glust tail --server` against the server's real live tail: it lives through the keep-alive
 * comments (issue 9: it used to die on the first one, after five seconds), reconnects with a
 * growing pause when the server stops and comes back on the same port (and says so on stderr),
 * and stops at once on answers retrying cannot change: a refused token, a URL that is not a
 * Glust server, a server that is not running when it starts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { PROTO, logsRequest, nowNs } from './helpers/otlp.js';
import { MAIN, type Server, eventually, post, startServer, tempDataDir } from './helpers/server.js';

interface Tail {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function startTail(args: string[], env: NodeJS.ProcessEnv = {}): Tail {
  const child = spawn(process.execPath, [MAIN, 'tail', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

const sendLog = (server: Server, body: string, headers: Record<string, string>) =>
  post(`${server.url}/v1/logs`, logsRequest([{ time: nowNs(), body, severity: 13 }], 'tail-test'), { ...PROTO, ...headers });

/** Send `body` until the tail printed it (the tail may subscribe a moment after it started). */
async function seen(server: Server, tail: Tail, body: string, headers: Record<string, string> = {}): Promise<void> {
  await eventually(async () => {
    if (tail.stdout().includes(body)) return true;
    const res = await sendLog(server, body, headers);
    if (res.status !== 200) throw new Error(`export answered ${res.status}`);
    await new Promise((r) => setTimeout(r, 300));
    return tail.stdout().includes(body);
  }, 30_000, 0);
}

/** Resolves once a client of the same live tail has received one keep-alive comment. */
async function keepaliveSent(server: Server): Promise<void> {
  const res = await fetch(`${server.url}/api/tail?signal=logs&service=nobody`);
  const reader = res.body!.getReader();
  let text = '';
  try {
    while (!text.includes(': keepalive')) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`tail ended before a keep-alive: ${text}`);
      text += Buffer.from(value).toString();
    }
  } finally {
    await reader.cancel();
  }
}

/**
 * A port nothing listens on now. Both servers of the restart take it as a fixed port: uSockets
 * sets SO_REUSEADDR only then, and Linux lets the second bind past the first one's TIME_WAIT
 * connections only when both had it.
 */
async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

t.test('lives through keep-alives, and reconnects when the server restarts on the same port', async (t) => {
  const dataDir = tempDataDir();
  const port = await freePort();
  const listen = ['--listen', `127.0.0.1:${port}`];
  let server = await startServer({ dataDir, args: listen });
  t.teardown(() => server.kill());
  const tail = startTail(['--server', server.url, '--service', 'tail-test']);
  t.teardown(() => void tail.child.kill('SIGKILL'));

  await seen(server, tail, 'before any keep-alive');
  // The server sends `: keepalive` every 5 s to all tail clients at once; once this second
  // client got one, so did the CLI's (it has been connected longer).
  await keepaliveSent(server);
  await keepaliveSent(server);
  t.equal(tail.child.exitCode, null, `still running after keep-alives; stderr: ${tail.stderr()}`);
  await seen(server, tail, 'after two keep-alives');
  t.equal(tail.stderr(), '', 'nothing to say while connected');

  t.equal(await server.stop(), 0);
  await eventually(() => /reconnecting in 1 s \(attempt 1\)/.test(tail.stderr()), 20_000);
  // The server ends each tail with a `closing` event as it stops; when the connection goes
  // first, the loss is all there is to say.
  t.match(tail.stderr(), /^glust tail: (the server ended the tail: server stopping|the connection to http:\/\/127\.0\.0\.1:\d+ broke \(.+\)); reconnecting in 1 s \(attempt 1\)$/m, 'says the connection went');
  // While nothing listens, each attempt waits twice as long as the one before.
  await eventually(() => /attempt 2\)/.test(tail.stderr()), 20_000);
  t.match(tail.stderr(), /^glust tail: could not reach http:\/\/127\.0\.0\.1:\d+: .*; reconnecting in 2 s \(attempt 2\)$/m);

  server = await startServer({ dataDir, args: listen });
  await eventually(() => /reconnected to/.test(tail.stderr()), 30_000);
  t.match(tail.stderr(), `glust tail: reconnected to http://127.0.0.1:${port}; records acknowledged while disconnected are not shown`);
  await seen(server, tail, 'after the restart');
  const lines = tail.stdout().trim().split('\n');
  t.ok(lines.every((l) => /^\d{4}-\d\d-\d\d [\d:.]+ {2}13 +tail-test {2}/.test(l)), `every line is a record:\n${tail.stdout()}`);
  t.equal(tail.child.exitCode, null, 'still running');
  t.equal(await server.stop(), 0);
});

t.test('stops at once on what retrying cannot change', async (t) => {
  const down = startTail(['--server', 'http://127.0.0.1:9']);
  t.equal(await down.exited, 1, 'no server at the start: a wrong URL, not a restart');
  t.match(down.stderr(), /^glust: GLUST_ERR_CLI_CONNECT: could not reach http:\/\/127\.0\.0\.1:9/);

  const tokenFile = `${tempDataDir()}/tokens`;
  (await import('node:fs')).writeFileSync(tokenFile, 'a-token-for-the-tail-test\n');
  const guarded = await startServer({ args: ['--auth-token-file', tokenFile] });
  t.teardown(() => guarded.kill());
  const refused = startTail(['--server', guarded.url]);
  t.equal(await refused.exited, 1);
  t.match(refused.stderr(), /GLUST_ERR_AUTH_MISSING_TOKEN/);
  const allowed = startTail(['--server', guarded.url, '--service', 'tail-test'], { GLUST_TOKEN: 'a-token-for-the-tail-test' });
  t.teardown(() => void allowed.child.kill('SIGKILL'));
  await seen(guarded, allowed, 'with a token', { Authorization: 'Bearer a-token-for-the-tail-test' });

  const html = http.createServer((_, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>not glust</html>'));
  await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
  t.teardown(() => html.close());
  const foreign = startTail(['--server', `http://127.0.0.1:${(html.address() as AddressInfo).port}`]);
  t.equal(await foreign.exited, 1);
  t.match(foreign.stderr(), /GLUST_ERR_CLI_TAIL_STREAM: .*answered with text\/html, not text\/event-stream/);

  // A stream that is not Glust's: events whose data is not a tail batch.
  const odd = http.createServer((_, res) => res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end('event: ready\ndata: {}\n\ndata: not json\n\n'));
  await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
  t.teardown(() => odd.close());
  const garbled = startTail(['--server', `http://127.0.0.1:${(odd.address() as AddressInfo).port}`]);
  t.equal(await garbled.exited, 1);
  t.match(garbled.stderr(), /GLUST_ERR_CLI_TAIL_STREAM: a 'message' event is not JSON: not json/);
});
