/**
 * The single executable's main script (bundled by scripts/binary/): the runtime first, which
 * writes out and checks the cache directory and sets up where the bundled modules find their
 * files, then the command line exactly as `node dist/main.js` runs it.
 */
import './runtime.js';
import '../main.js';
