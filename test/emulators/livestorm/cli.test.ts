import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from './receiver.ts';

let receiver: WebhookReceiver | undefined;

afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
});

function runCli(args: string[]): Promise<{ lines: unknown[]; code: number | null }> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [join(import.meta.dirname, 'cli.ts'), ...args], {
            stdio: ['ignore', 'pipe', 'inherit']
        });
        const lines: unknown[] = [];
        createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line)));
        child.once('error', reject);
        child.once('exit', (code) => resolve({ lines, code }));
    });
}

describe('emulator:livestorm', () => {
    it('prints where it listens, plays a signed webinar at a webhook URL and exits', async () => {
        receiver = await startWebhookReceiver();
        const { lines, code } = await runCli([
            '--port',
            '0',
            '--token',
            'cli-token',
            '--webhook-url',
            receiver.url,
            '--registrants',
            '12',
            '--secret',
            'cli-secret',
            '--exit'
        ]);
        expect(code).toBe(0);
        const [listening, summary] = lines as [
            { apiUrl: string; token: string },
            { registrants: number; deliveries: Record<string, number>; webhooks: { sent: number } }
        ];
        expect(listening.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
        expect(listening.token).toBe('cli-token');
        expect(summary.registrants).toBe(12);
        expect(summary.deliveries['people.registered']).toBe(12);
        expect(summary.webhooks.sent).toBe(receiver.received.length);
        expect(
            receiver.received.every((delivery) =>
                /^\d+,[0-9a-f]{64}$/.test(String(delivery.headers['x-livestorm-signature']))
            )
        ).toBe(true);
    });

    it('answers --help with its options', async () => {
        const { stdout, stderr, code } = await runRaw(['--help']);
        expect(code).toBe(0);
        expect(stderr).toBe('');
        expect(stdout).toMatch(/^Usage: npm run emulator:livestorm -- \[options\]/);
        expect(stdout).toContain('--webhook-url URL');
        expect(stdout).toContain('--registrants N');
    });

    it('refuses a wrong option or value in one line, without a stack trace', async () => {
        for (const [args, message] of [
            [['--colour'], "Unknown option '--colour'"],
            [['--registrants', 'many'], '--registrants must be a non-negative integer, got many'],
            [['--duplicate-rate', '2'], '--duplicate-rate must be between 0 and 1, got 2'],
            [['--scenario', 'conference'], 'unknown --scenario conference (known: webinar)']
        ] as const) {
            const { stderr, code } = await runRaw([...args]);
            expect(code).toBe(2);
            expect(stderr).toContain(message);
            expect(stderr).not.toMatch(/^\s+at /m);
        }
    });
});

function runRaw(args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [join(import.meta.dirname, 'cli.ts'), ...args]);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += String(chunk)));
        child.stderr.on('data', (chunk) => (stderr += String(chunk)));
        child.once('error', reject);
        child.once('exit', (code) => resolve({ stdout, stderr, code }));
    });
}
