/**
 * Settings written as a configuration file: `glust config print` (the configuration in force,
 * each value with where it came from, secrets masked) and glust.example.yaml (every key with its
 * default and its help), both rendered from the rows, so a new row appears in both by itself.
 * Either output read back by src/settings/file.ts gives the same values.
 */
import { Document, isMap, isScalar, type Pair, type Scalar } from 'yaml';
import { wrap } from './help.js';
import { type RawValue, type Setting, rangeText } from './setting.js';

/** What a masked secret prints as. */
export const MASK = '********';

/** A plain whole number is written as a YAML number, anything else as a string. */
const yamlValue = (text: string): string | number => (/^\d{1,15}$/.test(text) ? Number(text) : text);

/** A YAML mapping of `entries` (key, text, comment after the value), as text. */
function render(entries: ReadonlyArray<{ key: string; text: string; after: string }>, header: string): string {
  const doc = new Document(Object.fromEntries(entries.map((e) => [e.key, yamlValue(e.text)])));
  doc.commentBefore = header;
  if (!isMap(doc.contents)) throw new Error('settings render as a mapping');
  (doc.contents.items as Pair<Scalar, Scalar>[]).forEach((pair, i) => {
    const e = entries[i]!;
    if (isScalar(pair.value)) pair.value.comment = e.after;
  });
  return doc.toString({ lineWidth: 0 });
}

export interface InForce {
  readonly setting: Setting<unknown>;
  readonly raw: RawValue;
  readonly value: unknown;
}

/** `glust config print`: every setting's value in force (as its kind writes it) and its source. */
export function effectiveYaml(settings: readonly InForce[], header: string): string {
  // A setting no file can hold is left out, so that what this prints reads back as a file.
  return render(settings.filter(({ setting }) => !setting.notInFile).map(({ setting, raw, value }) => {
    const text = setting.kind.format(value);
    const masked = setting.secret && text !== '';
    return { key: setting.flag, text: masked ? MASK : text, after: ` ${masked ? 'secret, masked; ' : ''}from ${raw.source}` };
  }), header);
}

/** The help of a row as YAML comment lines, without Markdown backticks. */
const helpComment = (s: Setting<unknown>) => {
  const range = rangeText(s);
  return wrap(`${s.help}${range ? `; ${range}` : ''} (env ${s.env})`.replaceAll('`', ''), '# ');
};

/**
 * glust.example.yaml: every key with its default and its help, in the table's order. A default
 * that depends on the machine (workers: the cores) is written commented out, since any number
 * written would not be it.
 */
export function exampleYaml(rows: readonly Setting<unknown>[], header: string): string {
  const blocks = rows.filter((s) => !s.notInFile).map((s) => {
    const line = typeof s.default === 'string'
      ? new Document({ [s.flag]: yamlValue(s.default) }).toString({ lineWidth: 0 })
      : `# ${s.flag}: <${s.default.describe}>\n`;
    return `${helpComment(s)}\n${line}`;
  });
  return `${header.split('\n').map((l) => `#${l}`).join('\n')}\n\n${blocks.join('\n')}`;
}
