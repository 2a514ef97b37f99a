/**
 * The token file's rules (src/auth/tokens.ts), without a server: comments, blank lines, CRLF
 * and surrounding spaces; exact matching of every token, none of their prefixes, extensions or
 * case variants; refusal of files that hold no usable token; reload keeping the old tokens when
 * the new file is bad.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { TokenSet, parseTokenFile } from '../dist/auth/tokens.js';
import { tempDataDir } from './helpers/server.js';

t.test('comments, blank lines, CRLF and surrounding spaces are not part of tokens', async (t) => {
  const file = path.join(tempDataDir('glust-tokens-'), 'tokens');
  fs.writeFileSync(file, '# senders\r\n\r\n  first-token  \r\nsecond-token\r\n#third-token\r\n');
  const set = TokenSet.load(file);
  t.equal(set.size, 2);
  for (const good of ['first-token', 'second-token']) t.ok(set.accepts(good), good);
  for (const bad of ['', ' first-token', 'first-toke', 'first-tokenX', 'FIRST-TOKEN', '#third-token', 'third-token', '# senders']) {
    t.notOk(set.accepts(bad), `'${bad}' is refused`);
  }
});

t.test('files without a usable token are refused with GLUST_ERR_AUTH_TOKEN_FILE', async (t) => {
  t.throws(() => parseTokenFile('', 'f'), { code: 'GLUST_ERR_AUTH_TOKEN_FILE', message: /holds no token/ });
  t.throws(() => parseTokenFile('\n# only a comment\n\n', 'f'), { code: 'GLUST_ERR_AUTH_TOKEN_FILE' });
  t.throws(() => parseTokenFile('ok\nwith space\n', 'f'), { code: 'GLUST_ERR_AUTH_TOKEN_FILE', message: /token 2 contains spaces/ });
  t.throws(() => parseTokenFile('caf\u00e9\n', 'f'), { code: 'GLUST_ERR_AUTH_TOKEN_FILE', message: /printable ASCII/ });
  t.throws(() => TokenSet.load('/nonexistent/glust-tokens'), { code: 'GLUST_ERR_AUTH_TOKEN_FILE', message: /could not be read/ });
});

t.test('reload replaces the tokens; a bad file leaves the old ones in force', async (t) => {
  const file = path.join(tempDataDir('glust-tokens-'), 'tokens');
  fs.writeFileSync(file, 'old-token\n');
  const set = TokenSet.load(file);
  fs.writeFileSync(file, 'new-token\nnewer-token\n');
  t.equal(set.reload(), 2);
  t.notOk(set.accepts('old-token'));
  t.ok(set.accepts('newer-token'));
  fs.writeFileSync(file, '\n');
  t.throws(() => set.reload(), { code: 'GLUST_ERR_AUTH_TOKEN_FILE' });
  t.ok(set.accepts('new-token'), 'still in force');
  t.equal(set.size, 2);
});
