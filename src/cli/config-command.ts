/**
 * `glust config check FILE` and `glust config print [serve flags]`: the configuration file of
 * `glust serve` (src/settings/file.ts) validated, or the configuration in force shown, without
 * starting anything. Both go through the same reading as `glust serve`, so what `check` accepts
 * is what `serve` starts with, and what `print` shows is what `serve` would use.
 */
import { CONFIG_ENV, CONFIG_FLAG, SETTING_ROWS, effectiveSettings, serveConfigFrom, serveSources } from '../config.js';
import { GlustError } from '../errors.js';
import { didYouMean } from '../nearest-name.js';
import { readConfigFile } from '../settings/file.js';
import { effectiveYaml } from '../settings/yaml-out.js';

export const CONFIG_USAGE = `usage: glust config check FILE
       glust config print [--${CONFIG_FLAG} FILE] [any glust serve flag]…
  check: read FILE as glust serve would (unknown keys, wrong types and values out of range are
         refused with the line and key); exit 0 when it is valid, 2 when not
  print: the configuration glust serve would run with, from flags, the environment (GLUST_*),
         the file (--${CONFIG_FLAG}, else env ${CONFIG_ENV}) and the defaults, as YAML; each value says
         where it came from, secrets are masked
`;

const SUBCOMMANDS = ['check', 'print'];

function invalid(message: string): never {
  throw new GlustError('GLUST_ERR_CONFIG_INVALID', `${message}\n\n${CONFIG_USAGE}`);
}

export async function configCommand(argv: readonly string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'check') {
    if (rest.length !== 1 || rest[0]!.startsWith('--')) invalid('give one configuration file to check');
    const file = rest[0]!;
    const layer = readConfigFile(file, SETTING_ROWS);
    // The file over the defaults alone: the environment of this shell is not the server's.
    serveConfigFrom([layer]);
    process.stdout.write(`${file}: valid (${layer.size} setting${layer.size === 1 ? '' : 's'} set, the rest default)\n`);
    return;
  }
  if (sub === 'print') {
    const { layers, configFile } = serveSources(rest);
    const source = configFile === null ? 'no configuration file' : `configuration file ${configFile}`;
    process.stdout.write(effectiveYaml(effectiveSettings(layers), ` glust serve configuration in force (${source}); flags > environment > file > defaults`));
    return;
  }
  invalid(sub === undefined ? 'give a subcommand: check or print' : `unknown subcommand '${sub}'${didYouMean(sub, SUBCOMMANDS)}`);
}
