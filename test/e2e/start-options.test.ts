// Mistakes on the command lines an admin types first: one sentence and a non-zero exit, never a stack trace.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('start-up options', () => {
    it('npm start refuses a LISTENER_MAX_OLD_SPACE_MB node cannot read, naming the variable', () => {
        const result = spawnSync(process.execPath, ['listener/scripts/build.ts'], {
            cwd: root,
            env: { ...process.env, LISTENER_MAX_OLD_SPACE_MB: 'abc' },
            encoding: 'utf8'
        });
        expect(result.status).toBe(1);
        expect(result.stderr.trim()).toBe(
            'LISTENER_MAX_OLD_SPACE_MB must be a whole number of megabytes, e.g. 160 (the default); got "abc".'
        );
    });

    it('the demo answers an unknown option with one line and exit 2', () => {
        const result = spawnSync(process.execPath, ['test/demo/run.ts', '--bogus'], {
            cwd: root,
            encoding: 'utf8'
        });
        expect(result.status).toBe(2);
        expect(result.stderr).toBe(
            `Unknown option '--bogus'\nRun "npm run demo -- --help" for the options.\n`
        );
    });
});
