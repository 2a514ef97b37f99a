/**
 * What a closed stdout means (Node ignores SIGPIPE, so every write to a pipe whose reader is
 * gone fails with EPIPE instead; unhandled, that is a crash with a stack trace):
 * - to a read command (`glust logs --since 1h | head -2`): nobody reads its output any more, so
 *   it has nothing left to do and ends at once with status 0, silently, as Unix tools do;
 * - to `glust serve`: its log lines are lost, and it keeps serving. A server that stopped, or
 *   crashed, because whoever watched its output went away would take acknowledged data offline.
 * Any other error on stdout is real and stays one. A closed stderr is never worth a crash.
 */
const ignoreEpipe = (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
};

export function endQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  process.stderr.on('error', ignoreEpipe);
}

export function keepServingWhenOutputCloses(): void {
  process.stdout.on('error', ignoreEpipe);
  process.stderr.on('error', ignoreEpipe);
}
