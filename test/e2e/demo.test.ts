// `npm run demo`: everything it writes stays in its own temporary directory (the settings the admin page saves
// included), and it prints what an operator needs to look at it: the webhook URL with its token, the admin URL, and
// the variables that point `npx livestorm-sf` at its store.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const node = join(repositoryRoot, 'node_modules', '.bin', 'node');
const startedIn = mkdtempSync(join(tmpdir(), 'lsf-demo-cwd-'));

afterAll(() => rmSync(startedIn, { recursive: true, force: true }));

function run(command: string, args: string[], env: Record<string, string>) {
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(command, args, { cwd: repositoryRoot, env: { ...process.env, ...env } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += String(chunk)));
        child.stderr.on('data', (chunk) => (stderr += String(chunk)));
        child.once('error', reject);
        child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
}

describe('npm run demo', () => {
    it('prints the webhook URL, the admin URL and the command-line variables, and keeps its files to itself', async () => {
        const demo = spawn(
            node,
            [join(repositoryRoot, 'test/demo/run.ts'), '--registrants', '4', '--latency', '0', '--keep'],
            { cwd: startedIn, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' } }
        );
        let output = '';
        demo.stdout.on('data', (chunk) => (output += String(chunk)));
        demo.stderr.on('data', (chunk) => (output += String(chunk)));
        const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
        try {
            await new Promise<void>((resolve, reject) => {
                const check = setInterval(() => {
                    if (output.includes('Still running')) {
                        clearInterval(check);
                        resolve();
                    } else if (demo.exitCode !== null) {
                        clearInterval(check);
                        reject(new Error(`the demo exited early:\n${output}`));
                    }
                }, 100);
            });
            const webhookUrl = /webhook URL\s+(http\S+)/.exec(output)?.[1];
            const adminUrl = /admin page\s+(http\S+)/.exec(output)?.[1];
            const variables = /command line\s+DATA_DIR=(\S+) CONFIG_FILE=(\S+) npx livestorm-sf/.exec(output);
            expect(webhookUrl).toMatch(
                /^http:\/\/127\.0\.0\.1:\d+\/webhooks\/livestorm\/[A-Za-z0-9._~-]{16,}$/
            );
            expect(adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/admin\?token=.+$/);
            const [, dataDir, configFile] = variables ?? [];
            expect(dataDir).toBeDefined();
            expect(configFile!.startsWith(`${dataDir!}/`)).toBe(true);

            // The webhook URL is the listener's: a delivery with an unknown body is still acknowledged.
            const delivered = await fetch(webhookUrl!, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: '{"data":{}}'
            });
            expect(delivered.status).toBeLessThan(300);

            // The command line, given the printed variables, reads the demo's store: the webinar's event is there.
            const listed = await run('npx', ['livestorm-sf', 'events', 'list', '--json'], {
                DATA_DIR: dataDir!,
                CONFIG_FILE: configFile!
            });
            expect(listed.code, listed.stderr).toBe(0);
            expect(JSON.parse(listed.stdout)).toEqual([
                expect.objectContaining({ title: 'Spring product launch — live demo & Q&A', enabled: true })
            ]);

            // "Save settings" on the admin page writes the demo's own settings file.
            const admin = new URL(adminUrl!);
            const headers = { authorization: `Bearer ${admin.searchParams.get('token')}` };
            const current = (await (
                await fetch(new URL('/admin/api/settings', admin), { headers })
            ).json()) as { settings: Record<string, unknown>; configFile: string };
            expect(current.configFile).toBe(configFile);
            const saved = await fetch(new URL('/admin/api/settings', admin), {
                method: 'POST',
                headers: { ...headers, 'content-type': 'application/json' },
                body: JSON.stringify({ ...current.settings, leadSource: 'Demo webinar' })
            });
            expect(saved.status).toBe(200);
            expect(JSON.parse(readFileSync(configFile!, 'utf8'))).toMatchObject({
                leadSource: 'Demo webinar'
            });
            expect(readdirSync(startedIn)).toEqual([]);
            expect(existsSync(join(repositoryRoot, 'livestorm-sf.config.json'))).toBe(false);

            demo.kill('SIGINT');
            expect(await exited).toBe(0);
            expect(existsSync(dataDir!)).toBe(false);
        } finally {
            if (demo.exitCode === null) demo.kill('SIGKILL');
        }
    }, 120_000);
});
