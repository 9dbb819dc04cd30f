import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from './receiver.ts';
import {
    createWebhookSender,
    signLivestormBody,
    webhookBody,
    LIVESTORM_RETRY_DELAYS_MS
} from './webhooks.ts';
import type { JsonApiResource } from './types.ts';

let receiver: WebhookReceiver | undefined;

afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
});

function session(id: string): JsonApiResource {
    return { id, type: 'sessions', attributes: { event_id: 'event-1', status: 'upcoming' } };
}

const FAST_RETRIES = [5, 5, 5, 5, 5];

describe('webhook envelope and signature', () => {
    it('wraps the resource with meta.webhook inside data', () => {
        const body = JSON.parse(webhookBody('session.created', session('s1'), 'org-1'));
        expect(body).toEqual({
            data: {
                id: 's1',
                type: 'sessions',
                attributes: { event_id: 'event-1', status: 'upcoming' },
                meta: { webhook: { event: 'session.created', organization_id: 'org-1' } }
            }
        });
    });

    it('signs "<ts>,<hex sha256(ts + secret + body)>" and the receiver can recompute it', async () => {
        receiver = await startWebhookReceiver();
        const sender = createWebhookSender({
            url: receiver.url,
            secret: 'whsec',
            now: () => 1_688_725_648_000
        });
        const outcome = await sender.deliver('session.created', session('s1'), 'org-1');
        expect(outcome.delivered).toBe(true);
        const [delivery] = receiver.received;
        const header = String(delivery?.headers['x-livestorm-signature']);
        const [timestamp, signature] = header.split(',');
        expect(timestamp).toBe('1688725648');
        const expected = createHash('sha256').update(`${timestamp}whsec${delivery?.body}`).digest('hex');
        expect(signature).toBe(expected);
        expect(header).toBe(signLivestormBody(delivery?.body ?? '', 'whsec', 1_688_725_648));
        expect(delivery?.headers['content-type']).toBe('application/json');
    });

    it('sends no signature header without a secret', async () => {
        receiver = await startWebhookReceiver();
        await createWebhookSender({ url: receiver.url }).deliver('session.created', session('s1'));
        expect(receiver.received[0]?.headers['x-livestorm-signature']).toBeUndefined();
    });
});

describe('retries and auto-disable', () => {
    it("defaults to Livestorm's schedule of five retries", () => {
        expect(LIVESTORM_RETRY_DELAYS_MS).toEqual([30_000, 60_000, 150_000, 360_000, 720_000]);
    });

    it('retries any non-2xx (4xx included) until a 2xx', async () => {
        receiver = await startWebhookReceiver();
        receiver.respondWith(500, 404, 429);
        const sender = createWebhookSender({ url: receiver.url, retryDelaysMs: FAST_RETRIES });
        const outcome = await sender.deliver('session.created', session('s1'));
        expect(outcome.delivered).toBe(true);
        expect(outcome.attempts.map((attempt) => attempt.status)).toEqual([500, 404, 429, 200]);
        expect(sender.stats()).toMatchObject({ sent: 1, attempts: 4, failures: 3, disabled: false });
        expect(receiver.received.map((delivery) => delivery.body)).toEqual(Array(4).fill(outcome.body));
    });

    it('retries network errors', async () => {
        let calls = 0;
        const flaky: typeof fetch = async (input, init) => {
            calls++;
            if (calls < 3) throw new TypeError('fetch failed');
            return fetch(input, init);
        };
        receiver = await startWebhookReceiver();
        const sender = createWebhookSender({ url: receiver.url, retryDelaysMs: FAST_RETRIES, fetch: flaky });
        const outcome = await sender.deliver('session.created', session('s1'));
        expect(outcome.delivered).toBe(true);
        expect(outcome.attempts.map((attempt) => attempt.status)).toEqual([null, null, 200]);
        expect(receiver.received).toHaveLength(1);
    });

    it('disables the subscription after 1 + 5 failed attempts and drops what follows', async () => {
        receiver = await startWebhookReceiver();
        receiver.defaultStatus = 503;
        const sender = createWebhookSender({ url: receiver.url, retryDelaysMs: FAST_RETRIES });
        const failed = await sender.deliver('session.created', session('s1'));
        expect(failed.delivered).toBe(false);
        expect(failed.attempts).toHaveLength(6);
        expect(sender.disabled).toBe(true);

        receiver.defaultStatus = 200;
        const dropped = await sender.deliver('session.started', session('s1'));
        expect(dropped).toMatchObject({ delivered: false, dropped: true, attempts: [] });
        sender.enqueue('session.ended', session('s1'));
        await sender.flush();
        expect(receiver.received).toHaveLength(6);
        expect(sender.stats()).toMatchObject({
            sent: 0,
            attempts: 6,
            failures: 6,
            abandoned: 1,
            dropped: 2,
            disabled: true
        });
    });

    it('a delivery that recovers on its last retry keeps the subscription', async () => {
        receiver = await startWebhookReceiver();
        receiver.respondWith(500, 500, 500, 500, 500);
        const sender = createWebhookSender({ url: receiver.url, retryDelaysMs: FAST_RETRIES });
        expect((await sender.deliver('session.created', session('s1'))).attempts).toHaveLength(6);
        expect(sender.disabled).toBe(false);
    });
});

describe('batches', () => {
    async function playBatch(seed: number, options: { duplicateRate?: number; reorderWindow?: number }) {
        const target = await startWebhookReceiver();
        try {
            const sender = createWebhookSender({ url: target.url, seed, concurrency: 1, ...options });
            for (let index = 0; index < 40; index++) sender.enqueue('session.created', session(`s${index}`));
            const outcomes = await sender.flush();
            const received = target.received.map((delivery) => JSON.parse(delivery.body).data.id as string);
            return { outcomes, received, stats: sender.stats() };
        } finally {
            await target.close();
        }
    }

    it('sends in order by default, once each', async () => {
        const { received, stats } = await playBatch(7, {});
        expect(received).toEqual(Array.from({ length: 40 }, (_, index) => `s${index}`));
        expect(stats.duplicates).toBe(0);
    });

    it('duplicates deliveries at the given rate, each copy after its original, reproducibly for a seed', async () => {
        const first = await playBatch(7, { duplicateRate: 0.25 });
        const again = await playBatch(7, { duplicateRate: 0.25 });
        expect(again.received).toEqual(first.received);
        expect(first.stats.duplicates).toBeGreaterThan(3);
        expect(first.stats.duplicates).toBeLessThan(20);
        expect(first.received).toHaveLength(40 + first.stats.duplicates);
        expect(new Set(first.received).size).toBe(40);
        for (const outcome of first.outcomes.filter((candidate) => candidate.duplicate)) {
            const positions = first.received
                .map((id, index) => (id === outcome.resourceId ? index : -1))
                .filter((index) => index >= 0);
            expect(positions.length).toBeGreaterThanOrEqual(2);
        }
    });

    it('reorders within windows only, reproducibly for a seed', async () => {
        const first = await playBatch(11, { reorderWindow: 5 });
        const again = await playBatch(11, { reorderWindow: 5 });
        const other = await playBatch(12, { reorderWindow: 5 });
        expect(again.received).toEqual(first.received);
        expect(other.received).not.toEqual(first.received);
        expect(first.received).not.toEqual(Array.from({ length: 40 }, (_, index) => `s${index}`));
        for (let window = 0; window < 8; window++) {
            const ids = first.received.slice(window * 5, window * 5 + 5).sort();
            const expected = Array.from({ length: 5 }, (_, index) => `s${window * 5 + index}`).sort();
            expect(ids).toEqual(expected);
        }
    });

    it('keeps at most `concurrency` deliveries in flight', async () => {
        receiver = await startWebhookReceiver({ delayMs: 20 });
        const sender = createWebhookSender({ url: receiver.url, concurrency: 3 });
        for (let index = 0; index < 12; index++) sender.enqueue('session.created', session(`s${index}`));
        await sender.flush();
        expect(receiver.received).toHaveLength(12);
        expect(receiver.maxConcurrent()).toBe(3);
        expect(sender.stats().latenciesMs).toHaveLength(12);
        expect(Math.min(...sender.stats().latenciesMs)).toBeGreaterThanOrEqual(15);
    });

    it('a delivery waiting for its retry does not hold up the others', async () => {
        receiver = await startWebhookReceiver();
        receiver.respondWith(500);
        const sender = createWebhookSender({ url: receiver.url, concurrency: 1, retryDelaysMs: [300] });
        for (let index = 0; index < 3; index++) sender.enqueue('session.created', session(`s${index}`));
        await sender.flush();
        const order = receiver.received.map((delivery) => JSON.parse(delivery.body).data.id);
        expect(order).toEqual(['s0', 's1', 's2', 's0']);
    });
});
