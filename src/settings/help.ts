/**
 * The settings table as people read it: `glust serve --help` and the README's configuration
 * table, both rendered from the rows, so neither can drift from what the parser accepts.
 */
import { type Setting, defaultText, rangeText } from './setting.js';

export const VALUE_SYNTAX =
  'Sizes take `65536`, `64KiB`, `64MiB`, `1GiB` (also `64k`, `64m`, `1g`). Durations take `200ms`, `5s`, ' +
  '`15m`, `1h`, `1d`; a plain number is in the unit the setting\'s name ends with (`-ms`, `-s`).';

const plain = (markdown: string) => markdown.replaceAll('`', '');

/** What the docs show as the default: the text as written, `cores`, or none. */
function shownDefault(s: Setting<unknown>): string {
  if (typeof s.default !== 'string') return s.default.describe;
  return s.default === '' ? 'none' : `\`${s.default}\``;
}

/** The meaning column: the help text and the allowed range. */
function meaning(s: Setting<unknown>): string {
  const range = rangeText(s);
  return range ? `${s.help}; ${range}` : s.help;
}

/** `text` in lines of at most `width` characters, each after `indent`. */
export function wrap(text: string, indent: string, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(indent + line);
  return lines.join('\n');
}

/** `glust serve --help`: per setting, its flag, environment variable and default, then its meaning. */
export function settingsHelp(rows: readonly Setting<unknown>[], cores: number): string {
  const blocks = rows.map((s) => {
    const flag = `--${s.flag} ${s.kind.placeholder}`;
    const computed = typeof s.default === 'string' ? '' : ` (${defaultText(s, cores)} here)`;
    return `  ${flag.padEnd(38)} env ${s.env}, default ${plain(shownDefault(s))}${computed}\n${wrap(plain(meaning(s)), '      ')}`;
  });
  return `${blocks.join('\n')}\n\n${wrap(`${plain(VALUE_SYNTAX)} Flags win over the environment, which wins over the configuration file.`, '')}\n`;
}

/** The README's configuration table (Markdown), one row per setting. */
export function settingsMarkdown(rows: readonly Setting<unknown>[]): string {
  const lines = ['| flag | environment | default | meaning |', '|---|---|---|---|'];
  for (const s of rows) lines.push(`| \`--${s.flag}\` | \`${s.env}\` | ${shownDefault(s)} | ${meaning(s).replaceAll('|', '\\|')} |`);
  return lines.join('\n') + '\n';
}
