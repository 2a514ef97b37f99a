/**
 * The configuration file layer: a YAML mapping whose keys are the settings' flag names
 * (`flush-ms: 2s`), read with the `yaml` package for its line positions. Each value goes on to
 * readSetting as text with the source "FILE line N", so a bad value is refused the same way as a
 * bad flag, naming the key, the text, the file and the line.
 *
 * Refused here, every problem of the file in one message: a file that cannot be read or is not
 * YAML, a document that is not a mapping, unknown keys (with the nearest known one), a key given
 * twice, values that are not scalars (lists, mappings, aliases), and values their setting
 * refuses (each read once here through readSetting; serveConfigFrom reads the winners again). Relative paths in the file
 * are taken from the file's directory, so a file kept beside its data means the same from any
 * working directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, isAlias, isMap, isScalar, parseDocument } from 'yaml';
import { didYouMean } from '../nearest-name.js';
import { SWITCH } from './kinds.js';
import { type RawValue, type Setting, configInvalid, readSetting } from './setting.js';

/** Raw texts of the file by flag name, as serveConfigFrom takes layers. */
export type FileLayer = ReadonlyMap<string, RawValue>;

/** The text readSetting gets for a YAML scalar of `setting`, or what is wrong with its type. */
function scalarText(setting: Setting<unknown>, value: unknown): { text: string } | { wrong: string } {
  if (value === null) return { text: '' }; // `key:` with nothing after it: the kind decides (files: none)
  if (typeof value === 'string') return { text: value };
  if (typeof value === 'number' || typeof value === 'bigint') return { text: String(value) };
  // YAML 1.2 reads `on`/`off` as strings; true/false are booleans, the same for a switch.
  if (typeof value === 'boolean' && setting.kind === SWITCH) return { text: value ? 'on' : 'off' };
  return { wrong: `is a ${typeof value}, expected ${setting.kind.placeholder}` };
}

/** A file's relative path taken from the directory of the configuration file. */
function fromFileDir(setting: Setting<unknown>, text: string, file: string): string {
  if (!setting.kind.isPath || text.trim() === '' || path.isAbsolute(text.trim())) return text;
  return path.resolve(path.dirname(path.resolve(file)), text.trim());
}

/**
 * Read `file` as a layer of `rows` (every setting with a flag). Throws GLUST_ERR_CONFIG_INVALID
 * listing every problem of the file, each as "FILE line N: …".
 */
export function readConfigFile(file: string, rows: readonly Setting<unknown>[]): FileLayer {
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (err) {
    configInvalid(`cannot read the configuration file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const lineOf = (offset: number | undefined) => lines.linePos(offset ?? 0).line;
  const problems: string[] = [];
  const at = (offset: number | undefined, what: string) => problems.push(`${file} line ${lineOf(offset)}: ${what}`);
  // Keys given twice are found below, where the key's name is known.
  for (const e of doc.errors) if (e.code !== 'DUPLICATE_KEY') at(e.pos[0], `not valid YAML: ${e.message.split('\n')[0]}`);
  const layer = new Map<string, RawValue>();
  const byKey = new Map(rows.map((s) => [s.flag, s]));
  if (problems.length === 0 && doc.contents !== null && !isMap(doc.contents)) {
    at(doc.contents.range?.[0], 'the file must be a mapping of setting names to values (`flush-ms: 2s`)');
  }
  if (problems.length === 0 && isMap(doc.contents)) {
    const firstLine = new Map<string, number>();
    for (const pair of doc.contents.items) {
      const keyNode = isScalar(pair.key) ? pair.key : null;
      const offset = keyNode?.range?.[0];
      const key = keyNode ? String(keyNode.value) : '';
      const setting = byKey.get(key);
      if (!keyNode || !setting) {
        at(offset, `unknown key '${key}'${didYouMean(key, byKey.keys())} (the keys are the flags of glust serve --help)`);
        continue;
      }
      if (setting.notInFile) {
        at(offset, `'${key}' cannot be set in a configuration file: ${setting.notInFile}`);
        continue;
      }
      const seen = firstLine.get(key);
      if (seen !== undefined) {
        at(offset, `${key} is given twice (first on line ${seen})`);
        continue;
      }
      firstLine.set(key, lineOf(offset));
      const valueNode = pair.value;
      if (valueNode !== null && (isAlias(valueNode) || !isScalar(valueNode))) {
        at(offset, `${key}: expected one ${setting.kind.placeholder} value, not a ${isAlias(valueNode) ? 'YAML alias' : isMap(valueNode) ? 'mapping' : 'list'}`);
        continue;
      }
      const read = scalarText(setting, valueNode === null ? null : valueNode.value);
      if ('wrong' in read) {
        at(offset, `${key}: ${JSON.stringify(valueNode?.value)} ${read.wrong}`);
        continue;
      }
      const raw = { text: fromFileDir(setting, read.text, file), source: `${file} line ${lineOf(offset)}` };
      // Each value on its own now, so one run names every bad value of the file, not the first.
      try {
        readSetting(setting, raw);
      } catch (err) {
        problems.push((err as Error).message);
        continue;
      }
      layer.set(key, raw);
    }
  }
  if (problems.length > 0) configInvalid(problems.join('\n'));
  return layer;
}
