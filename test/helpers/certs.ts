/**
 * Test PKI made with the system's `openssl` at test time: a CA, a server certificate for
 * 127.0.0.1/localhost, a client certificate, a client certificate that expired in 2020 (via
 * `openssl ca -startdate/-enddate`, which OpenSSL 3.0 has; `x509 -not_after` arrived only in 3.4),
 * and a second, foreign CA with a client certificate of its own.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { tempDataDir } from './server.js';

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  readonly dir: string;
  /** File paths, for the server's flags. */
  readonly files: { caCert: string; serverCert: string; serverKey: string };
  /** PEM text, for clients. */
  readonly ca: string;
  readonly client: Pem;
  readonly expiredClient: Pem;
  readonly foreignClient: Pem;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

/** A key and a certificate signing request. */
function makeRequest(dir: string, name: string, cn: string): void {
  openssl(dir, ['req', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
}

function sign(dir: string, ca: string, name: string, ext: string): void {
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
}

const CLIENT_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';

/** Sign with `openssl ca`, which takes explicit validity dates. */
function signExpired(dir: string, ca: string, name: string): void {
  const db = path.join(dir, 'ca-db');
  fs.mkdirSync(db, { recursive: true });
  fs.writeFileSync(path.join(db, 'index.txt'), '');
  fs.writeFileSync(path.join(db, 'serial'), '1000\n');
  fs.writeFileSync(path.join(dir, 'ca.cnf'), [
    '[ca]', 'default_ca = test',
    '[test]', `dir = ${db}`, `database = ${db}/index.txt`, `new_certs_dir = ${db}`, `serial = ${db}/serial`,
    'default_md = sha256', 'policy = any', 'unique_subject = no', 'x509_extensions = ext',
    '[any]', 'commonName = supplied',
    '[ext]', ...CLIENT_EXT.trim().split('\n'),
  ].join('\n') + '\n');
  openssl(dir, ['ca', '-batch', '-notext', '-config', 'ca.cnf', '-cert', `${ca}.crt`, '-keyfile', `${ca}.key`,
    '-in', `${name}.csr`, '-out', `${name}.crt`, '-startdate', '20200101000000Z', '-enddate', '20200102000000Z']);
}

export function makeTestPki(): TestPki {
  const dir = tempDataDir('glust-pki-');
  makeCa(dir, 'ca');
  makeCa(dir, 'foreign-ca');
  makeRequest(dir, 'server', 'localhost');
  sign(dir, 'ca', 'server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  makeRequest(dir, 'client', 'sender-1');
  sign(dir, 'ca', 'client', CLIENT_EXT);
  makeRequest(dir, 'expired', 'sender-expired');
  signExpired(dir, 'ca', 'expired');
  makeRequest(dir, 'foreign', 'sender-foreign');
  sign(dir, 'foreign-ca', 'foreign', CLIENT_EXT);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  const pem = (name: string): Pem => ({ cert: read(`${name}.crt`), key: read(`${name}.key`) });
  return {
    dir,
    files: { caCert: path.join(dir, 'ca.crt'), serverCert: path.join(dir, 'server.crt'), serverKey: path.join(dir, 'server.key') },
    ca: read('ca.crt'),
    client: pem('client'),
    expiredClient: pem('expired'),
    foreignClient: pem('foreign'),
  };
}

export interface TlsClient {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface HttpsResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** One HTTPS request on its own connection (no agent, so each one makes a full handshake). */
export function httpsRequest(url: string, opts: { method?: string; body?: Uint8Array | string; headers?: Record<string, string>; tls: TlsClient }): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: opts.method ?? 'GET', headers: opts.headers, ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
