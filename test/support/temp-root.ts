// Vitest's globalSetup: every temporary file of a run goes under one directory of its own (TMPDIR for the test
// workers and every process they start: listeners, PostgreSQL, Chromium), removed when the run ends. Tests still clean
// up after themselves; this catches what a failing test, a helper that threw half-way or a process killed with
// SIGKILL leaves behind. What is left at the end is named before it is removed, so a test that does not clean up is
// seen rather than hidden.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
    const previous = process.env.TMPDIR;
    const root = mkdtempSync(join(tmpdir(), 'lsf-vitest-'));
    process.env.TMPDIR = root;
    return () => {
        if (previous === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = previous;
        // node-compile-cache is Node's own cache (module.enableCompileCache, used by tsc), not a test's leftover.
        const left = readdirSync(root).filter((name) => name !== 'node-compile-cache');
        if (left.length > 0)
            console.warn(`temporary files left by the tests, removed now: ${left.join(', ')}`);
        try {
            rmSync(root, { recursive: true, force: true });
        } catch (error) {
            // e.g. a file system a test mounted there and could not unmount
            console.warn(`could not remove ${root}: ${(error as Error).message}`);
        }
    };
}
