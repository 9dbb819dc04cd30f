// The Node flags and environment `npm start` gives the listener (its memory settings), read from the start scripts so
// the tests and the benchmark run the process exactly as operators do. The repository root's script (what the README
// runs) and the listener package's own must agree.
import { readFileSync } from 'node:fs';

/** The start script's environment assignments (`NAME=value` before `node`) and its Node flags, as written. */
function startWords(manifestUrl: URL): { assignments: string[]; flags: string[] } {
    const manifest = JSON.parse(readFileSync(manifestUrl, 'utf8')) as { scripts: { start: string } };
    const words = manifest.scripts.start.split(/\s+/);
    const node = words.indexOf('node');
    return {
        assignments: words.slice(0, node).filter((word) => /^[A-Z_][A-Z0-9_]*=/.test(word)),
        flags: words.slice(node + 1).filter((word) => word.startsWith('--'))
    };
}

const root = startWords(new URL('../../package.json', import.meta.url));
const listener = startWords(new URL('../../listener/package.json', import.meta.url));
const asWritten = (words: { assignments: string[]; flags: string[] }) =>
    [...words.assignments, ...words.flags].join(' ');
if (asWritten(root) !== asWritten(listener)) {
    throw new Error(
        `npm start runs the listener with ${asWritten(root)} from the repository root but ${asWritten(listener)} from listener/: make the two start scripts agree`
    );
}

/** The shell's `${NAME:-default}` expansion, as `npm start`'s shell does it. */
function expand(word: string, env: Record<string, string | undefined>): string {
    return word.replace(
        /\$\{(\w+):-([^}]*)\}/g,
        (_match, name: string, fallback: string) => env[name] || fallback
    );
}

/**
 * The flags with the shell's `${NAME:-default}` expansions done for an environment, as `npm start` runs them
 * (LISTENER_MAX_OLD_SPACE_MB sets the old generation, default 160 MB).
 * @example listenerNodeFlags({ LISTENER_MAX_OLD_SPACE_MB: '64' }) // ['--max-semi-space-size=2', '--max-old-space-size=64']
 */
export function listenerNodeFlags(env: Record<string, string | undefined> = process.env): string[] {
    return root.flags.map((flag) => expand(flag, env));
}

/**
 * The environment `npm start` gives the listener process on top of the caller's (e.g. glibc's MALLOC_ARENA_MAX),
 * expanded for `env`.
 * @example listenerStartEnv({}) // { MALLOC_ARENA_MAX: '2' }
 */
export function listenerStartEnv(
    env: Record<string, string | undefined> = process.env
): Record<string, string> {
    return Object.fromEntries(
        root.assignments.map((assignment) => {
            const [name, ...value] = assignment.split('=');
            return [name!, expand(value.join('='), env)];
        })
    );
}

/** e.g. ['--max-semi-space-size=2', '--max-old-space-size=160'] */
export const LISTENER_NODE_FLAGS: readonly string[] = listenerNodeFlags();
