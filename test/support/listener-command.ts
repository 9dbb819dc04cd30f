// The Node flags `npm start` gives the listener (its memory settings), read from the start scripts so the tests and
// the benchmark run the process exactly as operators do. The repository root's script (what the README runs) and
// the listener package's own must agree.
import { readFileSync } from 'node:fs';

function startFlags(manifestUrl: URL): string[] {
    const manifest = JSON.parse(readFileSync(manifestUrl, 'utf8')) as { scripts: { start: string } };
    return manifest.scripts.start.split(/\s+/).filter((word) => word.startsWith('--'));
}

const rootFlags = startFlags(new URL('../../package.json', import.meta.url));
const listenerFlags = startFlags(new URL('../../listener/package.json', import.meta.url));
if (rootFlags.join(' ') !== listenerFlags.join(' ')) {
    throw new Error(
        `npm start runs the listener with ${rootFlags.join(' ')} from the repository root but ${listenerFlags.join(' ')} from listener/: make the two start scripts agree`
    );
}

/** e.g. ['--max-semi-space-size=2', '--max-old-space-size=160'] */
export const LISTENER_NODE_FLAGS: readonly string[] = rootFlags;
