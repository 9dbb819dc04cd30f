// The Node flags `npm start` gives the listener (its memory settings), read from the listener's own start script so
// the tests and the benchmark run the process exactly as operators do.
import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../../listener/package.json', import.meta.url), 'utf8')) as {
    scripts: { start: string };
};

/** e.g. ['--max-semi-space-size=2', '--max-old-space-size=160'] */
export const LISTENER_NODE_FLAGS: readonly string[] = manifest.scripts.start
    .split(/\s+/)
    .filter((word) => word.startsWith('--'));
