// Hostile bodies on the authenticated webhook URL of a real listener process: malformed, truncated, oversized,
// deeply nested, wrongly typed, unicode-laden, not UTF-8. None may crash the process or get a 5xx; the listener stays
// healthy, and a valid delivery sent afterwards is still synced into the org.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_BODY_LIMIT_BYTES } from '../../listener/src/http/webhook.ts';
import { createWebhookSender } from '../emulators/livestorm/webhooks.ts';
import { createFuzzer } from './fuzz-bodies.ts';
import type { FuzzKind } from './fuzz-bodies.ts';
import { exactlyOnce, hoursFromNow, report, scaled, startRig } from './harness.ts';
import type { Rig } from './harness.ts';

const BODIES = Number(process.env.FUZZ_BODIES ?? scaled(1_000, 10_000));
const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const CONCURRENCY = 8;

/** POST on a fresh connection closed afterwards; the status, or null when the listener closed it first. */
function postOnOwnConnection(url: string, body: string | Uint8Array): Promise<number | null> {
    return new Promise((resolve) => {
        const request = httpRequest(
            url,
            {
                method: 'POST',
                agent: false,
                headers: { 'Content-Type': 'application/json', Connection: 'close' }
            },
            (response) => {
                response.resume();
                response.on('end', () => resolve(response.statusCode ?? null));
                response.on('error', () => resolve(response.statusCode ?? null));
            }
        );
        request.on('error', () => resolve(null));
        request.end(body);
    });
}

let rig: Rig;
beforeAll(async () => {
    rig = await startRig();
    await rig.start();
}, 60_000);
afterAll(async () => {
    await rig?.close();
}, 60_000);

describe('fuzzed webhook bodies', () => {
    it(`${BODIES} hostile bodies: no crash, no 5xx, still healthy, a valid delivery still synced`, async () => {
        const listener = rig.listener!;
        const fuzzer = createFuzzer(SEED);
        const statuses = new Map<number, number>();
        const byKind = new Map<FuzzKind, number>();
        const serverErrors: string[] = [];
        let closedEarly = 0;
        let overLimit = 0;
        let next = 0;
        const worker = async () => {
            while (next < BODIES) {
                const index = next++;
                const { kind, body } = fuzzer.next(index);
                byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
                const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
                if (size > WEBHOOK_BODY_LIMIT_BYTES) {
                    overLimit++;
                    // Over the limit, the listener answers 413 and closes the connection while the client is still
                    // sending, so this goes on a connection of its own (a pooled one would be closed under the next
                    // request) and the client may see the close rather than the answer: the refusals are counted
                    // from the listener's own metrics below.
                    const status = await postOnOwnConnection(rig.webhookUrl(), body);
                    if (status === null) closedEarly++;
                    else statuses.set(status, (statuses.get(status) ?? 0) + 1);
                    if (status !== null && status >= 500) serverErrors.push(`#${index} ${kind}: ${status}`);
                    continue;
                }
                const response = await fetch(rig.webhookUrl(), {
                    method: 'POST',
                    headers: { 'Content-Type': 'application/json' },
                    body
                });
                const text = await response.text();
                statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
                if (response.status >= 500)
                    serverErrors.push(`#${index} ${kind}: ${response.status} ${text}`);
                // Error bodies carry no detail: a short fixed sentence, never the parser's message or the body.
                if (response.status >= 400) expect(text.length, text).toBeLessThan(120);
            }
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));

        expect(serverErrors).toEqual([]);
        expect(
            [...statuses.keys()].every((status) => status === 202 || status === 413),
            [...statuses].join()
        ).toBe(true);
        expect(listener.child.exitCode).toBeNull();
        expect(listener.child.signalCode).toBeNull();
        expect((await fetch(`${listener.url}/healthz`)).status).toBe(200);
        const metrics = await (await fetch(`${listener.url}/metrics`)).text();
        const tooLarge = Number(
            /livestorm_sf_webhook_rejected_total\{reason="too_large"\} (\d+)/.exec(metrics)?.[1]
        );
        expect(tooLarge).toBe(overLimit);
        expect(overLimit).toBeGreaterThanOrEqual(byKind.get('oversized') ?? 0);

        // A real session and registrant after the storm: synced as if nothing had happened.
        const event = rig.simulator.state.createEvent({ title: 'After the fuzz' });
        const session = rig.simulator.state.createSession(event.id, { startsAt: hoursFromNow(2) });
        const person = rig.simulator.state.register(session.id, {
            firstName: 'Valid',
            lastName: 'Registrant',
            email: 'valid.after.fuzz@example.com'
        });
        const sender = createWebhookSender({ url: rig.webhookUrl(), retryDelaysMs: [] });
        expect((await sender.deliver('event.created', event)).delivered).toBe(true);
        expect((await sender.deliver('session.created', session)).delivered).toBe(true);
        expect((await sender.deliver('people.registered', person)).delivered).toBe(true);
        await expect
            .poll(() => exactlyOnce(rig.emulator, session.id, ['valid.after.fuzz@example.com']), {
                timeout: 120_000,
                interval: 250
            })
            .toEqual({ lost: 0, duplicates: 0, wrongStatus: 0, campaigns: 1 });
        expect(listener.child.exitCode).toBeNull();
        // Nothing reached Hono's last-resort error handler.
        expect(listener.output()).not.toContain('"msg":"unhandled error"');

        report('fuzz', {
            bodies: BODIES,
            seed: SEED,
            ...Object.fromEntries([...byKind].map(([kind, count]) => [kind, count])),
            ...Object.fromEntries([...statuses].map(([status, count]) => [`http${status}`, count])),
            'over 1 MB': overLimit,
            '413 seen as a closed connection': closedEarly,
            '5xx': serverErrors.length,
            crashes: 0
        });
    }, 600_000);
});
