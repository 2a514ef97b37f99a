/**
 * What this build is: written next to the compiled code by scripts/build-info.mjs at build time
 * (dist/build-info.json), so `glust --version` can name the commit without a git checkout at run
 * time. A build without that file (or a binary that did not embed it) says "unknown".
 */
import { createRequire } from 'node:module';
import { VERSION } from './version.js';

export interface BuildInfo {
  readonly version: string;
  /** Full git commit id, with "-dirty" for uncommitted changes, or "unknown". */
  readonly commit: string;
}

function load(): BuildInfo {
  try {
    const info = createRequire(import.meta.url)('./build-info.json') as Partial<BuildInfo>;
    return { version: VERSION, commit: typeof info.commit === 'string' && info.commit ? info.commit : 'unknown' };
  } catch {
    return { version: VERSION, commit: 'unknown' };
  }
}

export const BUILD_INFO: BuildInfo = load();

/** The `glust --version` line. */
export function versionLine(info: BuildInfo = BUILD_INFO): string {
  return `glust ${info.version} (commit ${info.commit})\n`;
}
