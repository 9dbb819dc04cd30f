// `npm run emulator:salesforce` as a user runs it: --help, clean usage errors, and an org that `npx livestorm-sf
// doctor` accepts with nothing but the printed instance URL and token.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
let running: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
    if (running?.pid !== undefined && running.exitCode === null) {
        const exited = new Promise((resolve) => running!.once('exit', resolve));
        process.kill(-running.pid, 'SIGTERM');
        await exited;
    }
    running = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
});

function run(
    command: string,
    args: string[],
    options: { cwd?: string; env?: Record<string, string> } = {}
): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, {
            cwd: options.cwd ?? repositoryRoot,
            env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env }
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += String(chunk)));
        child.stderr.on('data', (chunk) => (stderr += String(chunk)));
        child.once('error', reject);
        child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
}

describe('emulator:salesforce', () => {
    it('answers --help with its options', async () => {
        const { code, stdout } = await run('npm', ['run', '-s', 'emulator:salesforce', '--', '--help']);
        expect(code).toBe(0);
        expect(stdout).toMatch(/^Usage: npm run emulator:salesforce -- \[options\]/);
        expect(stdout).toContain('--latency MS');
        expect(stdout).toContain('--client-secret SECRET');
    });

    it('refuses a wrong option or value in one line, without a stack trace', async () => {
        const unknown = await run('npm', ['run', '-s', 'emulator:salesforce', '--', '--colour']);
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toContain("Unknown option '--colour'");
        expect(unknown.stderr).not.toMatch(/^\s+at /m);
        const wrong = await run('npm', ['run', '-s', 'emulator:salesforce', '--', '--latency', 'slow']);
        expect(wrong.code).toBe(2);
        expect(wrong.stderr).toContain('--latency must be a non-negative integer, got slow');
        expect(wrong.stderr).not.toMatch(/^\s+at /m);
    });

    it('is an org `livestorm-sf doctor` passes against with only the printed instance URL and token', async () => {
        running = spawn('npm', ['run', '-s', 'emulator:salesforce'], {
            cwd: repositoryRoot,
            env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
            stdio: ['ignore', 'pipe', 'inherit'],
            detached: true
        });
        const first = await new Promise<string>((resolve, reject) => {
            createInterface({ input: running!.stdout! }).once('line', resolve);
            running!.once('exit', (code) => reject(new Error(`the emulator exited with ${code}`)));
        });
        const { instanceUrl, accessToken } = JSON.parse(first) as {
            instanceUrl: string;
            accessToken: string;
        };
        dir = mkdtempSync(join(tmpdir(), 'lsf-doctor-'));
        const doctor = await run(join(repositoryRoot, 'node_modules', '.bin', 'livestorm-sf'), ['doctor'], {
            cwd: dir,
            env: {
                SF_INSTANCE_URL: instanceUrl,
                SF_ACCESS_TOKEN: accessToken,
                LIVESTORM_WEBHOOK_TOKEN: 'doctor-webhook-token-0123456789abcdef'
            }
        });
        expect(doctor.stdout).not.toContain('✖');
        expect(doctor.stdout).toContain('✔ Integration user: integration@livestorm-salesforce.example (005');
        expect(doctor.stdout).toContain('✔ Marketing User is ticked');
        expect(doctor.stdout).toContain('All checks pass');
        expect(doctor.code).toBe(0);
    }, 60_000);
});
