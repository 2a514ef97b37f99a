/**
 * The web UI's files (built into dist/browser/ by `npm run build`: its own modules in ui/, the
 * browser-safe modules it shares with the server and the CLI in view/), served at `/`
 * (ui/index.html), `/ui/<file>` and `/view/<file>`. Every file is read into memory at start and
 * looked up by its exact URL path, so no request path is ever joined to a directory: `..`,
 * encoded dots or slashes, and anything else not in the table are 404 by construction. The UI is
 * small (tens of kilobytes).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RequestState, send } from '../acceptor/server.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from '../acceptor/uws.js';

/** dist/browser, beside this module's dist/api/. */
export const UI_DIR = fileURLToPath(new URL('../browser/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
};

/** The UI loads nothing from elsewhere, and nothing may frame it or run inline script. */
const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Content-Security-Policy', "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"],
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
];

interface StaticFile {
  readonly body: Buffer;
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

/** The folders of dist/browser that are served; anything else there (an older build's) is not. */
const SERVED_DIRS = ['ui', 'view'] as const;

/** URL path (`/ui/app.js`) → file, for every servable file under `dir` (dist/browser)'s served folders. */
export function loadUiFiles(dir = UI_DIR): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (sub: string) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      const type = CONTENT_TYPES[path.extname(entry.name)];
      if (!entry.isFile() || !type) continue;
      files.set(`/${rel}`, {
        body: fs.readFileSync(path.join(dir, rel)),
        headers: [['Content-Type', type], ['Cache-Control', 'no-cache'], ...SECURITY_HEADERS],
      });
    }
  };
  for (const sub of SERVED_DIRS) if (fs.existsSync(path.join(dir, sub))) walk(sub);
  return files;
}

export function registerUiRoutes(app: TemplatedApp, files: ReadonlyMap<string, StaticFile>): void {
  const serve = (res: HttpResponse, urlPath: string, req: HttpRequest) => {
    const file = files.get(urlPath);
    // Not ours: let the next route (in the end the acceptor's JSON 404) answer.
    if (!file) return void req.setYield(true);
    const state: RequestState = { aborted: false };
    send(res, state, { status: 200, headers: file.headers, body: file.body });
  };
  app.get('/', (res, req) => serve(res, '/ui/index.html', req));
  app.get('/ui/*', (res, req) => serve(res, req.getUrl(), req));
  app.get('/view/*', (res, req) => serve(res, req.getUrl(), req));
}
