/**
 * The random seed of a fuzzing run. Every run takes a new one, so the fuzzers keep exploring;
 * GLUST_FUZZ_SEED fixes it to replay a run. The seed is printed when the file starts (a run
 * killed by tap's timeout still shows it), and again, with the exact command that replays the
 * run, when anything in the file failed.
 */
import t from 'tap';

export interface FuzzRun {
  readonly seed: number;
  /** The shell command that runs this file again with the same seed and settings. */
  readonly replay: string;
}

/**
 * `file`: the test file, as given to tap; `settings`: the other GLUST_FUZZ_* values in effect
 * (the replay repeats them, so it runs the same cases); `build`: the file tests dist/, so the
 * replay builds first.
 */
export function fuzzRun(file: string, settings: Readonly<Record<string, number>>, build = false): FuzzRun {
  const given = process.env.GLUST_FUZZ_SEED;
  if (given !== undefined && !/^\d+$/.test(given)) throw new Error(`GLUST_FUZZ_SEED must be a whole number, not '${given}'`);
  const seed = given === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(given);
  const env = [`GLUST_FUZZ_SEED=${seed}`, ...Object.entries(settings).map(([name, value]) => `${name}=${value}`)].join(' ');
  const replay = `${build ? 'npm run build && ' : ''}${env} npx tap ${file} --disable-coverage`;
  console.log(`# ${file}: seed ${seed} (replay: ${replay})`);
  t.teardown(() => {
    if (!t.passing()) console.log(`# ${file} FAILED with seed ${seed}; replay it with:\n#   ${replay}`);
  });
  return { seed, replay };
}

/** A GLUST_FUZZ_* count from the environment, or its default. */
export function fuzzSetting(name: string, fallback: number): number {
  const given = process.env[name];
  if (given === undefined) return fallback;
  if (!/^\d+$/.test(given) || Number(given) === 0) throw new Error(`${name} must be a positive whole number, not '${given}'`);
  return Number(given);
}
