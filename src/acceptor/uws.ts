/**
 * The one place uWebSockets.js is loaded, so the build can be swapped.
 *
 * `@trufflesuite/uws-js-unofficial` (uWS v20.30) ships native binaries per Node ABI and silently
 * falls back to a slow pure-Node imitation when its binary does not load. Glust loads the binary
 * itself, so it knows which one it got: the native server, or (only when GLUST_UWS_FALLBACK=1)
 * the fallback, said so in the startup line.
 */
import { createRequire } from 'node:module';
import { GlustError } from '../errors.js';
import type * as UWS from '@trufflesuite/uws-js-unofficial';

export type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from '@trufflesuite/uws-js-unofficial';

const require = createRequire(import.meta.url);
const PACKAGE = '@trufflesuite/uws-js-unofficial';

export interface LoadedUws {
  readonly uws: typeof UWS;
  /** 'native' or 'fallback (pure Node)'. */
  readonly flavour: string;
}

export function loadUws(env: NodeJS.ProcessEnv = process.env): LoadedUws {
  const binary = `${PACKAGE}/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  try {
    return { uws: require(binary) as typeof UWS, flavour: 'native' };
  } catch (err) {
    if (env.GLUST_UWS_FALLBACK === '1') {
      return { uws: require(`${PACKAGE}/dist/index`) as typeof UWS, flavour: 'fallback (pure Node, slow)' };
    }
    throw new GlustError(
      'GLUST_ERR_UWS_NATIVE',
      `uWebSockets.js native binary ${binary} did not load (${(err as Error).message}); ` +
        'set GLUST_UWS_FALLBACK=1 to run on the slow pure-Node fallback instead',
      { cause: err },
    );
  }
}

/**
 * Listen on host:port with LIBUS_LISTEN_EXCLUSIVE_PORT: by default uWS sets SO_REUSEPORT, so a
 * second server on the same port would share it silently. (uWS 20.30 has this four-argument
 * listen and the constant; its typings lack both.)
 */
export function listenExclusive(loaded: LoadedUws, app: UWS.TemplatedApp, host: string, port: number): Promise<UWS.us_listen_socket | false> {
  const uws = loaded.uws as typeof UWS & { LIBUS_LISTEN_EXCLUSIVE_PORT: number };
  const listen = app.listen as unknown as (h: string, p: number, options: number, cb: (s: UWS.us_listen_socket | false) => void) => void;
  return new Promise((resolve) => listen.call(app, host, port, uws.LIBUS_LISTEN_EXCLUSIVE_PORT, resolve));
}
