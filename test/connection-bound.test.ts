/**
 * The connection limit's cheap check (src/acceptor/connection-limit.ts): /proc/net/sockstat's TCP
 * "inuse" must bound from above what the per-socket tables count for our port, or skipping the
 * tables while the bound is under the limit would miss connections. Checked against the real
 * kernel files with real loopback connections.
 */
import fs from 'node:fs';
import net from 'node:net';
import t from 'tap';
import { countEstablished, tcpSocketsInUse } from '../dist/acceptor/connection-limit.js';

const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'latin1') : '');

t.test('tcpSocketsInUse reads IPv4 and IPv6 lines, and says null without them', async (t) => {
  t.equal(tcpSocketsInUse(['sockets: used 9\nTCP: inuse 12 orphan 0 tw 3 alloc 20 mem 1\nUDP: inuse 0\n', 'TCP6: inuse 3\nUDP6: inuse 0\n']), 15);
  t.equal(tcpSocketsInUse(['TCP: inuse 0 orphan 0\n', 'TCP6: inuse 0\n']), 0);
  t.equal(tcpSocketsInUse(['', 'TCP6: inuse 3\n']), null, 'a missing file cannot bound anything');
});

t.test('sockstat bounds the established connections of a port from above', { skip: !fs.existsSync('/proc/net/sockstat') }, async (t) => {
  const server = net.createServer((s) => s.on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const clients: net.Socket[] = [];
  t.teardown(() => {
    for (const c of clients) c.destroy();
    server.close();
  });
  for (let i = 0; i < 20; i++) {
    const c = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => c.once('connect', resolve));
    clients.push(c);
  }
  const established = countEstablished([read('/proc/net/tcp'), read('/proc/net/tcp6')], port);
  const bound = tcpSocketsInUse([read('/proc/net/sockstat'), read('/proc/net/sockstat6')]);
  t.equal(established, 20, 'the tables see the 20 connections');
  t.ok(bound !== null && bound >= established + 20, `inuse ${bound} counts both ends of each, and more`);
});
