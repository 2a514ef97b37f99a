/**
 * Kinds of setting values: how a value is read from text (a flag, an environment variable, a
 * configuration file's scalar) and written back as a person would write it. A kind only says
 * what is wrong with a text; setting.ts adds the setting's name and where the text came from.
 *
 * Sizes are binary: 64KiB, 64MiB, 1GiB (also 64k, 64m, 1g, 64MB; a plain number is bytes).
 * Durations take ms, s, m, h, d (200ms, 5s, 15m, 1h); a plain number is in the setting's own unit,
 * the one its name ends with (flush-ms, body-timeout-s), so existing numbers keep their meaning.
 */
import path from 'node:path';

/** A problem with a text, as the tail of a sentence: "is not a size (e.g. …)". */
export class KindProblem extends Error {}

export interface Kind<T> {
  /** Placeholder in --help: SIZE, DURATION, N, HOST:PORT, … */
  readonly placeholder: string;
  /** The value of `text`; throws KindProblem. */
  parse(text: string): T;
  /** The text a person would write for `value`; parse(format(v)) gives v back. */
  format(value: T): string;
  /** Compare values (ranges); absent for kinds without an order. */
  order?(value: T): number;
  /** A filesystem path: a configuration file's relative path is taken from the file's directory. */
  readonly isPath?: boolean;
}

function problem(text: string, what: string): never {
  throw new KindProblem(`'${text}' ${what}`);
}

/** A decimal number with an optional unit from `units`: 1.5h → 1.5 × units.h. */
function withUnit(text: string, pattern: RegExp, units: Readonly<Record<string, number>>, unitOf: (m: RegExpExecArray) => string): number | null {
  const m = pattern.exec(text.trim());
  if (!m) return null;
  const factor = units[unitOf(m)];
  if (factor === undefined) return null;
  return Number(m[1]) * factor;
}

/** `value` in the largest unit of `units` (largest first) that divides it exactly. */
function largestUnit(value: number, units: ReadonlyArray<readonly [string, number]>): string {
  if (value === 0) return '0';
  for (const [name, factor] of units) if (value % factor === 0) return `${value / factor}${name}`;
  return String(value);
}

/** A non-negative whole number (counts, days, threads). */
export const COUNT: Kind<number> = {
  placeholder: 'N',
  parse(text) {
    if (!/^\s*\d+\s*$/.test(text)) problem(text, 'is not a non-negative integer');
    const n = Number(text);
    if (!Number.isSafeInteger(n)) problem(text, 'is too large');
    return n;
  },
  format: (n) => String(n),
  order: (n) => n,
};

const KiB = 1024;
const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: KiB, m: KiB ** 2, g: KiB ** 3, t: KiB ** 4 };
const SIZE_NAMES: ReadonlyArray<readonly [string, number]> = [['TiB', KiB ** 4], ['GiB', KiB ** 3], ['MiB', KiB ** 2], ['KiB', KiB]];
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i;

/** Bytes: 65536, 64KiB, 64MiB, 1GiB (k/m/g/t are binary, with or without "iB"/"B"). */
export const SIZE: Kind<number> = {
  placeholder: 'SIZE',
  parse(text) {
    const bytes = withUnit(text, SIZE_RE, SIZE_UNITS, (m) => m[2]!.toLowerCase());
    if (bytes === null) problem(text, 'is not a size (e.g. 65536, 64MiB, 1g)');
    if (!Number.isSafeInteger(bytes)) problem(text, Number.isInteger(bytes) ? 'is too large' : 'is not a whole number of bytes');
    return bytes;
  },
  format: (bytes) => largestUnit(bytes, SIZE_NAMES),
  order: (n) => n,
};

const MS_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;

/**
 * A duration held as a whole number of `unit` (ms or s), as the setting's name says. A plain
 * number is in that unit; a duration that is not a whole number of it is refused rather than
 * rounded.
 */
export function duration(unit: 'ms' | 's'): Kind<number> {
  const perUnit = MS_UNITS[unit]!;
  const names = Object.entries(MS_UNITS).filter(([, ms]) => ms >= perUnit).reverse();
  return {
    placeholder: 'DURATION',
    parse(text) {
      const ms = withUnit(text, DURATION_RE, MS_UNITS, (m) => m[2] ?? unit);
      if (ms === null) problem(text, `is not a duration (e.g. ${unit === 'ms' ? '250, 250ms' : '10, 10s'}, 1m, 1h)`);
      const n = ms / perUnit;
      if (!Number.isSafeInteger(n)) problem(text, Number.isInteger(n) ? 'is too large' : `is not a whole number of ${unit === 'ms' ? 'milliseconds' : 'seconds'}`);
      return n;
    },
    format: (n) => (n === 0 ? '0' : largestUnit(n * perUnit, names)),
    order: (n) => n,
  };
}

/** One of a few words; the value is the word. */
export function choice<const W extends string>(...words: readonly [W, ...W[]]): Kind<W> {
  const said = words.map((w) => `'${w}'`).join(words.length === 2 ? ' or ' : ', ');
  return {
    placeholder: words.join('|'),
    parse(text) {
      const w = text.trim();
      if (!(words as readonly string[]).includes(w)) problem(text, `is not ${said}`);
      return w as W;
    },
    format: (w) => w,
  };
}

const ON_OFF = choice('on', 'off');
/** `on` / `off` as a boolean. */
export const SWITCH: Kind<boolean> = {
  placeholder: 'on|off',
  parse: (text) => ON_OFF.parse(text) === 'on',
  format: (on) => (on ? 'on' : 'off'),
};

/** Text passed on as it is (after trimming), e.g. DuckDB's own memory limit syntax. */
export const TEXT: Kind<string> = {
  placeholder: 'TEXT',
  parse: (text) => text.trim(),
  format: (s) => s,
};

/** A directory, made absolute against the working directory. */
export const DIRECTORY: Kind<string> = {
  placeholder: 'DIR',
  isPath: true,
  parse: (text) => path.resolve(text.trim()),
  format: (p) => p,
};

/** A file, made absolute against the working directory; empty means none (null). */
export const OPTIONAL_FILE: Kind<string | null> = {
  placeholder: 'FILE',
  isPath: true,
  parse: (text) => (text.trim() === '' ? null : path.resolve(text.trim())),
  format: (p) => p ?? '',
};

/** A directory, made absolute against the working directory; empty means none (null). */
export const OPTIONAL_DIRECTORY: Kind<string | null> = {
  placeholder: 'DIR',
  parse: (text) => (text.trim() === '' ? null : path.resolve(text.trim())),
  format: (p) => p ?? '',
};

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** HOST:PORT, [IPv6]:PORT, or :PORT (localhost). */
export const LISTEN: Kind<HostPort> = {
  placeholder: 'HOST:PORT',
  parse(text) {
    const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text.trim());
    if (!m) problem(text, 'is not HOST:PORT');
    const port = Number(m[3]);
    if (port > 65535) throw new KindProblem(`port ${port} is out of range`);
    return { host: m[1] ?? (m[2] || 'localhost'), port };
  },
  format: ({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`,
};

/** HOST:PORT as LISTEN reads it, or `off` (null): a listener that can be turned off. */
export const LISTEN_OR_OFF: Kind<HostPort | null> = {
  placeholder: 'HOST:PORT|off',
  parse: (text) => (text.trim().toLowerCase() === 'off' ? null : LISTEN.parse(text)),
  format: (value) => (value === null ? 'off' : LISTEN.format(value)),
};
