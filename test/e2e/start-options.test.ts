// Mistakes on the command lines an admin types first: one sentence and a non-zero exit, never a stack trace. And
// `npm start` as a service manager runs it: stopping npm stops the listener.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSalesforceEmulator } from '../emulators/salesforce/index.ts';
import { freePort } from '../support/postgres.ts';

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

    it('npm start: SIGTERM sent to npm stops the listener itself, which frees its port', async () => {
        const org = await startSalesforceEmulator();
        const dir = mkdtempSync(join(tmpdir(), 'npm-start-'));
        writeFileSync(join(dir, 'settings.json'), '{}');
        const port = await freePort();
        const npm = spawn('npm', ['start'], {
            cwd: root,
            env: {
                ...process.env,
                PORT: String(port),
                DATA_DIR: join(dir, 'data'),
                CONFIG_FILE: join(dir, 'settings.json'),
                SF_INSTANCE_URL: org.instanceUrl,
                SF_ACCESS_TOKEN: org.accessToken,
                LIVESTORM_API_URL: `http://127.0.0.1:${await freePort()}/v1`,
                LIVESTORM_API_TOKEN: 'livestorm-api-token',
                LIVESTORM_WEBHOOK_TOKEN: 'a-webhook-token-of-32-characters',
                LOG_LEVEL: 'info'
            },
            stdio: ['ignore', 'pipe', 'pipe']
        });
        let output = '';
        npm.stdout.on('data', (chunk) => (output += String(chunk)));
        npm.stderr.on('data', (chunk) => (output += String(chunk)));
        const npmExited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
        const healthy = async () => {
            try {
                return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
            } catch {
                return false;
            }
        };
        /** The listener's pid, from the instance it names itself in its ready line (hostname-pid). */
        const listenerPid = () => Number(/"instance":"[^"]*-(\d+)"/.exec(output)?.[1] ?? Number.NaN);
        try {
            await expect.poll(healthy, { timeout: 45_000, interval: 200 }).toBe(true);
            npm.kill('SIGTERM');
            await npmExited;
            // Nothing listens on the port any more: the listener stopped, it was not left running on its own.
            await expect.poll(healthy, { timeout: 15_000, interval: 200 }).toBe(false);
            expect(output).toContain('shutting down');
        } finally {
            const pid = listenerPid();
            if (Number.isInteger(pid)) {
                try {
                    process.kill(pid, 'SIGKILL');
                } catch {
                    // already gone
                }
            }
            await org.close();
            rmSync(dir, { recursive: true, force: true });
        }
    }, 90_000);
});
