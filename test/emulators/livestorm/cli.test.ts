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
});
