/**
 * One setting: the row of the settings table (src/config.ts) that its flag, environment
 * variable, default, range, --help line and README row all come from, and the one function that
 * reads its value from a text with the name of where that text came from.
 *
 * Every source goes through readSetting: a flag (source "--flush-ms"), the environment
 * ("GLUST_FLUSH_MS"), the default, and a configuration file, whose reader passes each scalar as
 * text with a source such as "glust.yaml line 3". So an error always names the setting, the
 * text and its source, the same way for each.
 */
import { GlustError } from '../errors.js';
import { type Kind, KindProblem } from './kinds.js';

/** A default that depends on the machine (the number of cores), shown in docs as `describe`. */
export interface ComputedDefault {
  readonly describe: string;
  compute(cores: number): string;
}

export interface Setting<T> {
  /** Flag name without dashes; also the configuration file key. */
  readonly flag: string;
  readonly env: string;
  readonly kind: Kind<T>;
  /** The default as a person writes it ('' for none), read through the kind like any other text. */
  readonly default: string | ComputedDefault;
  /** What it does, in Markdown (backticks are dropped for --help). */
  readonly help: string;
  /** Smallest and largest values allowed, in the kind's order. */
  readonly min?: T;
  readonly max?: T;
  /** Its value is a secret: `glust config print` masks it. */
  readonly secret?: boolean;
  /** Why a configuration file cannot set it (it is read before any file is), or absent if it can. */
  readonly notInFile?: string;
  /** Any other rule on the value alone; returns what is wrong, or null. */
  check?(value: T): string | null;
}

/** The value type of a setting row. */
export type ValueOf<S> = S extends Setting<infer T> ? T : never;

/** Where a text came from and what it said. */
export interface RawValue {
  readonly text: string;
  /** "--flush-ms", "GLUST_FLUSH_MS", "the default", "glust.yaml line 3" */
  readonly source: string;
}

export function configInvalid(message: string): never {
  throw new GlustError('GLUST_ERR_CONFIG_INVALID', message);
}

/** The default's text on a machine with `cores` cores. */
export function defaultText(setting: Setting<unknown>, cores: number): string {
  return typeof setting.default === 'string' ? setting.default : setting.default.compute(cores);
}

/**
 * The value of `setting` from `raw`, checked against its kind, range and rule. Throws
 * GLUST_ERR_CONFIG_INVALID naming the setting, the text and where it came from.
 */
export function readSetting<T>(setting: Setting<T>, raw: RawValue): T {
  const { kind } = setting;
  const where = `(${raw.source})`;
  let value: T;
  try {
    value = kind.parse(raw.text);
  } catch (err) {
    if (err instanceof KindProblem) configInvalid(`${setting.flag}: ${err.message} ${where}`);
    throw err;
  }
  if (kind.order) {
    const v = kind.order(value);
    if (setting.min !== undefined && v < kind.order(setting.min)) configInvalid(`${setting.flag} must be at least ${kind.format(setting.min)}, got '${raw.text}' ${where}`);
    if (setting.max !== undefined && v > kind.order(setting.max)) configInvalid(`${setting.flag} must be at most ${kind.format(setting.max)}, got '${raw.text}' ${where}`);
  }
  const wrong = setting.check?.(value);
  if (wrong) configInvalid(`${setting.flag} ${wrong}, got '${raw.text}' ${where}`);
  return value;
}

/** The allowed range as a phrase for docs ("at least `10ms`"), or ''. */
export function rangeText(setting: Setting<unknown>): string {
  const { min, max, kind } = setting;
  const f = (v: unknown) => `\`${kind.format(v)}\``;
  if (min !== undefined && max !== undefined) return `${f(min)} to ${f(max)}`;
  if (min !== undefined && kind.order && kind.order(min) > 0) return `at least ${f(min)}`;
  if (max !== undefined) return `at most ${f(max)}`;
  return '';
}
