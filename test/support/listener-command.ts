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

/**
 * The flags with the shell's `${NAME:-default}` expansions done for an environment, as `npm start` runs them
 * (LISTENER_MAX_OLD_SPACE_MB sets the old generation, default 160 MB).
 * @example listenerNodeFlags({ LISTENER_MAX_OLD_SPACE_MB: '64' }) // ['--max-semi-space-size=2', '--max-old-space-size=64']
 */
export function listenerNodeFlags(env: Record<string, string | undefined> = process.env): string[] {
    return rootFlags.map((flag) =>
        flag.replace(/\$\{(\w+):-([^}]*)\}/g, (_match, name: string, fallback: string) => env[name] || fallback)
    );
}

/** e.g. ['--max-semi-space-size=2', '--max-old-space-size=160'] */
export const LISTENER_NODE_FLAGS: readonly string[] = listenerNodeFlags();
